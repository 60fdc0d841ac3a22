import Messages
import SmartCard

/// Every failure `ChipID` reports: a stable machine-readable `code`, a human reason (never personal data, never
/// key material), and, where the card said so, the status word and the attempts left.
public struct ChipIDError: Error, Sendable, Hashable, CustomStringConvertible {
    /// Stable error codes: logs, metrics and the operator UI key on these strings.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        /// The closed set behind the codes (private, as swift-certificates does): no code exists but the ones below.
        private enum Backing: String, Sendable, CaseIterable {
            case accessDenied = "chip.access_denied"
            case accessBlocked = "chip.access_blocked"
            case transport = "chip.transport"
            case cardRemoved = "chip.card_removed"
            case badMAC = "chip.bad_mac"
            case smMalformed = "chip.sm_malformed"
            case sessionClosed = "chip.session_closed"
            case malformedFile = "chip.malformed_file"
            case fileMissing = "chip.file_missing"
            case cardRefused = "chip.card_refused"
            case chipAuthenticationFailed = "chip.chip_auth_failed"
            case protocolViolation = "chip.protocol"
            case unsupported = "chip.unsupported"
            case crypto = "chip.crypto"
            case invalidAccessKey = "chip.invalid_access_key"
            case sodMalformed = "chip.sod_malformed"
            case unsupportedAlgorithm = "chip.unsupported_algorithm"
            case certificateMalformed = "chip.certificate_malformed"
            case masterListMalformed = "chip.masterlist_malformed"
            case masterListSignatureInvalid = "chip.masterlist_signature_invalid"
            case unreadableInput = "chip.unreadable_input"
            case activeAuthenticationFailed = "chip.active_auth_failed"
        }

        private let backing: Backing
        private init(_ backing: Backing) { self.backing = backing }

        /// The code text.
        public var rawValue: String { backing.rawValue }
        /// The code with this text, or nil when the text is none of the closed set.
        public init?(rawValue: String) {
            guard let backing = Backing(rawValue: rawValue) else { return nil }
            self.init(backing)
        }
        /// Every code.
        public static var allCases: [Code] { Backing.allCases.map { Code($0) } }
        public var description: String { rawValue }

        /// The card rejected the access key (wrong CAN/MRZ data); `attemptsLeft` tells how many tries remain.
        public static let accessDenied = Code(.accessDenied)
        /// The password is blocked or suspended on the card (`6983`, or `63C0`).
        public static let accessBlocked = Code(.accessBlocked)
        /// The transport failed (reader gone, communication error); the PC/SC error is kept in `smartCardError`.
        public static let transport = Code(.transport)
        /// The card left the reader (or was reset) during the read; `smartCardError` has the PC/SC details.
        public static let cardRemoved = Code(.cardRemoved)
        /// A secure-messaging MAC did not verify: the session is closed.
        public static let badMAC = Code(.badMAC)
        /// A secure-messaging response lacked required objects or was malformed.
        public static let smMalformed = Code(.smMalformed)
        /// The secure-messaging session was closed by an earlier failure and cannot be used.
        public static let sessionClosed = Code(.sessionClosed)
        /// A file's contents do not parse.
        public static let malformedFile = Code(.malformedFile)
        /// A file the reader needs is not on the card (`6A82`).
        public static let fileMissing = Code(.fileMissing)
        /// The card refused an operation (`6982` etc.) outside authentication.
        public static let cardRefused = Code(.cardRefused)
        /// The chip's authentication cryptogram/token did not verify (possible clone or protocol error).
        public static let chipAuthenticationFailed = Code(.chipAuthenticationFailed)
        /// The card answered something the protocol does not allow.
        public static let protocolViolation = Code(.protocolViolation)
        /// The card asks for something this reader does not implement (an unknown PACE OID, a curve…).
        public static let unsupported = Code(.unsupported)
        /// OpenSSL failed (should not happen; indicates a broken library or bad inputs).
        public static let crypto = Code(.crypto)
        /// The access key text typed by the operator is invalid.
        public static let invalidAccessKey = Code(.invalidAccessKey)

