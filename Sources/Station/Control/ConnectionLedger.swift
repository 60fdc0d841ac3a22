import ControlAPI
import Foundation
import Hummingbird
import Messages
import NIOCore

/// What the control socket lets callers hold at once: connections (in total and per uid) and request bodies
/// held in memory (in total and per uid). The pure bookkeeping behind `ControlAdmission`.
///
/// Root and the daemon's own user are counted in the totals but have no per-uid limit (they are the
/// station's administrators). A refusal says whose limit was reached: `station` (503
/// `control.overloaded`, everyone is affected) or `caller` (429 `control.caller_limit`, this uid holds too much).
public struct ConnectionLedger: Sendable, Hashable {
    /// The configured limits (`[control]` keys).
    public struct Limits: Sendable, Hashable {
        /// `control.max_connections`.
        public var connections: Int
        /// `control.max_connections_per_uid`.
        public var connectionsPerUID: Int
        /// `control.body_memory_bytes`: request bodies held in memory by all requests together.
        public var bodyBytes: Int
        /// `control.body_memory_per_uid_bytes`.
        public var bodyBytesPerUID: Int

        /// Creates limits.
        public init(connections: Int, connectionsPerUID: Int, bodyBytes: Int, bodyBytesPerUID: Int) {
            self.connections = connections
            self.connectionsPerUID = connectionsPerUID
            self.bodyBytes = bodyBytes
            self.bodyBytesPerUID = bodyBytesPerUID
        }
    }

    /// Whose limit refused a connection or a body.
    public enum Refusal: String, Sendable, Hashable {
        /// The station's total (503).
        case station
        /// The caller's uid's share (429).
        case caller
    }

    /// The limits.
    public let limits: Limits
    /// Uids without per-uid limits (root, the daemon's user).
    public let exempt: Set<UInt32>
    /// Open connections.
    public private(set) var connections = 0
    /// Open connections by uid.
    public private(set) var connectionsByUID: [UInt32: Int] = [:]
    /// Body bytes reserved.
    public private(set) var bodyBytes = 0
    /// Body bytes reserved by uid.
    public private(set) var bodyBytesByUID: [UInt32: Int] = [:]

    /// An empty ledger.
    public init(limits: Limits, exempt: Set<UInt32>) {
        self.limits = limits
        self.exempt = exempt
    }

    /// Admits a connection from `uid`, or says why not (nothing is counted then).
    public mutating func open(uid: UInt32) -> Refusal? {
        if connections >= limits.connections { return .station }
        let mine = connectionsByUID[uid, default: 0]
        if !exempt.contains(uid), mine >= limits.connectionsPerUID { return .caller }
        connections += 1
        connectionsByUID[uid] = mine + 1
        return nil
    }

    /// A connection admitted with `open` closed.
    public mutating func close(uid: UInt32) {
        connections = max(0, connections - 1)
        let mine = connectionsByUID[uid, default: 0] - 1
        connectionsByUID[uid] = mine > 0 ? mine : nil
    }

    /// Reserves `bytes` of body memory for `uid`, or says why not (nothing is reserved then).
    public mutating func reserve(_ bytes: Int, uid: UInt32) -> Refusal? {
        guard bytes > 0 else { return nil }
        let mine = bodyBytesByUID[uid, default: 0]
        if !exempt.contains(uid), mine + bytes > limits.bodyBytesPerUID { return .caller }
        if bodyBytes + bytes > limits.bodyBytes { return .station }
        bodyBytes += bytes
        bodyBytesByUID[uid] = mine + bytes
        return nil
    }

    /// Returns body memory reserved with `reserve`.
    public mutating func release(_ bytes: Int, uid: UInt32) {
        guard bytes > 0 else { return }
        bodyBytes = max(0, bodyBytes - bytes)
        let mine = bodyBytesByUID[uid, default: 0] - bytes
        bodyBytesByUID[uid] = mine > 0 ? mine : nil
    }
}

/// The control server's one ledger, shared by every connection and request.
final class ControlAdmission: Sendable {
    /// Refused connections of one uid answered with 503/429 in one second; more are closed without an answer
    /// (measured: answering each of a 2,400-connection flood kept another caller waiting 0.4–0.6 s behind it in
    /// the accept queue, closing them 0.16 s).
    static let explainedPerSecond = 8

