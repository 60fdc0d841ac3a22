/// The body of every error response: `{"error": {"code": "...", "message": "...", "detail": "..."}}` (`detail`
/// only where there is one).
///
/// `code` is stable (clients compare it); `message` is in the language asked for with `Accept-Language`
/// (`vi` by default, `en`). Messages never contain personal data.
public struct ControlErrorBody: Codable, Sendable, Hashable {
    /// The error.
    public var error: ControlErrorDetail
    /// Creates a body.
    public init(code: String, message: String, detail: String? = nil) {
        error = ControlErrorDetail(code: code, message: message, detail: detail)
    }
}

/// One error: stable code and an operator message.
public struct ControlErrorDetail: Codable, Sendable, Hashable {
    /// Stable machine-readable code, e.g. `control.forbidden`.
    public var code: String
    /// Human message in the requested language.
    public var message: String
    /// For technicians (English, either language): which file or field and why, e.g. `DG2: facial information
    /// block length too small`. Never personal data.
    public var detail: String?
    /// Creates an error.
    public init(code: String, message: String, detail: String? = nil) {
        self.code = code
        self.message = message
        self.detail = detail
    }
}

/// A closed set of stable codes the control API answers with in `error.code` (`ControlErrorCode`,
/// `ListenerErrorCode`, `ConsoleErrorCode`, `DeskErrorCode`). Module errors answer with their own closed codes
/// (`queue.not_found`, `smartcard.no_card`); every code is listed in `openapi.yaml`.
public protocol ControlAPICode: Sendable, Hashable, CustomStringConvertible {
    /// The code as it is on the wire.
    var rawValue: String { get }
}

extension ControlAPICode {
    public var description: String { rawValue }
}

/// Stable error codes of the control API itself (module errors keep their own codes, e.g. `queue.not_found`).
public struct ControlErrorCode: ControlAPICode {
    /// The closed set behind the codes (private, as swift-certificates does): no code exists but the ones below.
    private enum Backing: String, Sendable, CaseIterable {
        case forbidden = "control.forbidden"
        case operatorNotCaller = "control.operator_not_caller"
        case operatorDisabled = "control.operator_disabled"
        case operatorInvalid = "control.operator_invalid"
        case notFound = "control.not_found"
        case methodNotAllowed = "control.method_not_allowed"
        case badRequest = "control.bad_request"
        case tooLarge = "control.body_too_large"
        case requestTimeout = "control.request_timeout"
        case overloaded = "control.overloaded"
        case callerLimit = "control.caller_limit"
        case unknownReader = "control.unknown_reader"
        case sessionBusy = "control.intake_busy"
        case noSession = "control.no_intake_session"
        case unavailable = "control.unavailable"
        case noEnrollmentToken = "uplink.no_token"
        case `internal` = "control.internal"
        case exportRunning = "control.export_running"
    }

    private let backing: Backing
    private init(_ backing: Backing) { self.backing = backing }

    /// The code text.
    public var rawValue: String { backing.rawValue }
    /// Every code.
    public static var allCases: [ControlErrorCode] { Backing.allCases.map { ControlErrorCode($0) } }

    /// Peer is not in a group allowed to do this.
    public static let forbidden = ControlErrorCode(.forbidden)
    /// A non-supervisor named an operator other than itself: applications are recorded under the caller.
    public static let operatorNotCaller = ControlErrorCode(.operatorNotCaller)
    /// The caller's account (or the officer a supervisor takes the intake for) is disabled in the operator records.
    public static let operatorDisabled = ControlErrorCode(.operatorDisabled)
    /// An operator record's field is not valid (`detail` names the field).
    public static let operatorInvalid = ControlErrorCode(.operatorInvalid)
    /// No route for this path.
    public static let notFound = ControlErrorCode(.notFound)
    /// The route exists but not with this method.
    public static let methodNotAllowed = ControlErrorCode(.methodNotAllowed)
    /// The body is not valid JSON or has wrong types.
    public static let badRequest = ControlErrorCode(.badRequest)
    /// The body exceeds the limit.
    public static let tooLarge = ControlErrorCode(.tooLarge)
    /// The request did not arrive within `control.request_timeout_seconds` (HTTP 408; the connection is closed).
    public static let requestTimeout = ControlErrorCode(.requestTimeout)
    /// The station's limit on open connections or on request bodies held in memory is reached (HTTP 503,
    /// `Retry-After`): retry in a few seconds.
    public static let overloaded = ControlErrorCode(.overloaded)
    /// The caller's account holds too many connections or too much request data at once (HTTP 429).
    public static let callerLimit = ControlErrorCode(.callerLimit)
    /// The request names a card reader the station does not have (HTTP 404).
    public static let unknownReader = ControlErrorCode(.unknownReader)
    /// Another client controls the intake session.
    public static let sessionBusy = ControlErrorCode(.sessionBusy)
    /// No intake session, or the id is not the current one.
    public static let noSession = ControlErrorCode(.noSession)
    /// The feature is not available in this profile or not configured.
    public static let unavailable = ControlErrorCode(.unavailable)
    /// `POST /v1/upload/enroll` without a one-time token (`uplink.token` or `--token`); the uplink module's own
    /// refusals keep the uplink's codes.
    public static let noEnrollmentToken = ControlErrorCode(.noEnrollmentToken)
    /// Unexpected internal failure.
    public static let `internal` = ControlErrorCode(.internal)
    /// `POST /v1/export` while an export runs (one at a time).
    public static let exportRunning = ControlErrorCode(.exportRunning)
}
