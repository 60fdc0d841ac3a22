import Foundation
import Messages

/// `POST /v1/verify` (health check-in desk): how to open the card. One of `qr`, `can`, `mrz`; with none, the CAN
/// last delivered by the station's serial QR scanner (`desk.qr_scanner`) is used.
public struct DeskVerifyRequest: Codable, Sendable, Hashable {
    /// The card's QR code as scanned (7 or 11 `|`-separated fields): gives the CAN and is cross-checked with the chip.
    public var qr: String?
    /// CAN (6 digits: the last 6 of the ID number).
    public var can: String?
    /// MRZ text (BAC).
    public var mrz: String?
    /// Reader (default: the first with a card).
    public var reader: String?
    /// Also read the chip's portrait (DG2) and return it (`portraitJPEG`). Read anyway when the card is short of
    /// `genuine`, so the clerk can compare the face.
    public var portrait: Bool?
    /// Wait this long for a card to be placed (0–60 s; default 0: answer `smartcard.no_card` at once).
    public var waitSeconds: Double?
    /// Creates a value.
    public init(
        qr: String? = nil, can: String? = nil, mrz: String? = nil, reader: String? = nil, portrait: Bool? = nil,
        waitSeconds: Double? = nil
    ) {
        self.qr = qr
        self.can = can
        self.mrz = mrz
        self.reader = reader
        self.portrait = portrait
        self.waitSeconds = waitSeconds
    }
}

/// `POST /v1/verify` answer and the `patient.verified` event: what a hospital information system needs at check-in.
///
/// Personal data (this is what the desk asked for): the daemon sends it to the caller and to event subscribers
/// only, never to its logs or store.
public struct PatientVerification: Codable, Sendable, Hashable {
    /// The 12-digit ID number.
    public var idNumber: String
    /// Masked ID number (`*********345`), for screens that must not show it whole.
    public var maskedIDNumber: String
    /// Full name with diacritics.
    public var fullName: String
    /// Name initials.
    public var initials: String
    /// Date of birth, `YYYY-MM-DD`.
    public var dateOfBirth: String
    /// Year of birth.
    public var yearOfBirth: Int?
    /// `M`, `F` or `X`.
    public var sex: String
    /// Place of residence (DG13), when the chip's DG13 was read.
    public var residence: String?
    /// Card issue date `YYYY-MM-DD` (DG13), when read.
    public var issueDate: String?
    /// Card expiry `YYYY-MM-DD`; nil when the card has none ("Không thời hạn").
    public var expiryDate: String?
    /// The card is past its expiry date (Vietnam's calendar day).
    public var expired: Bool
    /// The authenticity verdict (one name: `genuine`, `noTrustAnchor`, `untrustedSigner`, `hashMismatch`, `clone`,
    /// `notChecked`).
    public var authenticity: String
    /// The verdict's details.
    public var authenticityDetails: AuthenticityDetails
    /// `accept` or `refer` (to a clerk).
    public var verdict: String
    /// Why, in both languages (for `accept` too).
    public var reason: DeskReason
    /// How the card was opened: `qr`, `qrScanner`, `can` or `mrz`.
    public var method: String
    /// The QR code compared with the chip, when a QR was given.
    public var qrCheck: QRCheckWire?
    /// Insurance status (`off` when no gateway is configured).
    public var insurance: InsuranceWire
    /// The chip's portrait (JPEG, base64), when asked for or when the card is short of `genuine`.
    public var portraitJPEG: String?
    /// Where the time went.
    public var timings: DeskTimings
    /// Which document-signer validity model the chain was judged under (also in `authenticityDetails`).
    public var validityModel: String?
    /// Why the chain is what it is (also in `authenticityDetails`).
    public var chainReason: String?

