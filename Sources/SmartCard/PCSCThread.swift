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

    /// Runs `body` on the thread, but gives up waiting after `timeout` seconds and throws `onTimeout` (the job itself
    /// cannot be interrupted: a blocked PC/SC call returns when pcscd does; `completed` is called then).
    func run<T: Sendable>(timeout: Double, onTimeout: SmartCardError, completed: @escaping @Sendable () -> Void = {},
                          _ body: @escaping @Sendable () throws -> T) async throws -> T {
        let once = OnceFlag()
        return try await withCheckedThrowingContinuation { continuation in
            // A cancellable timer, not a thread per call: the hot path (one per APDU) stays cheap.
            let timer = DispatchWorkItem {
                if once.claim() { continuation.resume(throwing: onTimeout) }
            }
            DispatchQueue.global().asyncAfter(deadline: .now() + timeout, execute: timer)
            submit {
                let result = Result { try body() }
                timer.cancel()
                if once.claim() { continuation.resume(with: result) }
                completed()
            }
        }
    }

    /// Lets the thread finish the queued jobs and exit.
    func stop() {
        condition.lock()
        stopping = true
        condition.signal()
        condition.unlock()
    }
}

/// A flag that can be claimed once, from any thread.
final class OnceFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var claimed = false

    /// `true` for the first caller only.
    func claim() -> Bool {
        lock.withLock {
            defer { claimed = true }
            return !claimed
        }
    }
}
