import ControlAPI
import Dispatch
import Foundation
import HTTPTypes
import Hummingbird
import Messages

#if canImport(Glibc)
    import Glibc
#endif

/// The console's officers: PAM checks the password (in this process or through the password helper), the
/// account's groups give the role exactly as SO_PEERCRED's do on the socket (`Authorization`), and
/// `ConsoleSessionBook` keeps the sessions and the lockouts.
final class ConsoleLogin: Sendable {
    let passwords: any PasswordCheck
    let book: Mutex<ConsoleSessionBook>
    let authorization: Authorization
    /// The listener speaks TLS (the cookie is `Secure`).
    let secure: Bool
    let clock: @Sendable () -> Double

    init(
        authorization: Authorization, secure: Bool, passwords: any PasswordCheck = InProcessPAM(),
        policy: ConsoleSessionBook.Policy = .init(),
        clock: @escaping @Sendable () -> Double = { Date().timeIntervalSince1970 }
    ) {
        self.passwords = passwords
        book = Mutex(ConsoleSessionBook(policy: policy))
        self.authorization = authorization
        self.secure = secure
        self.clock = clock
    }

    /// Lets a request with a session cookie in as its officer (the routes see the officer's credentials and
    /// role), or refuses it: 401 `console.session_expired`, 403 `console.csrf_missing`.
    func admit(sessionID: String, _ request: Request, _ context: inout StationRequestContext) throws(APIError) {
        let method = request.method
        let stateChanging = !(method == .get || method == .head || method == .options)
        let renews = Self.renews(
            stateChanging: stateChanging, polled: request.headers[Self.pollHeader] != nil, path: request.uri.path)
        let check = book.withLock {
            $0.check(
                id: sessionID, csrf: request.headers[Self.csrfHeader], stateChanging: stateChanging, now: clock(),
                renews: renews)
        }
        switch check {
        case .valid(let session):
            context.peer = session.identity.peer
            context.role = session.role
            context.consoleAccount = session.identity.account
        case .unknown:
            throw Self.expired
        case .csrfMismatch:
            throw APIError(.forbidden, code: ConsoleErrorCode.csrfMissing, Message(.consoleCsrfMissing))
        }
    }

    /// Whether a request is the officer's doing and so renews the idle logout: every write does; a screen's own
    /// polling says so (`X-Console-Poll`) and does not, nor does a screen's event stream (`/v1/events`, opened by
    /// the page itself and held open for as long as it is shown).
    static func renews(stateChanging: Bool, polled: Bool, path: String) -> Bool {
        stateChanging || (!polled && path != ControlPaths.events)
    }

    static let csrfHeader = HTTPField.Name("X-CSRF-Token")!
    /// Sent by a page's periodic refresh (the station screen's): the request does not renew the idle logout.
    static let pollHeader = HTTPField.Name("X-Console-Poll")!

    static let expired = APIError(
        .unauthorized, code: ConsoleErrorCode.sessionExpired, Message(.consoleSessionExpired))

    /// What a login attempt came to.
    enum Outcome: Sendable {
        case opened(ConsoleSessionBook.Session)
        case failed(lockedNow: Bool)
        case locked(until: Double)
        case noRole
        /// The password could not be checked (the password helper is not running); not a failed attempt.
        case unavailable
    }

    /// Checks the password through PAM (off the event loop: PAM may sleep on a failure) and opens a session.
    func login(account: String, password: String) async -> Outcome {
        if let until = book.withLock({ $0.lockedUntil(account, now: clock()) }) { return .locked(until: until) }
        var verdict = PasswordVerdict.refused
        if Self.validAccountName(account) && !password.isEmpty {
            verdict = await passwords.check(account: account, password: password)
        }
        if verdict == .unavailable { return .unavailable }
        guard verdict == .accepted, let identity = Self.identity(of: account) else {
            return .failed(lockedNow: book.withLock { $0.recordFailure(account, now: clock()) })
        }
        let role = authorization.role(of: identity.peer)
        // The web console is for officers: root and the daemon's own account use the socket.
        guard role == .operator || role == .supervisor, identity.uid != 0 else { return .noRole }
        let session = book.withLock {
            $0.open(
                identity, role: role, id: ConsoleCookie.randomToken(), csrf: ConsoleCookie.randomToken(),
                now: clock())
        }
        return .opened(session)
    }

    /// Account names as Debian's `adduser` allows them (no PAM call for anything else).
    static func validAccountName(_ account: String) -> Bool {
        guard (1...32).contains(account.utf8.count), let first = account.utf8.first,
            first != UInt8(ascii: "-")
        else { return false }
        return account.utf8.allSatisfy { byte in
            (byte >= 0x61 && byte <= 0x7A) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x30 && byte <= 0x39)
                || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "-") || byte == UInt8(ascii: ".")
        }
    }

    /// The account's uid, primary gid and every group it is in (`getgrouplist`).
    static func identity(of account: String) -> ConsoleSessionBook.Identity? {
        var entry = passwd()
        var result: UnsafeMutablePointer<passwd>?
        var buffer = [CChar](repeating: 0, count: 16_384)
        guard getpwnam_r(account, &entry, &buffer, buffer.count, &result) == 0, let result else { return nil }
        let uid = result.pointee.pw_uid
        let gid = result.pointee.pw_gid
        var count: Int32 = 64
        var groups = [gid_t](repeating: 0, count: Int(count))
        if getgrouplist(account, gid, &groups, &count) < 0 {
            groups = [gid_t](repeating: 0, count: Int(count))
            _ = getgrouplist(account, gid, &groups, &count)
        }
        return .init(
            account: account, uid: uid, gid: gid, groups: Set(groups.prefix(Int(max(0, count)))).union([gid]))
    }

    /// The page's view of a session.
    func wire(_ session: ConsoleSessionBook.Session) -> ConsoleSessionWire {
        let remaining = book.withLock { $0.remaining(session, now: clock()) }
        return ConsoleSessionWire(
            account: session.identity.account, role: "\(session.role)", csrfToken: session.csrf,
            idleSeconds: Int(book.withLock { $0.policy.idleSeconds }), remainingSeconds: Int(remaining))
    }
}
