import Intake

/// Who asks the queue to do something; recorded in the audit log.
public struct QueueActor: Sendable, Hashable, CustomStringConvertible {
    /// What the actor may do.
    public enum Role: String, Sendable, Hashable, CaseIterable {
        /// An intake officer: commit, list, hold, release, retry.
        case officer
        /// A supervisor: also cancel, view unmasked personal data.
        case supervisor
        /// The daemon itself (uploader, purge).
        case system
    }

    /// Staff id, or `system`.
    public let id: String
    /// What the actor may do.
    public let role: Role
    /// The authenticated local account (SO_PEERCRED uid) that acted, recorded with every audit line it writes; nil
    /// for the daemon itself and for callers that are not local accounts.
    public let uid: UInt32?

    /// Creates an actor.
    public init(id: String, role: Role, uid: UInt32? = nil) {
        self.id = id
        self.role = role
        self.uid = uid
    }

    /// An officer.
    public static func officer(_ id: OperatorID, uid: UInt32? = nil) -> QueueActor {
        QueueActor(id: id.rawValue, role: .officer, uid: uid)
    }
    /// A supervisor.
    public static func supervisor(_ id: OperatorID, uid: UInt32? = nil) -> QueueActor {
        QueueActor(id: id.rawValue, role: .supervisor, uid: uid)
    }
    /// The daemon.
    public static let system = QueueActor(id: "system", role: .system)

    public var description: String { "\(role.rawValue):\(id)" }
}

/// Why an operator held, cancelled or otherwise changed an application: a code in clear for reports, and an
/// optional free-text note that is sealed in the audit log.
public struct QueueReason: Sendable, Hashable {
    /// A short non-personal code, e.g. `citizen_request`, `data_correction`, `c06:DATA_MISMATCH`.
    public let code: String
    /// Free text (may mention the citizen; stored encrypted).
    public let note: String?

    /// Creates a reason.
    public init(code: String, note: String? = nil) {
        self.code = code
        self.note = note
    }
}
