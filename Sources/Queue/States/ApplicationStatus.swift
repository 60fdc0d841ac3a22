/// Where an application is on the station.
public enum LocalState: String, Sendable, Hashable, Codable, CaseIterable {
    /// Committed by the intake session, not yet released for upload (e.g. awaiting an end-of-day check).
    case captured
    /// Ready to be batched.
    case ready
    /// In a batch being uploaded.
    case batched
    /// The batch was delivered to C06.
    case uploaded
    /// Withheld by an operator, with a reason.
    case held
    /// A sender-side fault (e.g. a packaging error); kept, never dropped, until retried.
    case needsAttention
    /// Withdrawn before upload, with a reason. Terminal.
    case cancelled
    /// Written to removable media for transmission by another route.
    case exported
}

/// What C06 said about the application.
public enum CentralState: Sendable, Hashable, Codable {
    /// Not yet sent, or no answer yet.
    case unknown
    /// C06 acknowledged receipt.
    case received
    /// Approved.
    case accepted
    /// Returned, with C06's reason code (no personal data). A new application for the citizen is allowed.
    case rejected(reason: String)
    /// C06 asks for the application to be sent again.
    case resend
    /// The citizen activated the account in VNeID. Terminal.
    case activated

    /// The kind without the reason, as stored in the `central_state` column.
    public var kind: Kind {
        switch self {
        case .unknown: .unknown
        case .received: .received
        case .accepted: .accepted
        case .rejected: .rejected
        case .resend: .resend
        case .activated: .activated
        }
    }

    /// Central state kinds.
    public enum Kind: String, Sendable, Hashable, Codable, CaseIterable {
        case unknown, received, accepted, rejected, resend, activated
    }

    /// Rebuilds a state from its stored columns.
    public init(kind: Kind, reason: String?) {
        switch kind {
        case .unknown: self = .unknown
        case .received: self = .received
        case .accepted: self = .accepted
        case .rejected: self = .rejected(reason: reason ?? "")
        case .resend: self = .resend
        case .activated: self = .activated
        }
    }
}

/// The two state columns of an application, after MOSIP: where it is here, and what C06 said.
public struct ApplicationStatus: Sendable, Hashable, Codable, CustomStringConvertible {
    /// Where the application is on the station.
    public var local: LocalState
    /// What C06 said.
    public var central: CentralState

    /// Creates a status.
    public init(local: LocalState, central: CentralState) {
        self.local = local
        self.central = central
    }

    /// The status of a freshly committed application.
    public static let initial = ApplicationStatus(local: .captured, central: .unknown)

    public var description: String { "\(local.rawValue)/\(central.kind.rawValue)" }
}
