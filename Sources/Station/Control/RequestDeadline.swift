/// When a control connection must be cut for being slow: the pure state machine behind `SlowClientGuard`.
///
/// A request — its head and its body — must arrive within `timeout` of its first byte; the first request of a
/// connection within `timeout` of the connection's opening (a client that connects and says nothing is cut
/// too). While the daemon handles a request there is no deadline (a card read or an event stream takes as long
/// as it takes). Between requests (keep-alive) the connection may stay idle for `idleTimeout`
/// (`control.idle_timeout_seconds`; nil: for ever), then it is closed without an answer: a guided intake, whose
/// session belongs to its connection, keeps it alive with a cheap request now and then (`ControlClient.Heartbeat`).
///
/// Times are monotonic nanoseconds; the caller supplies them so the machine is testable without a clock.
public struct RequestDeadline: Sendable, Hashable {
    /// Where the connection is.
    public enum Phase: Sendable, Hashable {
        /// Opened, no byte yet (deadline from the opening).
        case opened
        /// Bytes of a request are arriving; `headDone` once its head is parsed.
        case receiving(headDone: Bool)
        /// The request arrived whole; the daemon is answering it.
        case handling
        /// Between requests (keep-alive).
        case idle
    }

    /// Why a connection is cut.
    public enum Reason: String, Sendable, Hashable {
        /// The request head did not arrive in time (slowloris).
        case head
        /// The body did not arrive in time (a body that never ends, or dribbles).
        case body
        /// The connection stayed idle between requests longer than the idle timeout.
        case idle
    }

    /// The allowed time in nanoseconds.
    public let timeout: UInt64
    /// The allowed idle time between requests in nanoseconds (nil: unlimited).
    public let idleTimeout: UInt64?
    /// The phase.
    public private(set) var phase: Phase = .opened
    /// Since when the current deadline runs.
    public private(set) var since: UInt64
    /// A response (head) was written for the request being received or handled.
    public private(set) var responseStarted = false
    /// Bytes arrived while a request was being handled (a pipelined next request).
    private var bytesWhileHandling = false
    /// The response ended before the request did (e.g. 413 while the body still arrives).
    private var answeredEarly = false

    /// A machine for a connection opened at `now`.
    public init(timeout: UInt64, idleTimeout: UInt64? = nil, openedAt now: UInt64) {
        self.timeout = timeout
        self.idleTimeout = idleTimeout
        since = now
    }

    /// Raw bytes arrived.
    public mutating func bytesArrived(at now: UInt64) {
        switch phase {
        case .opened: phase = .receiving(headDone: false)  // the deadline still runs from the opening
        case .idle:
            phase = .receiving(headDone: false)
            since = now
            responseStarted = false
        case .handling: bytesWhileHandling = true
        case .receiving: break
        }
    }

    /// The decoder produced a request head.
    public mutating func headArrived(at now: UInt64) {
        if case .handling = phase { since = now }  // a pipelined request: its deadline starts now at the latest
        phase = .receiving(headDone: true)
        responseStarted = false
    }

    /// The request's end arrived (at `now`: when it was answered early, the idle time runs from there).
    public mutating func requestEnded(at now: UInt64? = nil) {
        guard case .receiving = phase else { return }
        if answeredEarly {
            phase = .idle
            if let now { since = now }
            answeredEarly = false
            responseStarted = false
        } else {
            phase = .handling
        }
    }

    /// A response head was written.
    public mutating func responseHeadWritten() { responseStarted = true }

    /// A response ended at `now`.
    public mutating func responseEnded(at now: UInt64) {
        if case .receiving = phase {
            answeredEarly = true  // answered before the body ended: the deadline still runs
            return
        }
        guard case .handling = phase else { return }
        if bytesWhileHandling {
            phase = .receiving(headDone: false)
            since = now
        } else {
            phase = .idle
            since = now
        }
        bytesWhileHandling = false
        responseStarted = false
    }

    /// Whether the connection must be cut at `now`, and why.
    public func expired(at now: UInt64) -> Reason? {
        guard now >= since else { return nil }
        switch phase {
        case .opened, .receiving(headDone: false): return now - since >= timeout ? .head : nil
        case .receiving(headDone: true): return now - since >= timeout ? .body : nil
        case .handling: return nil
        case .idle:
            guard let idleTimeout else { return nil }
            return now - since >= idleTimeout ? .idle : nil
        }
    }

    /// When to look again (nil: no deadline runs in this phase).
    public var nextCheck: UInt64? {
        switch phase {
        case .opened, .receiving: since &+ timeout
        case .handling: nil
        case .idle: idleTimeout.map { since &+ $0 }
        }
    }
}
