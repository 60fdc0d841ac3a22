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

/// Stable error codes of the control API itself (module errors keep their own codes, e.g. `queue.not_found`).
public enum ControlErrorCode {
    /// Peer is not in a group allowed to do this.
    public static let forbidden = "control.forbidden"
    /// A non-supervisor named an operator other than itself: applications are recorded under the caller.
    public static let operatorNotCaller = "control.operator_not_caller"
    /// No route for this path.
    public static let notFound = "control.not_found"
    /// The route exists but not with this method.
    public static let methodNotAllowed = "control.method_not_allowed"
    /// The body is not valid JSON or has wrong types.
    public static let badRequest = "control.bad_request"
    /// The body exceeds the limit.
    public static let tooLarge = "control.body_too_large"
    /// The request did not arrive within `control.request_timeout_seconds` (HTTP 408; the connection is closed).
    public static let requestTimeout = "control.request_timeout"
    /// The station's limit on open connections or on request bodies held in memory is reached (HTTP 503,
    /// `Retry-After`): retry in a few seconds.
    public static let overloaded = "control.overloaded"
    /// The caller's account holds too many connections or too much request data at once (HTTP 429).
    public static let callerLimit = "control.caller_limit"
    /// The request names a card reader the station does not have (HTTP 404).
    public static let unknownReader = "control.unknown_reader"
    /// Another client controls the intake session.
    public static let sessionBusy = "control.intake_busy"
    /// No intake session, or the id is not the current one.
    public static let noSession = "control.no_intake_session"
    /// The intake state machine refused the step.
    public static let refused = "control.intake_refused"
    /// The feature is not available in this profile or not configured.
    public static let unavailable = "control.unavailable"
    /// A device error (reader, card, scanner).
    public static let device = "control.device_error"
    /// Unexpected internal failure.
    public static let `internal` = "control.internal"
}
