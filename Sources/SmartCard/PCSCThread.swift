import Foundation

/// A dedicated OS thread that runs blocking PC/SC calls one after another.
///
/// PC/SC calls block (a transmit waits for the card, `SCardGetStatusChange` waits for events), so they must not run on
/// Swift's cooperative pool, where a few blocked calls would starve every task in the process. Each context and each
/// card connection owns one of these threads; async callers suspend on a continuation until their job has run.
final class PCSCThread: @unchecked Sendable {
    private let condition = NSCondition()
    private var jobs: [() -> Void] = []
    private var stopping = false

    /// Starts the thread.
    init(name: String) {
        let thread = Thread { [self] in self.loop() }
        thread.name = name
        thread.stackSize = 512 * 1024
        thread.start()
    }

    private func loop() {
        while true {
            condition.lock()
            while jobs.isEmpty && !stopping { condition.wait() }
            if jobs.isEmpty && stopping {
                condition.unlock()
                return
            }
            let job = jobs.removeFirst()
            condition.unlock()
            job()
        }
    }

    /// Queues a job; jobs run in order.
    func submit(_ job: @escaping () -> Void) {
        condition.lock()
        jobs.append(job)
        condition.signal()
        condition.unlock()
    }

    /// Runs `body` on the thread and returns its result to the async caller.
    func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            submit { continuation.resume(with: Result { try body() }) }
        }
    }

    /// Queues `body` on the thread and returns at once; the result is collected from the returned value. Waiting
    /// gives up after `timeout` seconds with `onTimeout` (the job itself cannot be interrupted: a blocked PC/SC call
    /// returns when pcscd does; `completed` is called then); `timedOut` runs as the timer fires, before the caller
    /// sees the timeout.
    func start<T: Sendable>(timeout: Double, onTimeout: SmartCardError, timedOut: @escaping @Sendable () -> Void = {},
                            completed: @escaping @Sendable () -> Void = {},
                            _ body: @escaping @Sendable () throws -> T) -> PendingResult<T> {
        let pending = PendingResult<T>()
        // A cancellable timer, not a thread per call: the hot path (one per APDU) stays cheap.
        let timer = DispatchWorkItem { pending.fulfil(.failure(onTimeout), first: timedOut) }
        DispatchQueue.global().asyncAfter(deadline: .now() + timeout, execute: timer)
        submit {
            let result = Result { try body() }
            timer.cancel()
            pending.fulfil(result)
            completed()
        }
        return pending
    }

    /// Lets the thread finish the queued jobs and exit.
    func stop() {
        condition.lock()
        stopping = true
        condition.signal()
        condition.unlock()
    }
}

/// A result that one thread fills in once and any number of async callers await: the answer of a job queued on a
/// `PCSCThread`, collected after the caller has done other work.
final class PendingResult<T: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var result: Result<T, any Error>?
    private var waiters: [CheckedContinuation<T, any Error>] = []

    /// Sets the result if none was set yet, runs `first` before any caller can see it, and wakes every waiter;
    /// `false` when it was already set.
    @discardableResult
    func fulfil(_ value: Result<T, any Error>, first: () -> Void = {}) -> Bool {
        lock.lock()
        guard result == nil else {
            lock.unlock()
            return false
        }
        first()
        result = value
        let waiting = waiters
        waiters = []
        lock.unlock()
        for waiter in waiting { waiter.resume(with: value) }
        return true
    }

    /// The result, once it is there.
    func value() async throws -> T {
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
