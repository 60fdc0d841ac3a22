import Foundation

/// A result that one thread fills in once and any number of async callers await: the answer of a job queued on a
/// `JobThread` (a card exchange, a record encoding), collected after the caller has done other work.
package final class PendingResult<T: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var result: Result<T, any Error>?
    private var waiters: [CheckedContinuation<T, any Error>] = []

    /// An empty result.
    package init() {}

    /// Whether the result has been set.
    package var isFulfilled: Bool { lock.withLock { result != nil } }

    /// Sets the result if none was set yet, runs `first` before any caller can see it, and wakes every waiter. A
    /// second result is ignored.
    package func fulfil(_ value: Result<T, any Error>, first: () -> Void = {}) {
        lock.lock()
        guard result == nil else {
            lock.unlock()
            return
        }
        first()
        result = value
        let waiting = waiters
        waiters = []
        lock.unlock()
        for waiter in waiting { waiter.resume(with: value) }
    }

    /// The result, once it is there.
    package func value() async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            lock.lock()
            if let result {
                lock.unlock()
                continuation.resume(with: result)
            } else {
                waiters.append(continuation)
                lock.unlock()
            }
        }
    }
}
