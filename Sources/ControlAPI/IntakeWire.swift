import Foundation

/// `POST /v1/intake`: opens the one intake session; the connection that opens it controls it.
public struct IntakeStartRequest: Codable, Sendable, Hashable {
    /// Operator id recorded in the application (default: the peer's user name).
    public var operatorID: String?
    /// Creates a value.
    public init(operatorID: String? = nil) { self.operatorID = operatorID }
}

/// The session as the client sees it. Personal data only masked.
public struct IntakeSessionWire: Codable, Sendable, Hashable {
    /// Session id; send it back in the path.
    public var id: String
    /// State name (`idle`, `cardRead`, `biometrics`, `review`, `committed`, `abandoned`).
    public var state: String
    /// Application id once the card is read.
    public var applicationID: String?
    /// Masked ID number once the card is read.
    public var maskedIDNumber: String?
    /// Authenticity verdict once the card is read.
    public var authenticity: String?
    /// Fingers captured so far (ISO position numbers).
    public var fingers: [Int]
    /// A live portrait is attached.
    public var portrait: Bool
    /// The chip's portrait (DG2) once the card is read: `present`, `unreadable` (the identity stands, the portrait
    /// does not decode; `chipPortraitProblem` says which file and why) or `notRead`.
    public var chipPortrait: String?
    /// For technicians, with `chipPortrait: "unreadable"`: e.g. `DG2: facial information block length too small`.
    /// Never personal data or image bytes.
    public var chipPortraitProblem: String?
    /// Which document-signer validity model the chain was judged under (`checkTime`: valid now, the default;
    /// `signingTime`: valid when it signed), once the card is read and Passive Authentication ran.
    public var validityModel: String?
    /// Validation problems of the current review (nil before review).
    public var problems: [ValidationProblem]?
    /// Why it was abandoned.
    public var abandonReason: String?
    /// Creates a value.
    public init(
        id: String, state: String, applicationID: String? = nil, maskedIDNumber: String? = nil,
        authenticity: String? = nil, fingers: [Int] = [], portrait: Bool = false,
        problems: [ValidationProblem]? = nil,
        abandonReason: String? = nil
    ) {
        self.id = id
        self.state = state
        self.applicationID = applicationID
        self.maskedIDNumber = maskedIDNumber
        self.authenticity = authenticity
        self.fingers = fingers
        self.portrait = portrait
        self.problems = problems
        self.abandonReason = abandonReason
    }
}

/// One validation problem: stable code and the operator message.
public struct ValidationProblem: Codable, Sendable, Hashable {
    /// e.g. `intake.phone_missing`.
    public var code: String
    /// Message in the requested language.
    public var message: String
    /// Creates a value.
    public init(code: String, message: String) {
        self.code = code
        self.message = message
    }
}

/// `POST /v1/intake/{id}/card`: read the card with one access key.
public struct CardReadRequest: Codable, Sendable, Hashable {
    /// CAN (6 digits).
    public var can: String?
    /// MRZ text.
    public var mrz: String?
    /// Reader (default: the first with a card).
    public var reader: String?
    /// Creates a value.
    public init(can: String? = nil, mrz: String? = nil, reader: String? = nil) {
        self.can = can
        self.mrz = mrz
        self.reader = reader
    }
}

/// `POST /v1/intake/{id}/fingers`: capture one finger, or record an exception.
public struct FingerRequest: Codable, Sendable, Hashable {
    /// ISO/IEC 19794-4 finger position 1...10.
    public var finger: Int
    /// Scanner id (default: the first).
    public var scanner: String?
    /// `missingFinger`, `injury` or `unreadable` instead of a capture.
    public var exception: String?
    /// Creates a value.
    public init(finger: Int, scanner: String? = nil, exception: String? = nil) {
        self.finger = finger
        self.scanner = scanner
        self.exception = exception
    }
}

/// `PUT /v1/intake/{id}/details`: phone, bundle, priority group.
public struct DetailsRequest: Codable, Sendable, Hashable {
    /// Mobile number.
    public var phone: String?
    /// `utility` or `2in1` (3in1/4in1 need bank details: not yet over the socket).
    public var bundle: String?
    /// Priority group raw value.
    public var priorityGroup: String?
    /// A supervisor's reason for accepting an overridable authenticity verdict (supervisors only).
    public var overrideReason: String?
    /// Creates a value.
    public init(
        phone: String? = nil, bundle: String? = nil, priorityGroup: String? = nil,
        overrideReason: String? = nil
    ) {
        self.phone = phone
        self.bundle = bundle
        self.priorityGroup = priorityGroup
        self.overrideReason = overrideReason
    }
}

/// `POST /v1/verify` (health profile): read a card, answer identity and verdict.
public struct VerifyResult: Codable, Sendable, Hashable {
    /// Masked ID number.
    public var maskedIDNumber: String
    /// Name initials.
    public var initials: String
    /// Year of birth.
    public var yearOfBirth: Int?
    /// Authenticity verdict.
    public var authenticity: String
    /// `accept` or `refer` (to a clerk).
    public var verdict: String
    /// Which document-signer validity model the chain was judged under: `checkTime` (default) or `signingTime`.
    public var validityModel: String?
    /// Why the chain is what it is, e.g. `trusted`, `documentSignerExpired`, `noTrustAnchor`.
    public var chainReason: String?
    /// Creates a value.
    public init(
        maskedIDNumber: String, initials: String, yearOfBirth: Int?, authenticity: String,
        verdict: String, validityModel: String? = nil, chainReason: String? = nil
    ) {
        self.validityModel = validityModel
        self.chainReason = chainReason
        self.maskedIDNumber = maskedIDNumber
        self.initials = initials
        self.yearOfBirth = yearOfBirth
        self.authenticity = authenticity
        self.verdict = verdict
    }
}

/// One Server-Sent Event on `/v1/events` (`event:` is `type`, `data:` is this object as JSON).
public struct StationEvent: Codable, Sendable, Hashable {
    /// `reader.added`, `reader.removed`, `card.inserted`, `card.removed`, `pcsc.lost`, `pcsc.restored`,
    /// `intake.state`, `queue.changed`, `upload.progress`.
    public var type: String
    /// Reader name for reader/card events.
    public var reader: String?
    /// New state (intake, queue).
    public var state: String?
    /// Application id for queue events.
    public var applicationID: String?
    /// When.
    public var at: Date
    /// `patient.verified` only: the desk check's result (personal data, for the desk's subscribed HIS).
    public var patient: PatientVerification?
    /// Creates a value.
    public init(
        type: String, reader: String? = nil, state: String? = nil, applicationID: String? = nil,
        at: Date, patient: PatientVerification? = nil
    ) {
        self.type = type
        self.reader = reader
        self.state = state
        self.applicationID = applicationID
        self.at = at
        self.patient = patient
    }
}

/// JSON coding shared by daemon and clients: ISO 8601 dates, sorted keys.
public enum ControlJSON {
    /// The encoder.
    public static func encoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }
    /// The decoder.
    public static func decoder() -> JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return decoder
    }
}
