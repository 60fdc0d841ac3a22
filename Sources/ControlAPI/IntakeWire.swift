import Foundation

/// `POST /v1/intake`: opens the one intake session; the connection that opens it controls it.
public struct IntakeStartRequest: Codable, Sendable, Hashable {
    /// Operator id recorded in the application (default: the peer's user name).
    public var operatorID: String?
    /// The commune the session's applications are taken for: one of `GET /v1/places` (default: the point's).
    public var commune: String?
    /// The hamlet, one of the commune's in `GET /v1/places` (default: none).
    public var hamlet: String?
    /// Creates a value.
    public init(operatorID: String? = nil, commune: String? = nil, hamlet: String? = nil) {
        self.operatorID = operatorID
        self.commune = commune
        self.hamlet = hamlet
    }
}

/// `PUT /v1/intake/{id}/place`: the commune and hamlet of a session that has not read a card yet.
public struct IntakePlaceRequest: Codable, Sendable, Hashable {
    /// One of `GET /v1/places` (absent: the point's).
    public var commune: String?
    /// One of the commune's hamlets (absent: none).
    public var hamlet: String?
    /// Creates a value.
    public init(commune: String? = nil, hamlet: String? = nil) {
        self.commune = commune
        self.hamlet = hamlet
    }
}

/// `GET /v1/places`: the communes and hamlets an intake session may be taken for (`point.communes`,
/// `point.hamlets`), the registration point's commune first (the default).
public struct PlacesWire: Codable, Sendable, Hashable {
    /// One commune and its hamlets.
    public struct Commune: Codable, Sendable, Hashable {
        /// 5-digit code.
        public var code: String
        /// The hamlets an officer may choose (empty: none recorded).
        public var hamlets: [String]
        /// Creates a value.
        public init(code: String, hamlets: [String]) {
            self.code = code
            self.hamlets = hamlets
        }
    }
    /// The commune a session takes when none is chosen.
    public var defaultCommune: String
    /// Every commune, the default first.
    public var communes: [Commune]
    /// Creates a value.
    public init(defaultCommune: String, communes: [Commune]) {
        self.defaultCommune = defaultCommune
        self.communes = communes
    }
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
    /// In review: the summary to read to the citizen before the commit (send its `revision` back with the commit).
    public var readBack: IntakeReadBackWire?
    /// While `paused`: the step the session resumes when the card is put back.
    public var resumeStep: String?
    /// Once `committed`: the application's short reference for the receipt (`K7M2-QX4G`).
    public var reference: String?
    /// The commune the session's applications are taken for.
    public var communeCode: String?
    /// The hamlet chosen for the session, if any.
    public var hamlet: String?
    /// Once the card is read or the identity typed: the priority group the date of birth (and a missing card)
    /// suggests, to show the officer; it is set only by `PUT …/details` (`priorityGroup`).
    public var suggestedPriorityGroup: String?
    /// The officer's finger exception requests in this session, pending a supervisor or decided (absent when none).
    public var exceptionRequests: [FingerExceptionWire]?
    /// What the officer is told with this answer while the session goes on (e.g. an exception request waits for a
    /// supervisor: `intake.notice.exceptionAwaitsSupervisor`), in the caller's language.
    public var notice: ValidationProblem?
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
    /// `missingFinger`, `injury` or `unreadable` instead of a capture: only a supervisor confirms one (an operator's
    /// is kept as a request pending a supervisor: `/v1/exceptions`).
    public var exception: String?
    /// A supervisor caller's reason for the exception (recorded at once); an operator's note for the supervisor.
    public var exceptionReason: String?
    /// Creates a value.
    public init(finger: Int, scanner: String? = nil, exception: String? = nil, exceptionReason: String? = nil) {
        self.finger = finger
        self.scanner = scanner
        self.exception = exception
        self.exceptionReason = exceptionReason
    }
}

