import Foundation

/// The identifier of an application, assigned at intake and kept through upload and acknowledgement.
public struct ApplicationID: Sendable, Hashable, Codable, Comparable, CustomStringConvertible {
    /// The UUID.
    public let uuid: UUID
    /// A new random identifier.
    public init() { uuid = UUID() }
    /// Wraps an existing UUID.
    public init(_ uuid: UUID) { self.uuid = uuid }
    /// Parses the canonical text form.
    public init?(_ text: String) {
        guard let uuid = UUID(uuidString: text) else { return nil }
        self.uuid = uuid
    }
    /// Canonical upper-case text form.
    public var text: String { uuid.uuidString }
    public var description: String { text }
    public static func < (lhs: ApplicationID, rhs: ApplicationID) -> Bool { lhs.text < rhs.text }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let id = ApplicationID(text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "bad UUID"))
        }
        self = id
    }
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(text)
    }
}

/// A level-2 e-ID application as taken at a registration point: everything C06 needs to approve the account.
///
/// A plain value: the intake session builds it, validation rules judge it, the queue seals it. Personal data
/// throughout, so `description` and reflection show only the id and the masked ID number.
public struct Application: Sendable, Hashable, Codable, CustomStringConvertible, CustomReflectable {
    /// Assigned at intake.
    public var id: ApplicationID
    /// When the application was taken.
    public var capturedAt: Date
    /// Identity from the chip.
    public var identity: ChipIdentity
    /// Result of the card's authentication.
    public var authenticity: AuthenticityVerdict
    /// A supervisor's acceptance of an overridable verdict (e.g. `unconfirmed`), if any.
    public var authenticityOverride: SupervisorOverride?
    /// The verdict and the `[authenticity]` policy that accepted it, set at commit (nil in stores written before
    /// issue 17).
    public var authenticityAcceptance: AuthenticityAcceptance?
    /// The chip's files and anti-clone transcript as read, for the central to re-verify (nil before issue 17).
    public var chipEvidence: ChipEvidence?
    /// Face image from DG2 (JPEG or JPEG 2000 as stored in the chip).
    public var chipPortrait: Data
    /// Portrait taken at the point.
    public var livePortrait: LivePortrait
    /// Fingerprint captures and exceptions.
    public var fingerprints: [FingerprintCapture]
    /// Mobile number for the activation SMS; nil until entered (validation requires it).
    public var phone: PhoneNumber?
    /// What the citizen applies for.
    public var bundle: ServiceBundle
    /// Campaign priority group, if any.
    public var priorityGroup: PriorityGroup?
    /// The official taking the application.
    public var operatorID: OperatorID
    /// Where it is taken.
    public var point: RegistrationPoint

    /// Creates an application.
    public init(
        id: ApplicationID = ApplicationID(), capturedAt: Date, identity: ChipIdentity,
        authenticity: AuthenticityVerdict, authenticityOverride: SupervisorOverride? = nil, chipPortrait: Data,
        livePortrait: LivePortrait, fingerprints: [FingerprintCapture], phone: PhoneNumber?, bundle: ServiceBundle,
        priorityGroup: PriorityGroup?, operatorID: OperatorID, point: RegistrationPoint,
        chipEvidence: ChipEvidence? = nil
    ) {
        self.id = id
        self.capturedAt = capturedAt
        self.identity = identity
        self.authenticity = authenticity
        self.authenticityOverride = authenticityOverride
        self.chipPortrait = chipPortrait
        self.livePortrait = livePortrait
        self.fingerprints = fingerprints
        self.phone = phone
        self.bundle = bundle
        self.priorityGroup = priorityGroup
        self.operatorID = operatorID
        self.point = point
        self.chipEvidence = chipEvidence
    }

    public var description: String { "Application(\(id), \(identity.idNumber.masked))" }
    public var customMirror: Mirror {
        Mirror(self, children: ["id": id.text, "idNumber": identity.idNumber.masked])
    }
}