    private let ledger: Mutex<ConnectionLedger>
    private let explained = Mutex<(second: UInt64, counts: [UInt32: Int])>((0, [:]))

    /// A ledger; `exempt` defaults to root and the daemon's user (the TCP listener's ledger exempts nobody).
    init(limits: ConnectionLedger.Limits, exempt: Set<UInt32>? = nil) {
        ledger = Mutex(ConnectionLedger(limits: limits, exempt: exempt ?? [0, getuid()]))
    }

    func open(uid: UInt32) -> ConnectionLedger.Refusal? { ledger.withLock { $0.open(uid: uid) } }
    func close(uid: UInt32) { ledger.withLock { $0.close(uid: uid) } }
    func reserve(_ bytes: Int, uid: UInt32) -> ConnectionLedger.Refusal? {
        ledger.withLock { $0.reserve(bytes, uid: uid) }
    }
    func release(_ bytes: Int, uid: UInt32) { ledger.withLock { $0.release(bytes, uid: uid) } }
    var snapshot: ConnectionLedger { ledger.withLock { $0 } }

    /// Whether a connection of `uid` refused now gets an HTTP answer (the first `explainedPerSecond` a second).
    func explains(uid: UInt32) -> Bool {
        let second = DispatchTime.now().uptimeNanoseconds / 1_000_000_000
        return explained.withLock { state in
            if state.second != second { state = (second, [:]) }
            let count = state.counts[uid, default: 0]
            state.counts[uid] = count + 1
            return count < Self.explainedPerSecond
        }
    }

    /// The answer to a refused connection or body, in the caller's language.
    static func error(_ refusal: ConnectionLedger.Refusal, body: Bool) -> APIError {
        switch (refusal, body) {
        case (.station, false):
            APIError(.serviceUnavailable, code: ControlErrorCode.overloaded, Message(.controlOverloadedConnections))
        case (.station, true):
            APIError(.serviceUnavailable, code: ControlErrorCode.overloaded, Message(.controlOverloadedMemory))
        case (.caller, false):
            APIError(.tooManyRequests, code: ControlErrorCode.callerLimit, Message(.controlCallerLimitConnections))
        case (.caller, true):
            APIError(.tooManyRequests, code: ControlErrorCode.callerLimit, Message(.controlCallerLimitMemory))
        }
    }
}

/// The body memory one request holds, returned when its handler has answered. Set by `ControlMiddleware` as a
/// task-local so that `Body.collect` can reserve against the ledger without new parameters.
final class BodyReservation: Sendable {
    @TaskLocal static var current: BodyReservation?

    let admission: ControlAdmission
    let uid: UInt32
    private let held = Mutex(0)

    init(admission: ControlAdmission, uid: UInt32) {
        self.admission = admission
        self.uid = uid
    }

    /// Reserves `bytes` more, or throws 503/429.
    func reserve(_ bytes: Int) throws(APIError) {
        if let refusal = admission.reserve(bytes, uid: uid) {
            StationMetric.limitRefusal(kind: "body", whose: refusal.rawValue)
            throw ControlAdmission.error(refusal, body: true)
        }
        held.withLock { $0 += bytes }
    }

    /// Returns everything held.
    func releaseAll() {
        let bytes = held.withLock { value in
            defer { value = 0 }
            return value
        }
        admission.release(bytes, uid: uid)
    }

    /// Collects a request body of at most `limit` bytes, reserving memory for it as it arrives (the declared
    /// length at once). Without a current reservation (library use) the body is collected unaccounted.
    static func collect(_ body: RequestBody, declared: Int?, limit: Int) async throws -> Data {
        let reservation = current
        var reserved = 0
        if let declared, let reservation {
            try reservation.reserve(declared)
            reserved = declared
        }
        var data = Data()
        if let declared { data.reserveCapacity(declared) }
        for try await buffer in body {
            let total = data.count + buffer.readableBytes
            if total > limit {
                throw APIError(.tooLarge, Message(.controlBodyTooLarge))
            }
            if total > reserved, let reservation {
                try reservation.reserve(total - reserved)
                reserved = total
            }
            buffer.withUnsafeReadableBytes { data.append(contentsOf: $0) }
        }
        return data
    }
}
