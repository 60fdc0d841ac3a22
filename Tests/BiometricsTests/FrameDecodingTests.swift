import Foundation
import Testing

@testable import Biometrics

@Suite struct FrameDecodingTests {
    @Test func lfsrStepMatchesParityDefinition() {
        // New top bit = parity of (key & taps); the rest shifts right.
        for key: UInt32 in [0, 1, 0x51EA_2124, 0xFFFF_FFFF, 0x8000_0000, 0x9248_144D] {
            let parity = (key & 0x9248_144D).nonzeroBitCount & 1
            #expect(URU4000Frame.nextKey(key) == (UInt32(parity) << 31 | key >> 1))
        }
        #expect(URU4000Frame.xorByte(0) == 0)
        #expect(URU4000Frame.xorByte(1 << 4) == 0x01)
        #expect(URU4000Frame.xorByte(1 << 29) == 0x80)
        #expect(URU4000Frame.xorByte(0xFFFF_FFFF) == 0xFF)
    }

    @Test func headerRejectsTooManyRows() {
        var bytes = [UInt8](repeating: 0, count: 64 + 10)
        bytes[4] = 0x22
        bytes[5] = 0x01  // 290 rows: not allowed (must be < 290)
        #expect(throws: BiometricError.self) { try URU4000Frame(bytes) }
    }

    /// The recorded frame decodes (without USB) to capture.png with the recorded seed, and not with another one.
    @Test(.enabled(if: Fixtures.available, "fixtures missing"))
    func recordedFrameDecodesOnlyWithRecordedSeed() async throws {
        let capture = USBMonCapture(try Fixtures.bytes("uru4000-4500/capture.pcapng"))
        let frameBytes = try #require(capture.packets.first { $0.eventType == "C" && $0.transferType == 3 }).payload
        let keyIndex = try #require(capture.packets.firstIndex { $0.setup.starts(with: [0xC0, 0x04, 0x34]) })
        let deviceKeyBytes = try #require(capture.packets[(keyIndex + 1)...].first { $0.eventType == "C" }).payload
        let deviceKey = deviceKeyBytes.enumerated()
            .reduce(UInt32(0)) { $0 | UInt32($1.element) << (8 * UInt32($1.offset)) }
        let profile = try #require(
            try DeviceProfileCatalog(directory: Fixtures.profiles)
                .profile(vendor: 0x05BA, product: 0x000A))
        let expected = try Fixtures.expectedImage("uru4000-4500")
        for (seed, shouldMatch) in [(UInt32(0x51EA_2124), true), (UInt32(0x1234_5678), false)] {
            var frame = try URU4000Frame(frameBytes)
            #expect(frame.rowCount == 289)
            let raw = try await frame.decode(alwaysEncrypted: true) { _ in
                // The device answers the same key for a given index; the host's seed is mixed in.
                deviceKey ^ seed ^ (shouldMatch ? 0 : 0x0BAD_F00D)
            }
            let image = profile.orientation.apply(raw)
            #expect((image.pixels == expected.pixels) == shouldMatch)
        }
    }
}