/// `POST /v1/intake/{id}/refusal`: the citizen whose card was read cannot be registered today; recorded in the
/// eligibility list and the session ends.
public struct RefusalRequest: Codable, Sendable, Hashable {
    /// Not yet eligible: `under14`, `noPhone`, `minorWithoutPhonePermission`, `inPrison`, `missing`, `abroad`,
    /// `absent`, `remoteNoCoverage`; ineligible: `illness`, `mentalDisability`, `noCivilCapacity`.
    public var reason: String
    /// The local authority confirmed it (an ineligible record is complete only once confirmed).
    public var confirmedByLocalAuthority: Bool?
    /// A free-text note (kept sealed with the record; at most 500 characters).
    public var note: String?
    /// Creates a value.
    public init(reason: String, confirmedByLocalAuthority: Bool? = nil, note: String? = nil) {
        self.reason = reason
        self.confirmedByLocalAuthority = confirmedByLocalAuthority
        self.note = note
    }
}

/// `PUT /v1/intake/{id}/details`: phone, bundle (with its bank and benefits), priority group.
public struct DetailsRequest: Codable, Sendable, Hashable {
    /// Mobile number.
    public var phone: String?
    /// `utility`, `2in1`, `3in1` (with a bank) or `4in1` (with a bank and benefits). Absent: `utility`, or `2in1`
    /// in a session without a card.
    public var bundle: String?
    /// Priority group raw value.
    public var priorityGroup: String?
    /// A supervisor's reason for accepting an overridable authenticity verdict (supervisors only).
    public var overrideReason: String?
    /// 3in1/4in1: the bank's code, one of `GET /v1/banks`.
    public var bankCode: String?
    /// 3in1/4in1: an existing account to link (6–19 digits); absent: open a new one.
    public var accountNumber: String?
    /// 3in1/4in1: the citizen agreed that the bank opens or links the account (required).
    public var accountConsent: Bool?
    /// 3in1/4in1: the citizen also applies for a preferential loan.
    public var preferentialLoan: Bool?
    /// 4in1: the social benefits paid into the account (`pension`, `socialAllowance`, `meritAllowance`,
    /// `unemploymentInsurance`, `other`; at least one).
    public var benefits: [String]?
    /// Creates a value.
    public init(
        phone: String? = nil, bundle: String? = nil, priorityGroup: String? = nil,
        overrideReason: String? = nil, bankCode: String? = nil, accountNumber: String? = nil,
        accountConsent: Bool? = nil, preferentialLoan: Bool? = nil, benefits: [String]? = nil
    ) {
        self.phone = phone
        self.bundle = bundle
        self.priorityGroup = priorityGroup
        self.overrideReason = overrideReason
        self.bankCode = bankCode
        self.accountNumber = accountNumber
        self.accountConsent = accountConsent
        self.preferentialLoan = preferentialLoan
        self.benefits = benefits
    }
}

/// `POST /v1/intake/{id}/identity`: a citizen without a chip card (2-in-1 without a card): the identity typed from
/// their papers, instead of a card read (personal data: never logged).
public struct TypedIdentityRequest: Codable, Sendable, Hashable {
    /// The 12-digit personal number.
    public var idNumber: String
    /// Full name.
    public var fullName: String
    /// Date of birth, `YYYY-MM-DD`.
    public var dateOfBirth: String
    /// `M` or `F`.
    public var sex: String
    /// Creates a value.
    public init(idNumber: String, fullName: String, dateOfBirth: String, sex: String) {
        self.idNumber = idNumber
        self.fullName = fullName
        self.dateOfBirth = dateOfBirth
        self.sex = sex
    }
}

/// `GET /v1/banks`: the banks a 3-in-1 or 4-in-1 application may name (`BankDirectory`).
public struct BanksWire: Codable, Sendable, Hashable {
    /// One bank.
    public struct Bank: Codable, Sendable, Hashable {
        /// The NAPAS bank code (6 digits): `bankCode` of the details.
        public var code: String
        /// The short name (`Agribank`).
        public var shortName: String
        /// The full Vietnamese name.
        public var name: String
        /// Creates a value.
        public init(code: String, shortName: String, name: String) {
            self.code = code
            self.shortName = shortName
            self.name = name
        }
    }
    /// Every bank, in the list's order.
    public var banks: [Bank]
    /// Creates a value.
    public init(banks: [Bank]) { self.banks = banks }
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
    /// `intake.state`, `queue.changed`, `upload.progress`, `capture.attempt`.
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
    /// `capture.attempt` only: the intake session whose capture this is.
    public var session: String?
    /// `capture.attempt` only: the finger, by its ISO/IEC 19794-4 position 1...10 (people read its name).
    public var finger: Int?
    /// `capture.attempt` only: the attempt's number, from 1.
    public var attempt: Int?
    /// `capture.attempt` only: the attempt's quality, 0...100.
    public var quality: Int?
    /// `capture.attempt` only: the capture accepts this attempt and ends with it.
    public var accepted: Bool?
    /// `capture.attempt` only: advice for the next press (`CaptureAdvice` codes such as `press-harder`), empty
    /// when accepted.
    public var advice: [String]?
    /// `capture.attempt` only: when the attempt was decided, in milliseconds since 1970 (`at` keeps whole
    /// seconds): what the console's "quality shown ≤ 100 ms after the decision" is measured from.
    public var decidedAtMillis: Int64?

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

