import Foundation

/// Why the scanner asks for another attempt.
public enum RetryReason: String, Sendable, Hashable, Codable {
    /// The finger was lifted too early or the frame was incomplete.
    case tooShort = "too-short"
    /// The finger is not centred on the platen.
    case centerFinger = "center-finger"
    /// Lift the finger and place it again.
    case removeFinger = "remove-finger"
    /// The image was not good enough (see the quality advice).
    case lowQuality = "low-quality"
}

/// Something the scanner reports while it works.
public enum ScannerEvent: Sendable, Hashable {
    /// A finger was detected on the platen.
    case fingerOn
    /// The finger was lifted.
    case fingerOff
    /// An image was captured (no pixels here: events may be logged).
    case imageReady(width: Int, height: Int)
    /// The capture flow asks for another attempt.
    case retry(RetryReason)
    /// The device went away.
    case deviceLost
}

/// What every fingerprint scanner driver offers: the steps of a press capture, each cancellable with the
/// calling task, plus an event stream. Images returned are already oriented by the device profile (ridges dark,
/// fingertip up, as seen from the fingertip).
public protocol FingerprintScanner: AnyObject, Sendable {
    /// Stable id of this scanner on this station, e.g. `usb:05ba:000a@1-10` or `sim:0`.
    var deviceID: String { get }
    /// The profile the driver was chosen by.
    var profile: DeviceProfile { get }
    /// Events in order. One consumer.
    var events: AsyncStream<ScannerEvent> { get }

    /// Opens, claims and initialises the device.
    func open() async throws
    /// Returns when a finger is on the platen.
    func waitForFinger(timeout: Duration) async throws
    /// Captures one frame (finger already present) and returns the oriented image.
    func captureImage() async throws -> FingerprintImage
    /// Returns when the finger has been lifted.
    func waitForRemoval(timeout: Duration) async throws
    /// Cancels whatever wait or capture is in progress (it ends with `biometric.cancelled`). The device stays open.
    func cancel()
    /// Stops the device and releases it. Idempotent.
    func close() async
}

extension FingerprintScanner {
    /// The whole press sequence: wait for a finger, capture, wait for removal. Events follow the steps. Strict: a
    /// removal timeout is thrown. `CaptureFlow` runs the steps itself and keeps an image whose finger stayed on.
    public func captureOnce(
        fingerTimeout: Duration = .seconds(30),
        removalTimeout: Duration = .seconds(10)
    ) async throws -> FingerprintImage {
        try await waitForFinger(timeout: fingerTimeout)
        let image = try await captureImage()
        try await waitForRemoval(timeout: removalTimeout)
        return image
    }
}

/// The event side shared by drivers: an `AsyncStream` and its continuation.
public final class ScannerEventHub: Sendable {
    /// The stream handed to the consumer.
    public let stream: AsyncStream<ScannerEvent>
    private let continuation: AsyncStream<ScannerEvent>.Continuation

    /// Builds a hub buffering up to 64 events.
    public init() {
        (stream, continuation) = AsyncStream<ScannerEvent>.makeStream(bufferingPolicy: .bufferingNewest(64))
    }

    /// Publishes an event.
    public func emit(_ event: ScannerEvent) { continuation.yield(event) }

    /// Ends the stream.
    public func finish() { continuation.finish() }
}

/// Where a driver's encryption seeds come from. The U.are.U protocol mixes a host-chosen 32-bit seed into the frame
/// key; replaying a recording needs the seed the recording was made with, so it is injectable.
public final class SeedSource: @unchecked Sendable {
    private let lock = NSLock()
    private var queued: [UInt32]

    /// Returns `seeds` in order, then random values.
    public init(_ seeds: [UInt32] = []) { queued = seeds }

    /// The next seed.
    public func next() -> UInt32 {
        lock.lock()
        defer { lock.unlock() }
        if !queued.isEmpty { return queued.removeFirst() }
        return UInt32.random(in: .min ... .max)
    }
}

/// Runs a driver's operations as tasks so `cancelAll()` (the scanner's `cancel()`) can stop whichever is in
/// progress from anywhere; cancelling the calling task works too.
public final class OperationCanceller: @unchecked Sendable {
    private let lock = NSLock()
    private var cancellers: [UInt64: @Sendable () -> Void] = [:]
    private var counter: UInt64 = 0

    /// Builds an empty canceller.
    public init() {}

    /// Runs `body`; it is cancelled by `cancelAll()` or by cancellation of the caller.
    public func run<T: Sendable>(_ body: @escaping @Sendable () async throws -> T) async throws -> T {
        let task = Task { try await body() }
        let id: UInt64 = lock.withLock {
            counter += 1
            cancellers[counter] = { task.cancel() }
            return counter
        }
        defer { lock.withLock { cancellers[id] = nil } }
        do {
            return try await withTaskCancellationHandler {
                try await task.value
            } onCancel: {
                task.cancel()
            }
        } catch is CancellationError {
            throw BiometricError(.cancelled, "operation cancelled")
        }
    }

    /// Cancels every operation in progress.
    public func cancelAll() {
        let all = lock.withLock { Array(cancellers.values) }
        for cancel in all { cancel() }
    }
}
