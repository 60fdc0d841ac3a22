import Biometrics
import Foundation

/// The benchmark's scanner: a press is always there, each frame takes the recorded device's capture time, then is
/// de-obfuscated and oriented as the U.are.U driver does (fixed frame key: the key exchange is USB time, not ours);
/// the finger lifts at once. Notes when each frame's last byte "arrived", and times the same stages alone just
/// before (the floor, in the same conditions).
final class BenchmarkScanner: FingerprintScanner, @unchecked Sendable {
    let deviceID = "bench:0"
    let profile: DeviceProfile
    let events: AsyncStream<ScannerEvent>
    private let frame: [UInt8]
    private let deviceCapture: Duration
    private let lock = NSLock()
    private var _arrivals: [ContinuousClock.Instant] = []
    private var _floors: [Duration] = []
    private let assessor = QualityAssessor()

    init(frame: [UInt8], profile: DeviceProfile, deviceCapture: Duration) {
        self.frame = frame
        self.profile = profile
        self.deviceCapture = deviceCapture
        events = AsyncStream { $0.finish() }
    }

    /// When each frame's last byte arrived, in order.
    var arrivals: [ContinuousClock.Instant] { lock.withLock { _arrivals } }
    /// De-obfuscation + orientation + quality alone, timed before each frame arrives (the floor).
    var floors: [Duration] { lock.withLock { _floors } }
    /// The latest of `arrivals`.
    var lastFrameArrived: ContinuousClock.Instant { lock.withLock { _arrivals.last ?? .now } }

    func open() async throws {}
    func waitForFinger(timeout: Duration) async throws {}

    func captureImage() async throws -> FingerprintImage {
        try await Task.sleep(for: deviceCapture)
        // The floor, in the same conditions just before the frame "arrives": the decision stages alone, serially.
        let start = ContinuousClock.now
        var copy = try URU4000Frame(frame)
        let raw = try await copy.decode(alwaysEncrypted: true) { _ in 0x1234_5678 }
        _ = assessor.assess(profile.orientation.apply(raw))
        let floor = ContinuousClock.now - start
        let arrived = ContinuousClock.now
        lock.withLock { _floors.append(floor) }
        lock.withLock { _arrivals.append(arrived) }
        var decoded = try URU4000Frame(frame)
        return profile.orientation.apply(try await decoded.decode(alwaysEncrypted: true) { _ in 0x1234_5678 })
    }

    func waitForRemoval(timeout: Duration) async throws {}
    func cancel() {}
    func close() async {}
}

/// Instants noted from any thread.
final class TimeLog: @unchecked Sendable {
    private let lock = NSLock()
    private var instants: [ContinuousClock.Instant] = []

    func mark() {
        let now = ContinuousClock.now
        lock.withLock { instants.append(now) }
    }

    var all: [ContinuousClock.Instant] { lock.withLock { instants } }
    var last: ContinuousClock.Instant { lock.withLock { instants.last ?? .now } }
}

/// An encoder that notes when each record is done (on the encoding thread).
struct TimedEncoder: CaptureRecordEncoder {
    let inner: any CaptureRecordEncoder
    let log: TimeLog

    func encode(_ image: FingerprintImage, finger: FingerPositionCode, quality: Int, captureDate: Date) throws
        -> [UInt8]
    {
        defer { log.mark() }
        return try inner.encode(image, finger: finger, quality: quality, captureDate: captureDate)
    }
}