    /// Creates a value.
    public init(
        idNumber: String, maskedIDNumber: String, fullName: String, initials: String, dateOfBirth: String,
        yearOfBirth: Int?, sex: String, residence: String?, issueDate: String?, expiryDate: String?, expired: Bool,
        authenticity: String, authenticityDetails: AuthenticityDetails, verdict: String, reason: DeskReason,
        method: String, qrCheck: QRCheckWire?, insurance: InsuranceWire, portraitJPEG: String?, timings: DeskTimings,
        validityModel: String?, chainReason: String?
    ) {
        self.idNumber = idNumber
        self.maskedIDNumber = maskedIDNumber
        self.fullName = fullName
        self.initials = initials
        self.dateOfBirth = dateOfBirth
        self.yearOfBirth = yearOfBirth
        self.sex = sex
        self.residence = residence
        self.issueDate = issueDate
        self.expiryDate = expiryDate
        self.expired = expired
        self.authenticity = authenticity
        self.authenticityDetails = authenticityDetails
        self.verdict = verdict
        self.reason = reason
        self.method = method
        self.qrCheck = qrCheck
        self.insurance = insurance
        self.portraitJPEG = portraitJPEG
        self.timings = timings
        self.validityModel = validityModel
        self.chainReason = chainReason
    }

    /// The verdict's details.
    public struct AuthenticityDetails: Codable, Sendable, Hashable {
        /// Why the chain is what it is, e.g. `trusted`, `documentSignerExpired`, `noTrustAnchor`.
        public var chainReason: String?
        /// `checkTime` or `signingTime`.
        public var validityModel: String?
        /// DG1 vs DG13: `consistent`, `mismatch` or `notCompared`.
        public var dataGroups: String
        /// `present`, `unreadable` or `notRead`.
        public var portrait: String
        /// Creates a value.
        public init(chainReason: String?, validityModel: String?, dataGroups: String, portrait: String) {
            self.chainReason = chainReason
            self.validityModel = validityModel
            self.dataGroups = dataGroups
            self.portrait = portrait
        }
    }
}

/// The codes `POST /v1/verify` refuses a request with when it names no usable access key (HTTP 400).
public struct DeskErrorCode: ControlAPICode {
    /// The closed set behind the codes (private, as swift-certificates does).
    private enum Backing: String, Sendable, CaseIterable {
        case noKey = "desk.no_key"
        case canInvalid = "desk.can_invalid"
        case mrzInvalid = "desk.mrz_invalid"
    }

    private let backing: Backing
    private init(_ backing: Backing) { self.backing = backing }

    /// The code text.
    public var rawValue: String { backing.rawValue }
    /// Every code.
    public static var allCases: [DeskErrorCode] { Backing.allCases.map { DeskErrorCode($0) } }

    /// Neither a QR code, a CAN nor an MRZ, and no scan from the station's QR scanner.
    public static let noKey = DeskErrorCode(.noKey)
    /// The CAN is not 6 digits.
    public static let canInvalid = DeskErrorCode(.canInvalid)
    /// The MRZ lines are not valid.
    public static let mrzInvalid = DeskErrorCode(.mrzInvalid)
}

/// A decision's reason: a stable code and sentences for the clerk.
public struct DeskReason: Codable, Sendable, Hashable {
    /// e.g. `desk.accepted`, `desk.card_expired`, `desk.clone`.
    public var code: String
    /// Vietnamese.
    public var vi: String
    /// English.
    public var en: String
    /// Creates a value.
    public init(code: String, vi: String, en: String) {
        self.code = code
        self.vi = vi
        self.en = en
    }
}

extension DeskReason {
    /// A reason whose sentences are a catalog message, in both languages.
    public init(code: String, _ message: Message) {
        self.init(code: code, vi: message.text(.vietnamese), en: message.text(.english))
    }
}

/// The QR code compared with the chip.
public struct QRCheckWire: Codable, Sendable, Hashable {
    /// `cccd2021`, `canCuoc2024` or `zalo`.
    public var layout: String
    /// Every compared field agrees.
    public var consistent: Bool
    /// Fields compared: `idNumber`, `fullName`, `dateOfBirth`, `sex`, `residence`, `issueDate`.
    public var compared: [String]
    /// Fields that disagree (the chip's value is the one shown).
    public var mismatches: [String]
    /// Creates a value.
    public init(layout: String, consistent: Bool, compared: [String], mismatches: [String]) {
        self.layout = layout
        self.consistent = consistent
        self.compared = compared
        self.mismatches = mismatches
    }
}

