import Biometrics
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
        /// OpenJPEG threads used for `jpeg2000MS`.
        public var jpeg2000Threads: Int = 1
        /// The same encoding with one thread (the codestream is identical), for comparison.
        public var jpeg2000SingleThreadMS: Double = 0
        /// Process CPU time per image over the whole serial path (all threads, so multi-threaded encoding counts in
        /// full).
        public var cpuMS: Double = 0
        /// Sum of the stages.
        public var totalMS: Double { deobfuscationMS + orientationMS + qualityMS + jpeg2000MS + isoRecordMS }
        /// The stages before the accept/retry decision: de-obfuscation, orientation, quality.
        public var decisionMS: Double { deobfuscationMS + orientationMS + qualityMS }

        public var description: String {
            String(
                format: "biometrics per image (384x290, n=%d), serial: total %.1f ms wall = deobfuscate %.1f + "
                    + "orient %.1f + quality %.1f + JPEG2000 %.1f (%d threads; 1 thread: %.1f) + ISO %.2f; CPU %.1f ms",
                iterations, totalMS, deobfuscationMS, orientationMS, qualityMS, jpeg2000MS, jpeg2000Threads,
                jpeg2000SingleThreadMS, isoRecordMS, cpuMS)
        }
    }

    /// The capture flow end to end with the record encoded concurrently (`CaptureFlow.runPipelined`).
    public struct PipelineResult: Sendable, CustomStringConvertible {
        /// Captures run (one accepted press each).
        public var captures: Int
        /// Last image byte in → image + accept/retry decision available (de-obfuscation, orientation, quality and
        /// the flow), with earlier records still encoding: median and worst, ms.
        public var decisionMedianMS: Double
        /// See `decisionMedianMS`.
        public var decisionMaxMS: Double
        /// Last image byte in → record bytes encoded on the record thread (median, ms).
        public var recordReadyMedianMS: Double
        /// Floor: the same de-obfuscation + orientation + quality alone, serially, timed by the scanner just before
        /// each frame arrives (median, ms).
        public var floorMedianMS: Double

        public var description: String {
            String(
                format: "pipelined capture flow (n=%d): last image byte → image + decision median %.1f ms "
                    + "(max %.1f; floor, the same stages serially: %.1f); record ready %.1f ms after the last byte, "
                    + "encoded concurrently with the next press", captures,
                decisionMedianMS, decisionMaxMS, floorMedianMS, recordReadyMedianMS)
        }
    }

    /// A U.are.U 4500 frame (header with 289 rows in one encrypted block, then the pixels) and the bench profile.
    static func benchFrame() -> ([UInt8], DeviceProfile) {
        let source = SyntheticFingerprint().generate(.good, seed: 7)
        let profile = DeviceProfile(
            id: "bench", name: "bench", vendorID: "05ba", productID: "000a", driver: "uru4000",
            width: 384, height: 290, resolutionPPI: 500,
            orientation: .init(inverted: true, flipHorizontal: true, flipVertical: true))
        var frameBytes = [UInt8](repeating: 0, count: URU4000Frame.transferLength)
        frameBytes[4] = 0x21
        frameBytes[5] = 0x01
        frameBytes[16] = 0x02
        frameBytes[17] = 255
        frameBytes[18] = 0x02
        frameBytes[19] = 34
        frameBytes.replaceSubrange(64..<(64 + source.pixels.count), with: source.pixels)
        return (frameBytes, profile)
    }

    /// Runs `captures` presses through `CaptureFlow.runPipelined` on a scanner that takes `deviceCapture` per frame
    /// (the recorded device's time, slept) and then de-obfuscates and orients it as the U.are.U driver does; the
    /// finger lifts at once and the next press follows, so each record's encoding overlaps the next capture.
    public static func pipelinedCapture(captures: Int = 20, deviceCapture: Duration) async throws -> PipelineResult {
        let (frameBytes, profile) = benchFrame()
        let scanner = BenchmarkScanner(frame: frameBytes, profile: profile, deviceCapture: deviceCapture)
        let queue = RecordEncodingQueue(name: "station-bench.record-encoding")
        let encoded = TimeLog()  // when each record is done, on the encoding thread
        let encoder = TimedEncoder(inner: ISORecordEncoder(), log: encoded)
        let flow = CaptureFlow(policy: CapturePolicy(threshold: 0, maxAttempts: 1))
        var decisions: [Double] = []
        var pending: [PendingRecordEncoding] = []
        let decided = TimeLog()
        for _ in 0..<max(1, captures) {
            let result = try await flow.runPipelined(
                on: scanner, finger: .rightIndex, encoder: encoder, queue: queue,
                decided: { _ in decided.mark() })
            decisions.append(milliseconds(decided.last - scanner.lastFrameArrived))
            pending.append(result.encoding)  // not awaited: it encodes while the next press is captured
        }
        for encoding in pending { _ = try await encoding.value() }
        let ready = zip(encoded.all, scanner.arrivals).map { milliseconds($0 - $1) }
        let floor = scanner.floors.map { milliseconds($0) }
        return PipelineResult(
            captures: max(1, captures), decisionMedianMS: median(decisions),
            decisionMaxMS: decisions.max() ?? 0, recordReadyMedianMS: median(ready),
            floorMedianMS: median(floor))
    }

    static func milliseconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) * 1000 + Double(duration.components.attoseconds) / 1e15
    }

    static func median(_ values: [Double]) -> Double {
        guard !values.isEmpty else { return 0 }
        return values.sorted()[values.count / 2]
    }

    /// Processes `iterations` synthetic 384×290 frames through the whole per-image path and returns mean times.
    public static func perImageProcessing(iterations: Int = 5) async throws -> Result {
        let (frameBytes, profile) = benchFrame()
        let clock = ContinuousClock()
        var times = [Duration](repeating: .zero, count: 6)
        let assessor = QualityAssessor()
        let cpuStart = processCPUTime()
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
            let view = FingerView(
                position: .rightIndex, quality: UInt8(report.score), width: image.width,
                height: image.height, imageData: jp2)
            _ = try FingerImageRecord(edition: .iso2011, compression: .jpeg2000Lossless, views: [view]).encoded()
            times[4] += clock.now - start
        }
        let cpu = processCPUTime() - cpuStart
        let image = profile.orientation.apply(
            try await {
                var frame = try URU4000Frame(frameBytes)
                return try await frame.decode(alwaysEncrypted: true) { _ in 0x1234_5678 }
            }())
        for _ in 0..<max(1, iterations) {
            let start = clock.now
            _ = try JPEG2000Codec.encodeLossless(image, threads: 1)
            times[5] += clock.now - start
        }
        let ms = times.map { milliseconds($0) / Double(max(1, iterations)) }
        return Result(
            iterations: max(1, iterations), deobfuscationMS: ms[0], orientationMS: ms[1], qualityMS: ms[2],
            jpeg2000MS: ms[3], isoRecordMS: ms[4], jpeg2000Threads: JPEG2000Codec.defaultThreads,
            jpeg2000SingleThreadMS: ms[5], cpuMS: cpu * 1000 / Double(max(1, iterations)))
    }

    /// CPU seconds used by the whole process so far.
    static func processCPUTime() -> Double {
        var spec = timespec()
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &spec)
        return Double(spec.tv_sec) + Double(spec.tv_nsec) / 1e9
    }
}