    /// A `capture.attempt` event: one attempt of a finger's capture in `session`, as soon as it is decided.
    public static func captureAttempt(
        session: String, finger: Int, attempt: Int, quality: Int, accepted: Bool, advice: [String], decidedAt: Date
    ) -> StationEvent {
        var event = StationEvent(type: captureAttemptType, at: decidedAt)
        event.session = session
        event.finger = finger
        event.attempt = attempt
        event.quality = quality
        event.accepted = accepted
        event.advice = advice
        event.decidedAtMillis = Int64((decidedAt.timeIntervalSince1970 * 1000).rounded())
        return event
    }

    /// The type of `captureAttempt` events.
    public static let captureAttemptType = "capture.attempt"
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

/// The summary read to the citizen before the commit (personal data: shown to the officer, never logged).
public struct IntakeReadBackWire: Codable, Sendable, Hashable {
    /// One finger: by its position, with its quality or its exception.
    public struct Finger: Codable, Sendable, Hashable {
        /// ISO/IEC 19794-4 position 1...10.
        public var position: Int
        /// Quality 0...100 of a captured print.
        public var quality: Int?
        /// The exception recorded instead of a print.
        public var exception: String?
        /// Creates a value.
        public init(position: Int, quality: Int?, exception: String?) {
            self.position = position
            self.quality = quality
            self.exception = exception
        }
    }
    /// The revision this summary shows: commit with `{"readBackRevision": revision}`.
    public var revision: Int
    /// Full name from the chip.
    public var fullName: String
    /// Date of birth, ISO 8601.
    public var dateOfBirth: String
    /// The ID number, masked but for its last three digits.
    public var maskedIDNumber: String
    /// Phone for the activation SMS.
    public var phone: String?
    /// The bundle.
    public var bundle: String
    /// The priority group, if any.
    public var priorityGroup: String?
    /// The group the date of birth (and a missing card) suggests: shown, never set.
    public var suggestedPriorityGroup: String?
    /// The bank of a 3-in-1 or 4-in-1 (its code).
    public var bankCode: String?
    /// The benefits of a 4-in-1.
    public var benefits: [String]?
    /// The commune.
    public var communeCode: String
    /// The hamlet chosen for the session, if any.
    public var hamlet: String?
    /// Each finger.
    public var fingers: [Finger]
    /// A live portrait is attached.
    public var portraitPresent: Bool
    /// This revision passed validation.
    public var validated: Bool
    /// Creates a value.
    public init(
        revision: Int, fullName: String, dateOfBirth: String, maskedIDNumber: String, phone: String?, bundle: String,
        priorityGroup: String?, communeCode: String, fingers: [Finger], portraitPresent: Bool, validated: Bool
    ) {
        self.revision = revision
        self.fullName = fullName
        self.dateOfBirth = dateOfBirth
        self.maskedIDNumber = maskedIDNumber
        self.phone = phone
        self.bundle = bundle
        self.priorityGroup = priorityGroup
        self.communeCode = communeCode
        self.fingers = fingers
        self.portraitPresent = portraitPresent
        self.validated = validated
    }
}

/// `POST /v1/intake/{id}/commit` body (optional): the read-back revision the citizen heard.
public struct IntakeCommitRequest: Codable, Sendable, Hashable {
    /// The `readBack.revision` that was read to the citizen; a changed application is not committed.
    public var readBackRevision: Int?
    /// Creates a value.
    public init(readBackRevision: Int? = nil) { self.readBackRevision = readBackRevision }
}
