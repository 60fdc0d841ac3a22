import CPCSC
import Foundation
import JobThreads
import Logging
import Retry

extension Backoff {
    /// Re-establishing the PC/SC context: 100 ms doubling to 2 s, no jitter (pcscd is local; nobody to collide
    /// with): a restarted pcscd is found within about a second.
    public static let pcscReconnect = Backoff(base: 0.1, cap: 2, jitter: .none)
}

/// Reader and card events as an `AsyncSequence`, from `SCardGetStatusChange` on a dedicated thread.
///
/// It watches every reader plus `\\?PnP?\Notification` (hot-plug). When pcscd dies it reports
/// `.serviceUnavailable` and the removal of every reader, re-establishes a context with backoff, reports
/// `.serviceRestored`, and carries on with fresh reader events: consumers never see the stream end because pcscd
/// restarted. `stop()` (or dropping the iteration) cancels the wait at once with `SCardCancel`.
public final class ReaderMonitor: AsyncSequence, @unchecked Sendable {
    public typealias Element = ReaderEvent

    private let stream: AsyncStream<ReaderEvent>
    private let continuation: AsyncStream<ReaderEvent>.Continuation
    private let condition = NSCondition()
    private var stopped = false
    private var current: PCSCContext?
    private var known = ReaderStateTracker()
    private let backoff: Backoff
    private let logger = Logger(label: "station.smartcard.monitor")
    /// How long one wait lasts before it is renewed (bounds a stop that races a wait's start).
    static let waitMilliseconds: DWORD = 2_000

    init(backoff: Backoff) {
        self.backoff = backoff
        (stream, continuation) = AsyncStream.makeStream(of: ReaderEvent.self, bufferingPolicy: .bufferingNewest(1024))
        let thread = Thread { [self] in self.run() }
        thread.name = "pcsc.monitor"
        thread.start()
        continuation.onTermination = { [weak self] _ in self?.stop() }
    }

    public func makeAsyncIterator() -> AsyncStream<ReaderEvent>.Iterator { stream.makeAsyncIterator() }

    /// The readers and cards known now.
    public var readers: [String: ReaderStateTracker.ReaderState] { condition.withLock { known.readers } }

    /// Ends the stream: cancels a wait in progress and stops the thread. Returns at once: `SCardCancel` talks to
    /// pcscd over a new session, so it runs on a thread of its own and a pcscd that does not answer cannot hold
    /// the caller.
    public func stop() {
        condition.lock()
        stopped = true
        let context = current
        condition.broadcast()
        condition.unlock()
        guard let context else { return }
        Thread.detachNewThread { context.cancel() }
    }

    private var isStopped: Bool { condition.withLock { stopped } }

    private func emit(_ events: [ReaderEvent]) {
        for event in events { continuation.yield(event) }
    }

    private func run() {
        var tracker = ReaderStateTracker()
        var lost = false
        var retries = RetrySchedule(backoff: backoff)
        while !isStopped {
            let context: PCSCContext
            do {
                // The monitor calls PC/SC on its own thread: the context's job thread is stopped before it is used,
                // so a failed attempt (pcscd down, retried every few seconds) leaves no thread behind.
                let unused = JobThread(name: "pcsc.monitor.jobs", stackSize: 512 * 1024)
                unused.stop(waiting: false)
                context = try PCSCContext.establishBlocking(thread: unused)
            } catch let error as SmartCardError {
                if !lost {
                    lost = true
                    logger.warning("PC/SC service unavailable", metadata: ["code": "\(error.code)"])
                    continuation.yield(.serviceUnavailable(error))
                    publish(&tracker, tracker.serviceLost())
                }
                sleep(seconds: retries.failed() ?? backoff.cap)
                continue
            } catch {
                continue
            }
            condition.withLock { current = context }
            if lost {
                lost = false
                logger.info("PC/SC service restored")
                continuation.yield(.serviceRestored)
            }
            retries.succeeded()
            do {
                try watch(context, &tracker)
            } catch let error as SmartCardError {
                lost = true
                logger.warning("PC/SC service lost", metadata: ["code": "\(error.code)"])
                continuation.yield(.serviceUnavailable(error))
                publish(&tracker, tracker.serviceLost())
            } catch {}
            condition.withLock { current = nil }
            _ = SCardReleaseContext(context.handle)
            // The first wait after losing a working context; the count goes on only while establishing fails.
            if lost { sleep(seconds: backoff.ceiling(attempt: 0)) }
        }
        continuation.finish()
    }

    private func publish(_ tracker: inout ReaderStateTracker, _ events: [ReaderEvent]) {
        let snapshot = tracker
        condition.withLock { known = snapshot }
        emit(events)
    }

    private func sleep(seconds: Double) {
        condition.lock()
        let deadline = Date(timeIntervalSinceNow: seconds)
        while !stopped && Date() < deadline { _ = condition.wait(until: deadline) }
        condition.unlock()
    }

    /// Waits for changes on one context until stopped; throws when the service is lost.
    private func watch(_ context: PCSCContext, _ tracker: inout ReaderStateTracker) throws {
        var needList = true
        var pnpState: DWORD = 0
        let pnpName = strdup("\\\\?PnP?\\Notification")!
        defer { free(pnpName) }
        while !isStopped {
            if needList {
                let names = try context.listReadersBlocking()
                // A new reader starts with state 0 (unaware), so the next wait reports its card at once.
                publish(&tracker, tracker.updateReaders(names))
                needList = false
            }
            let names = tracker.readerNames
            let cNames = names.map { strdup($0)! }
            defer { cNames.forEach { free($0) } }
            var states = [SCARD_READERSTATE](repeating: SCARD_READERSTATE(), count: names.count + 1)
            for (index, name) in names.enumerated() {
                states[index].szReader = UnsafePointer(cNames[index])
                states[index].dwCurrentState = DWORD(tracker.readers[name]?.pcscState ?? 0)
            }
            states[names.count].szReader = UnsafePointer(pnpName)
            states[names.count].dwCurrentState = pnpState
            let status = Int(SCardGetStatusChange(context.handle, Self.waitMilliseconds, &states, DWORD(states.count)))
            switch status {
            case PCSCStatus.success:
                let pnp = states[names.count]
                if pnp.dwEventState & DWORD(ReaderStateBits.changed) != 0 { needList = true }
                pnpState = pnp.dwEventState & ~DWORD(ReaderStateBits.changed)
                var events: [ReaderEvent] = []
                for (index, name) in names.enumerated() {
                    let state = states[index]
                    if state.dwEventState & DWORD(ReaderStateBits.unknown) != 0 {
                        needList = true
                        continue
                    }
                    guard state.dwEventState & DWORD(ReaderStateBits.changed) != 0 else { continue }
                    let atr = withUnsafeBytes(of: state.rgbAtr) { Array($0.prefix(Int(state.cbAtr))) }
                    events += tracker.update(reader: name, eventState: UInt(state.dwEventState), atr: atr)
                }
                publish(&tracker, events)
            case PCSCStatus.timeout, PCSCStatus.cancelled:
                continue
            case PCSCStatus.unknownReader, PCSCStatus.readerUnavailable:
                needList = true
            default:
                throw SmartCardError.pcsc(status, "SCardGetStatusChange")
            }
        }
    }
}