/// Insurance (BHYT) status from the social-insurance gateway.
public struct InsuranceWire: Codable, Sendable, Hashable {
    /// `off` (no gateway configured), `valid`, `expired`, `notFound`, or `unknown` (the gateway did not answer
    /// usably within the budget: identity verified, insurance unknown).
    public var status: String
    /// Why `unknown` or `notFound` (e.g. `insurance.timeout`, `insurance.server_error`), in English.
    public var detail: String?
    /// Insurance card code (`maThe`).
    public var cardCode: String?
    /// Valid from, `YYYY-MM-DD` (`gtTheTu`).
    public var validFrom: String?
    /// Valid to, `YYYY-MM-DD` (`gtTheDen`).
    public var validTo: String?
    /// Registered first-contact facility code (`maDKBD`).
    public var registeredFacility: String?
    /// Gateway result code (`maKetQua`).
    public var resultCode: String?
    /// Fields where the insurance record and the chip disagree (each recorded once as a cleansing entry).
    public var disagreements: [String]
    /// Creates a value.
    public init(
        status: String, detail: String? = nil, cardCode: String? = nil, validFrom: String? = nil,
        validTo: String? = nil, registeredFacility: String? = nil, resultCode: String? = nil,
        disagreements: [String] = []
    ) {
        self.status = status
        self.detail = detail
        self.cardCode = cardCode
        self.validFrom = validFrom
        self.validTo = validTo
        self.registeredFacility = registeredFacility
        self.resultCode = resultCode
        self.disagreements = disagreements
    }
}

/// Milliseconds per phase of a desk check.
public struct DeskTimings: Codable, Sendable, Hashable {
    /// Waiting for a card to be placed.
    public var waitMs: Double
    /// The chip read (access control, files, Chip/Active and Passive Authentication), both reads when the portrait
    /// was read afterwards.
    public var cardMs: Double
    /// The insurance lookup (concurrent with nothing: after the chip gives the identity).
    public var insuranceMs: Double
    /// From the request to the answer.
    public var totalMs: Double
    /// Creates a value.
    public init(waitMs: Double, cardMs: Double, insuranceMs: Double, totalMs: Double) {
        self.waitMs = waitMs
        self.cardMs = cardMs
        self.insuranceMs = insuranceMs
        self.totalMs = totalMs
    }
}

extension ControlPaths {
    /// `GET ?since=YYYY-MM-DD`: the health desk's cleansing list as CSV (UTF-8 with BOM; supervisors).
    public static let cleansing = "/v1/cleansing"
}

extension ControlPaths {
    /// `GET ?date=YYYY-MM-DD`: the facility's daily figure (check-ins by method, % identified by chip card).
    public static let deskStats = "/v1/desk/stats"
}

/// One Vietnamese day's desk check-ins by method and the share identified by chip card (target 80 %).
public struct DeskStatsWire: Codable, Sendable, Hashable {
    /// The day, `YYYY-MM-DD` (Asia/Ho_Chi_Minh).
    public var date: String
    /// Accepted on the chip card opened from its QR code.
    public var chipVerified: Int
    /// The chip not read: the (unsigned) QR code only.
    public var qrOnly: Int
    /// Accepted on the chip card opened with a typed CAN or MRZ.
    public var typed: Int
    /// Referred.
    public var refused: Int
    /// All check-ins.
    public var total: Int
    /// (chipVerified + typed) / total × 100; absent without check-ins.
    public var percentByChip: Double?
    /// The target (seed 002: 80 % identified by chip card or level-2 account).
    public var targetPercent: Double
    /// Creates a value.
    public init(
        date: String, chipVerified: Int, qrOnly: Int, typed: Int, refused: Int, total: Int, percentByChip: Double?,
        targetPercent: Double = 80
    ) {
        self.date = date
        self.chipVerified = chipVerified
        self.qrOnly = qrOnly
        self.typed = typed
        self.refused = refused
        self.total = total
        self.percentByChip = percentByChip
        self.targetPercent = targetPercent
    }
}
