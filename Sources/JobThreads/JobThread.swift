import Foundation

/// One dedicated OS thread that runs jobs one at a time, in submission order: the PC/SC calls of a context or card
/// connection, every libusb call of a `USBContext`, the record encodings of a `RecordEncodingQueue`. Blocking C calls
/// never run on Swift's cooperative pool, where a few blocked calls would starve every task in the process. Nothing
/// queued is dropped: `stop` lets the queued jobs run first, and a job queued after the thread has ended runs on the
/// caller's thread. The thread keeps this object alive until it has drained and ended.
package final class JobThread: @unchecked Sendable {
    private let condition = NSCondition()
    private var jobs: [() -> Void] = []
    private var stopping = false
    private var finished = false
    /// Weak: the running thread holds its `Thread`, whose closure holds this queue until the thread ends.
    private weak var thread: Thread?
    /// Called when the queue is empty, at most every `idleInterval`: used for hot-plug event delivery.
    private let idle: (@Sendable () -> Void)?
    private let idleInterval: TimeInterval

    /// Starts the thread; `stackSize` in bytes when the default is not wanted.
    package init(
        name: String, stackSize: Int? = nil, idleInterval: TimeInterval = 0.5,
        idle: (@Sendable () -> Void)? = nil
    ) {
        self.idle = idle
        self.idleInterval = idleInterval
        let thread = Thread { self.run() }  // the thread owns its queue until it ends
        thread.name = name
        if let stackSize { thread.stackSize = stackSize }
        self.thread = thread
        thread.start()
    }

    /// Runs `body` on this thread and returns its result to the awaiting task.
    package func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, Error>) in
            enqueue {
                do { continuation.resume(returning: try body()) } catch { continuation.resume(throwing: error) }
            }
        }
    }

    /// Runs `body` on this thread and waits for it (only for use from non-async contexts, e.g. `deinit`).
    package func runBlocking(_ body: @escaping @Sendable () -> Void) {
        if Thread.current === thread {
            body()
            return
        }
        let done = DispatchSemaphore(value: 0)
        enqueue {
            body()
            done.signal()
        }
        done.wait()
    }

    /// Queues `job` and returns at once. After the thread has ended, the job runs on the caller's thread.
    package func enqueue(_ job: @escaping () -> Void) {
        condition.lock()
        if stopping && finished {
            condition.unlock()
            job()
            return
        }
        jobs.append(job)
        condition.signal()
        condition.unlock()
    }

    /// Queues `body` and returns at once; the result is collected from the returned value. Waiting gives up after
    /// `timeout` seconds with `onTimeout` (the job itself cannot be interrupted: a blocked C call returns when it
    /// does; `completed` is called then); `timedOut` runs as the timer fires, before the caller sees the timeout.
    package func start<T: Sendable>(
        timeout: Double, onTimeout: any Error,
        timedOut: @escaping @Sendable () -> Void = {},
        completed: @escaping @Sendable () -> Void = {},
        _ body: @escaping @Sendable () throws -> T
    ) -> PendingResult<T> {
        let pending = PendingResult<T>()
        // A cancellable timer, not a thread per call: the hot path (one per APDU) stays cheap.
        let timer = DispatchWorkItem { pending.fulfil(.failure(onTimeout), first: timedOut) }
        DispatchQueue.global().asyncAfter(deadline: .now() + timeout, execute: timer)
        enqueue {
            let result = Result { try body() }
            timer.cancel()
            pending.fulfil(result)
            completed()
        }
        return pending
    }

    /// Stops the thread after the queued jobs have run; with `waiting`, returns only once they have.
    package func stop(waiting: Bool = true) {
        condition.lock()
        stopping = true
        condition.signal()
        // Called from the thread itself (its owner released inside a job): it ends after this job.
        while waiting && !finished && Thread.current !== thread { condition.wait() }
        condition.unlock()
    }

    private func run() {
        while true {
            condition.lock()
            while jobs.isEmpty && !stopping {
                if idle != nil {
                    if !condition.wait(until: Date(timeIntervalSinceNow: idleInterval)) { break }
                } else {
                    condition.wait()
                }
            }
            if jobs.isEmpty && stopping {
                finished = true
                condition.broadcast()
                condition.unlock()
                return
            }
            let job = jobs.isEmpty ? nil : jobs.removeFirst()
            condition.unlock()
            if let job { job() } else { idle?() }
        }
    }
}
