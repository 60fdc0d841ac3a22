import Foundation
import JobThreads
import Synchronization
import Testing

@testable import SmartCard

@Suite("Job thread (PC/SC, libusb): queued jobs and their pending results")
struct JobThreadTests {
    @Test("queued jobs run in order; results can be collected later, in any order")
    func inOrder() async throws {
        let thread = JobThread(name: "test.pcsc.order")
        defer { thread.stop() }
        let order = Mutex<[Int]>([])
        let timeout = SmartCardError(.cardUnresponsive, reason: "test")
        let jobs = (0..<5).map { index in
            thread.start(timeout: 10, onTimeout: timeout) { () -> Int in
                order.withLock { $0.append(index) }
                return index * index
            }
        }
        for (index, job) in jobs.enumerated().reversed() { #expect(try await job.value() == index * index) }
        #expect(order.withLock { $0 } == [0, 1, 2, 3, 4])
        // A result can be awaited twice (a drained answer and a late caller see the same value).
        #expect(try await jobs[2].value() == 4)
    }

    @Test("a job that outlasts its timeout: the caller gets the timeout, the late result is ignored")
    func timeout() async throws {
        let thread = JobThread(name: "test.pcsc.timeout")
        defer { thread.stop() }
        let timedOut = Mutex(false)
        let completed = Mutex(false)
        let release = DispatchSemaphore(value: 0)
        let job = thread.start(
            timeout: 0.05, onTimeout: SmartCardError(.cardUnresponsive, reason: "slow card"),
            timedOut: { timedOut.withLock { $0 = true } },
            completed: { completed.withLock { $0 = true } }
        ) { () -> Int in
            release.wait()
            return 1
        }
        do {
            _ = try await job.value()
            Issue.record("no timeout")
        } catch let error as SmartCardError {
            #expect(error.code == .cardUnresponsive)
        }
        #expect(timedOut.withLock { $0 } && !completed.withLock { $0 })
        release.signal()
        let after = thread.start(timeout: 10, onTimeout: SmartCardError(.cardUnresponsive, reason: "x")) { 2 }
        #expect(try await after.value() == 2)
        #expect(completed.withLock { $0 })
        await #expect(throws: SmartCardError.self) { try await job.value() }  // the late 1 did not replace it
    }
}