        // Document authenticity (Passive, Active and Chip Authentication, trust lists).
        /// EF.SOD (or another CMS object) does not parse as a CMS SignedData with the expected content.
        public static let sodMalformed = Code(.sodMalformed)
        /// A signature or digest algorithm this reader does not implement.
        public static let unsupportedAlgorithm = Code(.unsupportedAlgorithm)
        /// A certificate or CRL does not parse.
        public static let certificateMalformed = Code(.certificateMalformed)
        /// An ICAO CSCA master list does not parse.
        public static let masterListMalformed = Code(.masterListMalformed)
        /// An ICAO CSCA master list's own signature does not verify: nothing from it may be loaded.
        public static let masterListSignatureInvalid = Code(.masterListSignatureInvalid)
        /// A trust-list folder or an LDS folder cannot be read.
        public static let unreadableInput = Code(.unreadableInput)
        /// Active Authentication's signature did not verify (possible clone).
        public static let activeAuthenticationFailed = Code(.activeAuthenticationFailed)
    }

    /// The stable code.
    public var code: Code
    /// What happened, in English, for logs. No personal data.
    public var reason: String
    /// The card's status word, when one caused the error.
    public var status: StatusWord?
    /// Remaining password attempts (`63Cx`), when the card gave them.
    public var attemptsLeft: Int?
    /// A description of the underlying transport error, for `transport` errors.
    public var underlying: String?
    /// The smart-card layer's error, passed through unchanged, when the transport threw one.
    public var smartCardError: SmartCardError?
    /// The file the error is about (a file that does not parse, is missing or was refused), when there is one.
    public var file: LDSFile?

    /// For technicians and `detail` fields: which file and why, e.g. `DG2: facial information block length too
    /// small`. Never personal data (reasons name structures, lengths and tags, not values).
    public var detail: String {
        guard let file else { return reason }
        let name = file.description
        return reason.hasPrefix(name) ? reason : "\(name): \(reason)"
    }

    /// The same error, about `file` (kept when already set).
    public func about(_ file: LDSFile) -> ChipIDError {
        var copy = self
        if copy.file == nil { copy.file = file }
        return copy
    }

    /// Builds an error.
    public init(
        _ code: Code, _ reason: String, status: StatusWord? = nil, attemptsLeft: Int? = nil,
        underlying: String? = nil
    ) {
        self.code = code
        self.reason = reason
        self.status = status
        self.attemptsLeft = attemptsLeft
        self.underlying = underlying
    }

    /// The message for the operator in Vietnamese (the default language).
    public var operatorMessage: String { operatorMessage(.vietnamese) }

    /// The message for the operator, from the message catalog.
    public func operatorMessage(_ language: Language) -> String {
        switch code {
        case .accessDenied:
            let tries = attemptsLeft.map { " " + MessageKey.chipAttemptsLeft.text(language, ["count": "\($0)"]) }
            return MessageKey.chipAccessDenied.text(language) + (tries ?? "")
        case .accessBlocked: return MessageKey.chipAccessBlocked.text(language)
        case .transport: return MessageKey.chipTransport.text(language)
        case .cardRemoved: return MessageKey.chipCardRemoved.text(language)
        case .badMAC, .smMalformed, .sessionClosed: return MessageKey.chipSecureSession.text(language)
        case .fileMissing: return MessageKey.chipFileMissing.text(language)
        case .malformedFile:
            return MessageKey.chipMalformedFile.text(language, ["file": file.map { " (\($0))" } ?? ""])
        case .chipAuthenticationFailed: return MessageKey.chipChipAuthFailed.text(language)
        case .invalidAccessKey: return MessageKey.chipInvalidAccessKey.text(language)
        default: return MessageKey.chipOther.text(language)
        }
    }

    public var description: String {
        var text = "\(code.rawValue): \(detail)"
        if let status { text += " [SW \(status)]" }
        if let attemptsLeft { text += " [attempts left \(attemptsLeft)]" }
        if let underlying { text += " [\(underlying)]" }
        return text
    }

    /// Wraps any error thrown by a transport: `ChipIDError`s pass through, anything else becomes `.transport`.
    static func wrapping(_ error: any Error) -> ChipIDError {
        if let own = error as? ChipIDError { return own }
        guard let card = error as? SmartCardError else {
            return ChipIDError(.transport, "card transport failed", underlying: String(describing: error))
        }
        let removed: Set<SmartCardError.Code> = [.cardRemoved, .noCard, .cardReset]
        var wrapped = ChipIDError(
            removed.contains(card.code) ? .cardRemoved : .transport,
            "card transport failed: \(card.code.rawValue)", underlying: card.reason)
        wrapped.smartCardError = card
        return wrapped
    }

    /// The error for a failed status word on an ordinary (non-authentication) command.
    static func status(_ status: StatusWord, doing what: String) -> ChipIDError {
        switch status {
        case .fileNotFound: ChipIDError(.fileMissing, "\(what): file not found", status: status)
        case .smObjectsMissing, .smObjectsIncorrect:
            ChipIDError(.smMalformed, "\(what): card rejected the secure-messaging objects", status: status)
        default: ChipIDError(.cardRefused, "\(what): card answered an error", status: status)
        }
    }
}
