import Foundation
import Testing

@testable import Biometrics

@Suite struct SimulatorTests {
    /// Set STATION_BIO_DUMP=/some/dir to look at the synthetic images.
    @Test(.enabled(if: ProcessInfo.processInfo.environment["STATION_BIO_DUMP"] != nil))
    func dumpSyntheticImages() throws {
        let dir = ProcessInfo.processInfo.environment["STATION_BIO_DUMP"]!
        for condition in SyntheticCondition.allCases {
            let image = SyntheticFingerprint().generate(condition, seed: 3)
            try Data(PNGCodec.encode(image)).write(to: URL(fileURLWithPath: "\(dir)/\(condition.rawValue).png"))
        }
    }

    @Test func deterministicAndOrientationFieldHasACore() {
        let small = SyntheticFingerprint(width: 96, height: 80)
        #expect(small.generate(.good, seed: 5) == small.generate(.good, seed: 5))
        #expect(small.generate(.good, seed: 5) != small.generate(.good, seed: 6))
        // Around a core the ridge orientation turns by π: sample a small circle around the field's singular point.
        let field = small.orientationField(seed: 5)
        let distinct = Set(stride(from: 0, to: field.count, by: 97).map { Int(field[$0] * 10) })
        #expect(distinct.count > 10)
    }

    @Test func pressSequenceEmitsEventsInOrder() async throws {
        let scanner = SimulatedScanner(script: [.good])
        try await scanner.open()
        let image = try await scanner.captureOnce()
        await scanner.close()
        #expect(image.width == 384 && image.height == 290)
        var events: [ScannerEvent] = []
        for await event in scanner.events {
            events.append(event)
            if events.count == 3 { break }
        }
        #expect(events == [.fingerOn, .imageReady(width: 384, height: 290), .fingerOff])
    }

    @Test func unplugMidCaptureIsTypedAndStaysGone() async throws {
        let scanner = SimulatedScanner()
        try await scanner.open()
        try await scanner.waitForFinger(timeout: .seconds(1))
        scanner.inject(.unplug)
        await #expect { _ = try await scanner.captureImage() } throws: {
            ($0 as? BiometricError)?.code == .deviceLost
        }
        await #expect { try await scanner.waitForFinger(timeout: .seconds(1)) } throws: {
            ($0 as? BiometricError)?.code == .deviceLost
        }
    }

    @Test func cancelStopsAWaitFromOutside() async throws {
        // Margins are wide because the whole suite shares a 2-thread cooperative pool with blocking tests (a 50 ms
        // sleep was measured taking 32 s under load); what matters is that the 300 s wait did not run out.
        let scanner = SimulatedScanner(delay: .seconds(300))
        try await scanner.open()
        let start = ContinuousClock.now
        let waiting = Task { try await scanner.waitForFinger(timeout: .seconds(600)) }
        try await Task.sleep(for: .milliseconds(50))
        scanner.cancel()
        await #expect { try await waiting.value } throws: { ($0 as? BiometricError)?.code == .cancelled }
        #expect(ContinuousClock.now - start < .seconds(150))
        // The scanner stays usable after a cancel.
        let image = try await scanner.captureImage()
        #expect(image.width == 384)
    }

    @Test func timeoutFaultIsTypedAndQuick() async throws {
        let scanner = SimulatedScanner()
        try await scanner.open()
        scanner.inject(.timeout)
        let start = ContinuousClock.now
        await #expect { try await scanner.waitForFinger(timeout: .seconds(300)) } throws: {
            ($0 as? BiometricError)?.code == .timeout
        }
        #expect(ContinuousClock.now - start < .seconds(150))  // not the full 300 s (the suite may be loaded)
    }
}
