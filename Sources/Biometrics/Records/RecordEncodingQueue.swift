import Foundation
import JobThreads

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
public final class PendingRecordEncoding: Sendable {
    private let result = PendingResult<[UInt8]>()

    init() {}

    /// Whether the encoding has ended (successfully or not).
    public var isFinished: Bool { result.isFulfilled }

    /// The record bytes, once encoded; an encoding failure is thrown as its `BiometricError`. Any number of
    /// callers may await it.
    public func value() async throws -> [UInt8] { try await result.value() }

    func finish(_ outcome: Result<[UInt8], BiometricError>) { result.fulfil(outcome.mapError { $0 }) }
}
