import Foundation
import Synchronization
import StationTestKit
import Testing

/// The kit's own builders and clock: what the suites that use them rely on.
@Suite struct TestKitTests {
    @Test("TestClock: a sleeper resumes exactly when the clock reaches its deadline, not before")
    func clockResumesAtDeadline() async throws {
        let clock = TestClock()
        let woke = Mutex(false)
        let task = Task {
            try await clock.sleep(for: .seconds(3600))
            woke.withLock { $0 = true }
        }
        #expect(await clock.waitForSleepers(1))
        clock.advance(by: .seconds(3599))
        try await Task.sleep(for: .milliseconds(20))
        #expect(woke.withLock { $0 } == false)
        #expect(clock.sleeperCount == 1)
        clock.advance(by: .seconds(1))
        try await task.value
        #expect(woke.withLock { $0 })
        #expect(clock.now.offset == .seconds(3600))
    }

    @Test("TestClock: a cancelled sleeper throws CancellationError and leaves the clock")
    func clockCancellation() async throws {
        let clock = TestClock()
        let task = Task { try await clock.sleep(for: .seconds(10)) }
        #expect(await clock.waitForSleepers(1))
        task.cancel()
        await #expect(throws: CancellationError.self) { try await task.value }
        #expect(clock.sleeperCount == 0)
    }

    @Test("SyntheticJPEG.headers: exact size, SOI/EOI, the frame header's dimensions, each fill")
    func headerOnlyJPEG() {
        for fill in [SyntheticJPEG.Fill.byte(0x20), .seeded(3), .random] {
            for size in [2_047, 2_048, 12_027, 200_000] {
                let jpeg = [UInt8](SyntheticJPEG.headers(width: 480, height: 640, size: size, fill: fill, jfif: true))
                #expect(jpeg.count == size)
                #expect(jpeg.prefix(4) == [0xFF, 0xD8, 0xFF, 0xE0])
                #expect(jpeg.suffix(2) == [0xFF, 0xD9])
                let sof = jpeg.firstRange(of: [0xFF, 0xC0, 0x00, 0x11, 0x08])
                #expect(sof != nil)
                if let sof {
                    #expect(Array(jpeg[sof.upperBound..<sof.upperBound + 4]) == [0x02, 0x80, 0x01, 0xE0])
                }
            }
        }
        let seeded = SyntheticJPEG.headers(width: 480, height: 640, size: 12_027, fill: .seeded(1))
        #expect(seeded == SyntheticJPEG.headers(width: 480, height: 640, size: 12_027, fill: .seeded(1)))
        #expect(seeded.suffix(12_002).prefix(12_000) == SampleApplications.bytes(12_000, seed: 1))
    }
}
