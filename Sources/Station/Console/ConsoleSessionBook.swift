import Foundation

/// The console's logged-in officers and failed logins: a pure state machine over a clock (seconds), so the
/// session, CSRF, idle-logout and lockout rules are tested without a daemon.
///
/// - A login opens a session: a random id (the cookie) and a random CSRF token (the page sends it back as
///   `X-CSRF-Token` on every state-changing request).
/// - A session unused for `idleSeconds` is closed (idle logout); every accepted request renews it.
/// - `maxFailures` failed logins for one account within `lockoutSeconds` lock that account out for
///   `lockoutSeconds` (even the right password is refused meanwhile); a successful login clears the count.
struct ConsoleSessionBook: Sendable {
    /// The rules' figures.
    struct Policy: Sendable, Equatable {
        var idleSeconds: Double = 900
        var maxFailures: Int = 5
        var lockoutSeconds: Double = 900
    }

    /// Who logged in: the account PAM checked and its groups (what SO_PEERCRED gives on the socket).
    struct Identity: Sendable, Equatable {
        var account: String
        var uid: UInt32
        var gid: UInt32
        var groups: Set<UInt32>

        /// The credentials the routes see, as if the officer had called over the socket.
        var peer: PeerCredentials { PeerCredentials(pid: 0, uid: uid, gid: gid, groups: groups) }
    }

    /// One logged-in officer.
    struct Session: Sendable, Equatable {
        let id: String
        let csrf: String
        let identity: Identity
        let role: CallerRole
        var lastSeen: Double
    }

    /// What a request with a session cookie gets.
    enum Check: Sendable, Equatable {
        /// Accepted (and renewed).
        case valid(Session)
        /// No such session: never opened, logged out, or closed for idleness.
        case unknown
        /// A state-changing request without the session's CSRF token.
        case csrfMismatch
    }

    let policy: Policy
    private(set) var sessions: [String: Session] = [:]
    private var failures: [String: (count: Int, first: Double, lockedUntil: Double?)] = [:]

    init(policy: Policy = Policy()) { self.policy = policy }

    /// Until when `account` is locked out (nil: it may try).
    func lockedUntil(_ account: String, now: Double) -> Double? {
        guard let until = failures[account]?.lockedUntil, until > now else { return nil }
        return until
    }

    /// Counts a failed login; true when this failure locks the account out.
    mutating func recordFailure(_ account: String, now: Double) -> Bool {
        var entry = failures[account] ?? (0, now, nil)
        if let until = entry.lockedUntil, until <= now { entry = (0, now, nil) }
        if now - entry.first > policy.lockoutSeconds { entry = (0, now, nil) }
        entry.count += 1
        let locks = entry.count >= policy.maxFailures && entry.lockedUntil == nil
        if locks { entry.lockedUntil = now + policy.lockoutSeconds }
        failures[account] = entry
        return locks
    }

    /// Opens a session after a successful login (the failures are forgotten).
    mutating func open(_ identity: Identity, role: CallerRole, id: String, csrf: String, now: Double) -> Session {
        failures[identity.account] = nil
        expire(now: now)
        let session = Session(id: id, csrf: csrf, identity: identity, role: role, lastSeen: now)
        sessions[id] = session
        return session
    }

    /// Checks a request's session: unknown or idle → `.unknown` (the idle one is closed); a state-changing
    /// request must carry the session's CSRF token. An accepted request renews the session unless `renews` is
    /// false: a screen's own polling (`X-Console-Poll`) is not the officer's doing and must not hold off the idle
    /// logout.
    mutating func check(id: String, csrf: String?, stateChanging: Bool, now: Double, renews: Bool = true) -> Check {
        guard var session = sessions[id] else { return .unknown }
        guard now - session.lastSeen < policy.idleSeconds else {
            sessions[id] = nil
            return .unknown
        }
        if stateChanging {
            guard let csrf, Self.constantTimeEqual(csrf, session.csrf) else { return .csrfMismatch }
        }
        if renews {
            session.lastSeen = now
            sessions[id] = session
        }
        return .valid(session)
    }

    /// Seconds until the session is closed for idleness (0 when it already is).
    func remaining(_ session: Session, now: Double) -> Double {
        max(0, policy.idleSeconds - (now - session.lastSeen))
    }

    /// Logs out.
    mutating func close(id: String) { sessions[id] = nil }

    /// Forgets idle sessions (called at each login so the book never grows without bound).
    mutating func expire(now: Double) {
        sessions = sessions.filter { now - $0.value.lastSeen < policy.idleSeconds }
        failures = failures.filter { entry in
            if let until = entry.value.lockedUntil { return until > now }
            return now - entry.value.first <= policy.lockoutSeconds
        }
    }

    /// Compares two tokens without leaking where they differ through timing.
    static func constantTimeEqual(_ lhs: String, _ rhs: String) -> Bool {
        let left = Array(lhs.utf8)
        let right = Array(rhs.utf8)
        guard left.count == right.count else { return false }
        var difference: UInt8 = 0
        for index in left.indices { difference |= left[index] ^ right[index] }
        return difference == 0
    }
}

/// The console's session cookie: its name, how it is set and cleared, and how it is read from `Cookie`.
enum ConsoleCookie {
    static let name = "stn_console"

    /// `Set-Cookie` for a new session: `HttpOnly` (no script reads it), `SameSite=Strict` (no other site sends it),
    /// `Secure` when the listener speaks TLS, `Path=/` (the API routes need it too).
    static func set(_ id: String, secure: Bool) -> String {
        "\(name)=\(id); Path=/; HttpOnly; SameSite=Strict" + (secure ? "; Secure" : "")
    }

    /// `Set-Cookie` that clears it (logout, expired session).
    static func clear(secure: Bool) -> String {
        "\(name)=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict" + (secure ? "; Secure" : "")
    }

    /// The session id from a `Cookie` header (nil: none, or not ours).
    static func sessionID(from header: String?) -> String? {
        guard let header else { return nil }
        for part in header.split(separator: ";") {
            let pair = part.trimmingCharacters(in: .whitespaces)
            guard pair.hasPrefix("\(name)=") else { continue }
            let value = String(pair.dropFirst(name.count + 1))
            return value.isEmpty ? nil : value
        }
        return nil
    }

    /// A fresh random token (32 bytes, base64url without padding): session ids and CSRF tokens.
    static func randomToken() -> String {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<32).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        return Data(bytes).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }
}
