import Foundation

/// One dedicated OS thread that encodes capture records (JPEG 2000 + ISO/IEC 19794-4) one job at a time, so the
/// capture flow can hand back the image and its quality decision at once while the record is built during the
/// finger-removal wait or the next press. Blocking C calls (OpenJPEG) never run on Swift's cooperative pool.
///
/// Nothing is dropped: jobs submitted before the queue is released still run, and every job ends its
/// `PendingRecordEncoding` with the bytes or a typed `BiometricError`.
public final class RecordEncodingQueue: Sendable {
    private let thread: JobThread

    /// Starts the thread.
    public init(name: String = "stationd.record-encoding") {
        thread = JobThread(name: name)
    }

    deinit { thread.stop(waiting: false) }  // queued encodings still run; their waiters get their records

    /// Queues `body` and returns at once; the result is awaited with `PendingRecordEncoding.value()`. A thrown
    /// error that is not a `BiometricError` becomes `biometric.format`.
    public func submit(_ body: @escaping @Sendable () throws -> [UInt8]) -> PendingRecordEncoding {
        let pending = PendingRecordEncoding()
        thread.enqueue {
            do {
                pending.finish(.success(try body()))
            } catch let error as BiometricError {
                pending.finish(.failure(error))
            } catch {
                pending.finish(.failure(BiometricError(.format, "record encoding failed (\(type(of: error)))")))
            }
        }
        return pending
    }
}

/// A record being encoded on the `RecordEncodingQueue`: await `value()` where the bytes are needed.
public final class PendingRecordEncoding: @unchecked Sendable {
    private let lock = NSLock()
    private var result: Result<[UInt8], BiometricError>?
    private var waiters: [CheckedContinuation<[UInt8], Error>] = []

    init() {}

    /// Whether the encoding has ended (successfully or not).
    public var isFinished: Bool { lock.withLock { result != nil } }

    /// The record bytes, once encoded; an encoding failure is thrown as its `BiometricError`. Any number of
    /// callers may await it.
    public func value() async throws -> [UInt8] {
        try await withCheckedThrowingContinuation { continuation in
            let ready: Result<[UInt8], BiometricError>? = lock.withLock {
                if result == nil { waiters.append(continuation) }
                return result
            }
            if let ready { continuation.resume(with: ready) }
        }
    }

    func finish(_ outcome: Result<[UInt8], BiometricError>) {
        let waiting: [CheckedContinuation<[UInt8], Error>] = lock.withLock {
            guard result == nil else { return [] }
            result = outcome
            defer { waiters = [] }
            return waiters
        }
        for waiter in waiting { waiter.resume(with: outcome) }
    }
}
