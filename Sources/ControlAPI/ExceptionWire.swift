import Foundation

/// One finger exception request: an officer asked for a finger to be recorded as an exception (missing, injured,
/// unreadable), and a supervisor confirms or declines it from their own screen (`/v1/exceptions`).
///
/// In a session (`IntakeSessionWire.exceptionRequests`) it carries what the officer needs (status, the
/// supervisor's reason once decided); in the supervisors' list (`GET /v1/exceptions`) also the session, the names in
/// the caller's language and enough to know the citizen: the masked ID number and the name's initials, no more.
public struct FingerExceptionWire: Codable, Sendable, Hashable {
    /// The intake session (in the supervisors' list).
    public var session: String?
    /// ISO/IEC 19794-4 finger position 1...10.
    public var finger: Int
    /// The finger's name in the caller's language (in the supervisors' list).
    public var fingerName: String?
    /// `missingFinger`, `injury` or `unreadable`.
    public var exception: String
    /// The exception's name in the caller's language (in the supervisors' list).
    public var exceptionName: String?
    /// The officer's note for the supervisor (may be empty).
    public var note: String
    /// The officer who asked (the session's authenticated officer).
    public var requestedBy: String
    /// When.
    public var requestedAt: Date
    /// `pending`, `confirmed` or `declined`.
    public var status: String
    /// The supervisor who decided (from authentication).
    public var decidedBy: String?
    /// The supervisor's reason.
    public var decisionReason: String?
    /// When it was decided.
    public var decidedAt: Date?
    /// The citizen's ID number, masked but for its last three digits (in the supervisors' list).
    public var maskedIDNumber: String?
    /// The citizen's name initials (in the supervisors' list).
    public var initials: String?

    /// Creates a value.
    public init(
        finger: Int, exception: String, note: String, requestedBy: String, requestedAt: Date, status: String
    ) {
        self.finger = finger
        self.exception = exception
        self.note = note
        self.requestedBy = requestedBy
        self.requestedAt = requestedAt
        self.status = status
    }
}

/// `POST /v1/exceptions/{session}/{finger}/confirm` and `.../decline`: the supervisor's reason (required, not blank).
public struct ExceptionDecisionRequest: Codable, Sendable, Hashable {
    /// Why (the supervisor's words; shown to the officer, never logged).
    public var reason: String
    /// Creates a value.
    public init(reason: String) { self.reason = reason }
}

extension ControlPaths {
    /// `GET`: the finger exceptions waiting for a supervisor; `POST {session}/{finger}/confirm|decline`.
    public static let exceptions = "/v1/exceptions"
}
