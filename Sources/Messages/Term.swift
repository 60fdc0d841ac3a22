/// The names people read for the station's closed vocabularies: queue states, upload states, intake-session
/// states, events, verdicts, bundles, priority groups. Wire values and JSON keep the English identifiers; text
/// output shows `Term.name` (Vietnamese by default), stored in the catalogs under `term.FAMILY.VALUE`.
public enum Term: String, Sendable, Hashable, CaseIterable {
    /// The application's state at the station (`LocalState`).
    case localState = "local"
    /// The central's decision on the application (`CentralState`).
    case centralState = "central"
    /// The intake session's state (`IntakeSession.State.name`).
    case sessionState = "session"
    /// Why an intake session ended without a commit (`IntakeSession.AbandonReason`).
    case abandonReason = "abandon"
    /// The upload's phase (`GET /v1/upload` `state`).
    case uploadState = "upload"
    /// Event types of `GET /v1/events` (`stationctl watch`).
    case event
    /// The desk verification's verdict (`POST /v1/verify` `verdict`).
    case verdict
    /// The chip's authenticity verdict (`AuthenticityVerdict`).
    case authenticity
    /// The service bundle (`ServiceBundle.name`).
    case bundle
    /// The campaign priority group (`PriorityGroup`).
    case priorityGroup = "priority"
    /// Why a citizen cannot be registered today (`NotYetEligibleReason`, `IneligibleReason`): the eligibility list.
    case refusalReason = "refusal"
    /// Why a supervisor held or cancelled an application (`OperatorReason`).
    case queueReason
    /// The caller's role (`CallerRole`): what the console shows beside the officer's name.
    case role

    /// Every value of the family, as it appears on the wire. `MessagesTests` checks these against the modules'
    /// own enums, and that each has a name in both catalogs.
    public var values: [String] {
        switch self {
        case .localState:
            ["captured", "ready", "batched", "uploaded", "held", "needsAttention", "cancelled", "exported"]
        case .centralState: ["unknown", "received", "accepted", "rejected", "resend", "activated"]
        case .sessionState:
            [
                "idle", "cardRead", "paused", "turnedAway", "biometrics", "review", "review.persisting", "committed",
                "abandoned",
            ]
        case .abandonReason:
            ["cardRemoved", "deviceFault", "clientGone", "operatorCancelled", "endedBySupervisor", "refusalRecorded"]
        case .uploadState: ["notConfigured", "notEnrolled", "idle", "uploading", "offline", "failed"]
        case .event:
            [
                "reader.added", "reader.removed", "card.inserted", "card.removed", "pcsc.lost", "pcsc.restored",
                "intake.state", "queue.changed", "upload.progress",
            ]
        case .verdict: ["accept", "refer"]
        case .authenticity:
            [
                "genuine", "verifiedOffline", "unconfirmed", "untrustedSigner", "chainInvalid", "hashMismatch", "clone",
                "notChecked",
            ]
        case .bundle: ["utility", "2in1", "3in1", "4in1"]
        case .priorityGroup: ["students", "policyBeneficiaries", "workersAndOfficials", "withoutCCCD"]
        case .queueReason: ["citizenRequest", "dataError", "duplicate", "deviceFault", "other"]
        case .role: ["operator", "supervisor", "root"]
        case .refusalReason:
            [
                "under14", "noPhone", "minorWithoutPhonePermission", "inPrison", "missing", "abroad", "absent",
                "remoteNoCoverage", "illness", "mentalDisability", "noCivilCapacity",
            ]
        }
    }

    /// The catalog key of one value.
    public func key(_ value: String) -> String { "term.\(rawValue).\(value)" }

    /// The name of `value` in `language`; a value the catalog does not know (a newer daemon) is shown as it is.
    public func name(_ value: String, _ language: Language) -> String {
        MessageCatalog.text(raw: key(value), language) ?? value
    }
}
