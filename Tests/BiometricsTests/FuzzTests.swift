import Foundation
import Testing

@testable import Biometrics

/// Bounded robustness loops: mutated inputs must be refused with a typed error or parsed, never crash.
/// `STATION_FUZZ_ITERATIONS` raises the count (default 200 per parser).
@Suite struct FuzzTests {
    static let iterations = Int(ProcessInfo.processInfo.environment["STATION_FUZZ_ITERATIONS"] ?? "") ?? 200

    static func mutate(_ input: [UInt8], _ random: inout SplitMix64) -> [UInt8] {
        var bytes = input
        switch random.next() % 3 {
        case 0: bytes = Array(bytes.prefix(Int(random.next() % UInt64(bytes.count + 1))))
        case 1:
            for _ in 0..<(1 + random.next() % 8) where !bytes.isEmpty {
                bytes[Int(random.next() % UInt64(bytes.count))] = UInt8(truncatingIfNeeded: random.next())
            }
        default:
            // Header fields are where lengths live: hit the first 64 bytes hardest.
            for _ in 0..<(1 + random.next() % 4) where !bytes.isEmpty {
                bytes[Int(random.next() % UInt64(min(64, bytes.count)))] = UInt8(truncatingIfNeeded: random.next())
            }
        }
        return bytes
    }

    @Test func isoRecordParserNeverCrashes() throws {
        var random = SplitMix64(seed: 11)
        let image = FingerprintImage(width: 16, height: 12, pixels: (0..<192).map { UInt8($0) })
        let seeds = try [FingerImageRecord.Edition.iso2005, .iso2011].map {
            try RecordBuilder.record(for: image, finger: .leftRing, quality: 40, edition: $0, compression: .raw)
                .encoded()
        }
        var refused = 0
        for i in 0..<Self.iterations {
            let bytes = Self.mutate(seeds[i % 2], &random)
            do { _ = try FingerImageRecord(decoding: bytes) } catch is BiometricError { refused += 1 }
        }
        #expect(refused > 0)
    }

    @Test func pngDecoderNeverCrashes() throws {
        var random = SplitMix64(seed: 12)
        let png = try PNGCodec.encode(FingerprintImage(width: 20, height: 10, pixels: (0..<200).map { UInt8($0) }))
        var refused = 0
        for _ in 0..<Self.iterations {
            do { _ = try PNGCodec.decode(Self.mutate(png, &random)) } catch is BiometricError { refused += 1 }
        }
        #expect(refused > 0)
    }

    @Test func uruFrameDecoderNeverCrashes() async throws {
        var random = SplitMix64(seed: 13)
        var frame = [UInt8](repeating: 0x55, count: URU4000Frame.transferLength)
        frame[4] = 0x21
        frame[5] = 0x01
        frame[16] = 0x02
        frame[17] = 200
        frame[18] = 0x82
        frame[19] = 89
        for _ in 0..<max(10, Self.iterations / 10) {
            let bytes = Self.mutate(frame, &random)
            guard var parsed = try? URU4000Frame(bytes) else { continue }
            let image = try await parsed.decode(alwaysEncrypted: true) { UInt32($0) &* 0x0101_0101 }
            #expect(image.pixels.count == 384 * 290)
        }
    }
}
