import Foundation

extension ControlPaths {
    /// `POST` account and password (PAM): opens a console session (TCP listener only).
    public static let consoleLogin = "/console/login"
    /// `POST`: ends the console session (needs `X-CSRF-Token`).
    public static let consoleLogout = "/console/logout"
    /// `GET`: the console session (account, role, CSRF token, seconds before idle logout).
    public static let consoleSession = "/console/session"
    /// `GET`: the closed vocabularies' names in the caller's language, `{family: [{value, name}]}` in the
    /// vocabulary's order (see `Term`).
    public static let consoleTerms = "/console/terms"
}

/// One value of a closed vocabulary and its name in the caller's language (`GET /console/terms`).
public struct ConsoleTermWire: Codable, Sendable, Hashable {
    /// The wire value, e.g. `verifiedOffline`.
    public var value: String
    /// What people read.
    public var name: String
    /// Creates a value.
    public init(value: String, name: String) {
        self.value = value
        self.name = name
    }
}

/// The codes the console's login and session answer with.
public struct ConsoleErrorCode: ControlAPICode {
    /// The closed set behind the codes (private, as swift-certificates does).
    private enum Backing: String, Sendable, CaseIterable {
        case loginFailed = "console.login_failed"
        case locked = "console.locked"
        case noRole = "console.no_role"
        case sessionExpired = "console.session_expired"
        case csrfMissing = "console.csrf_missing"
        case passwordCheckUnavailable = "console.password_check_unavailable"
    }

    private let backing: Backing
    private init(_ backing: Backing) { self.backing = backing }

    /// The code text.
    public var rawValue: String { backing.rawValue }
    /// Every code.
    public static var allCases: [ConsoleErrorCode] { Backing.allCases.map { ConsoleErrorCode($0) } }

    /// Wrong account or password (HTTP 401); the same answer for an unknown account.
    public static let loginFailed = ConsoleErrorCode(.loginFailed)
    /// Too many failed logins: the account is locked out for a while (HTTP 403), audited.
    public static let locked = ConsoleErrorCode(.locked)
    /// The password could not be checked: the password helper (`stationd-pam.socket`) is not running (HTTP 503).
    public static let passwordCheckUnavailable = ConsoleErrorCode(.passwordCheckUnavailable)
    /// The account is in neither the operators' nor the supervisors' group, or is root (HTTP 403).
    public static let noRole = ConsoleErrorCode(.noRole)
    /// No session, logged out, or closed for idleness (HTTP 401): log in again.
    public static let sessionExpired = ConsoleErrorCode(.sessionExpired)
    /// A state-changing request without the session's `X-CSRF-Token` (HTTP 403).
    public static let csrfMissing = ConsoleErrorCode(.csrfMissing)
}

/// `POST /console/login`.
public struct ConsoleLoginRequest: Codable, Sendable {
    public var account: String
    public var password: String
    public init(account: String, password: String) {
        self.account = account
        self.password = password
    }
}

/// The console session, as the page sees it.
public struct ConsoleSessionWire: Codable, Sendable, Equatable {
    public var account: String
    /// `operator` or `supervisor`.
    public var role: String
    /// Sent back as `X-CSRF-Token` on every state-changing request.
    public var csrfToken: String
    /// The idle logout's length.
    public var idleSeconds: Int
    /// Seconds left before the idle logout.
    public var remainingSeconds: Int
    public init(account: String, role: String, csrfToken: String, idleSeconds: Int, remainingSeconds: Int) {
        self.account = account
        self.role = role
        self.csrfToken = csrfToken
        self.idleSeconds = idleSeconds
        self.remainingSeconds = remainingSeconds
    }
}
