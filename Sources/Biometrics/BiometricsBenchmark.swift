import Foundation

/// Per-image processing cost, for `station-bench`.
public enum BiometricsBenchmark {
    /// Timing of one benchmark run (milliseconds per image, per stage).
    public struct Result: Sendable, CustomStringConvertible {
        /// Images processed.
        public var iterations: Int
        /// Frame de-obfuscation (384×290 U.are.U frame, all blocks encrypted).
        public var deobfuscationMS: Double
        /// Inversion and flips from the profile.
        public var orientationMS: Double
        /// Quality assessment (OCL, LCS, area, contrast).
        public var qualityMS: Double
        /// JPEG 2000 lossless encoding.
        public var jpeg2000MS: Double
        /// ISO/IEC 19794-4:2011 record assembly and serialisation around the JP2 data.
        public var isoRecordMS: Double
        /// Sum of the stages.
        public var totalMS: Double { deobfuscationMS + orientationMS + qualityMS + jpeg2000MS + isoRecordMS }

        public var description: String {
            String(format: "biometrics per image (384x290, n=%d): total %.1f ms = deobfuscate %.1f + orient %.1f + "
                   + "quality %.1f + JPEG2000 %.1f + ISO %.2f", iterations, totalMS, deobfuscationMS, orientationMS,
                   qualityMS, jpeg2000MS, isoRecordMS)
        }
    }

    /// Processes `iterations` synthetic 384×290 frames through the whole per-image path and returns mean times.
    public static func perImageProcessing(iterations: Int = 5) async throws -> Result {
        let generator = SyntheticFingerprint()
        let source = generator.generate(.good, seed: 7)
        let profile = DeviceProfile(id: "bench", name: "bench", vendorID: "05ba", productID: "000a", driver: "uru4000",
                                    width: 384, height: 290, resolutionPPI: 500,
                                    orientation: .init(inverted: true, flipHorizontal: true, flipVertical: true))
        // A frame header with 289 rows in one encrypted block, then the image bytes.
        var frameBytes = [UInt8](repeating: 0, count: URU4000Frame.transferLength)
        frameBytes[4] = 0x21; frameBytes[5] = 0x01
        frameBytes[16] = 0x02; frameBytes[17] = 255
        frameBytes[18] = 0x02; frameBytes[19] = 34
        frameBytes.replaceSubrange(64..<(64 + source.pixels.count), with: source.pixels)
        let clock = ContinuousClock()
        var times = [Duration](repeating: .zero, count: 5)
        let assessor = QualityAssessor()
        for _ in 0..<max(1, iterations) {
            var start = clock.now
            var frame = try URU4000Frame(frameBytes)
            let raw = try await frame.decode(alwaysEncrypted: true) { _ in 0x1234_5678 }
            times[0] += clock.now - start
            start = clock.now
            let image = profile.orientation.apply(raw)
            times[1] += clock.now - start
            start = clock.now
            let report = assessor.assess(image)
            times[2] += clock.now - start
            start = clock.now
            let jp2 = try JPEG2000Codec.encodeLossless(image)
            times[3] += clock.now - start
            start = clock.now
            let view = FingerView(position: .rightIndex, quality: UInt8(report.score), width: image.width,
                                  height: image.height, imageData: jp2)
            _ = try FingerImageRecord(edition: .iso2011, compression: .jpeg2000Lossless, views: [view]).encoded()
            times[4] += clock.now - start
        }
        let ms = times.map { Double($0.components.seconds) * 1000 + Double($0.components.attoseconds) / 1e15 }
            .map { $0 / Double(max(1, iterations)) }
        return Result(iterations: max(1, iterations), deobfuscationMS: ms[0], orientationMS: ms[1], qualityMS: ms[2],
                      jpeg2000MS: ms[3], isoRecordMS: ms[4])
    }
}
