import Foundation

/// One dedicated OS thread that runs every libusb call of a context, one job at a time.
///
/// Why one thread and jobs: libusb is driven by polling its file descriptors. If a free-running event loop reaped
/// completions while a driver was still about to submit its next request, a replayed recording (umockdev) could move
/// past that request, and a real device could see requests in an order the driver did not intend. Here events are
/// pumped only inside a job that waits for something, and the next request is submitted before anything else is
/// reaped: the driver's order is the wire order. Blocking C calls never run on Swift's cooperative pool.
final class USBThread: @unchecked Sendable {
    private let condition = NSCondition()
    private var jobs: [() -> Void] = []
    private var stopping = false
    private var finished = false
    private var thread: Thread?
    /// Called when the queue is empty, at most every `idleInterval`: used for hot-plug event delivery.
    private let idle: (@Sendable () -> Void)?
    private let idleInterval: TimeInterval

    init(name: String, idleInterval: TimeInterval = 0.5, idle: (@Sendable () -> Void)? = nil) {
        self.idle = idle
        self.idleInterval = idleInterval
        let thread = Thread { [unowned self] in self.run() }
        thread.name = name
        self.thread = thread
        thread.start()
    }

    /// Runs `body` on the USB thread and returns its result to the awaiting task.
    func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, Error>) in
            enqueue {
                do { continuation.resume(returning: try body()) } catch { continuation.resume(throwing: error) }
            }
        }
    }

    /// Runs `body` on the USB thread and waits for it (only for use from non-async contexts, e.g. `deinit`).
    func runBlocking(_ body: @escaping @Sendable () -> Void) {
        if Thread.current === thread { body(); return }
        let done = DispatchSemaphore(value: 0)
        enqueue { body(); done.signal() }
        done.wait()
    }

    private func enqueue(_ job: @escaping () -> Void) {
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

    /// Stops the thread after the queued jobs have run.
    func stop() {
        condition.lock()
        stopping = true
        condition.signal()
        // Called from the thread itself (its owner released inside a job): it ends after this job.
        while !finished && Thread.current !== thread { condition.wait() }
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
