import Messages

/// An error from the smart-card layer: a stable `code` for programs, the PC/SC return value when there is one, a
/// reason for logs (never card data), and operator messages in Vietnamese and English.
///
/// Codes are strings so they survive JSON and logs unchanged; new codes can be added without breaking callers that
/// switch over the ones they know (the `Code` struct wraps the string, as swift-certificates does).
public struct SmartCardError: Error, Sendable, Hashable, CustomStringConvertible {
    /// A stable error code, e.g. `smartcard.card_removed`.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        /// The closed set behind the codes (private, as swift-certificates does): no code exists but the ones below.
        private enum Backing: String, Sendable, CaseIterable {
            case noService = "smartcard.no_service"
            case noReaders = "smartcard.no_readers"
            case readerUnavailable = "smartcard.reader_unavailable"
            case noCard = "smartcard.no_card"
            case cardRemoved = "smartcard.card_removed"
            case cardReset = "smartcard.card_reset"
            case cardUnresponsive = "smartcard.card_unresponsive"
            case sharingViolation = "smartcard.sharing_violation"
            case timeout = "smartcard.timeout"
            case cancelled = "smartcard.cancelled"
            case unsupportedCard = "smartcard.unsupported_card"
            case malformedResponse = "smartcard.malformed_response"
            case invalidHandle = "smartcard.invalid_handle"
            case communication = "smartcard.communication"
            case closed = "smartcard.closed"
            case other = "smartcard.other"
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

        /// pcscd is not running, or stopped while we used it.
        public static let noService = Code(.noService)
        /// pcscd runs but has no reader.
        public static let noReaders = Code(.noReaders)
        /// The named reader does not exist (any more).
        public static let readerUnavailable = Code(.readerUnavailable)
        /// No card in the reader.
        public static let noCard = Code(.noCard)
        /// The card was removed; the connection is gone.
        public static let cardRemoved = Code(.cardRemoved)
        /// The card was reset by another application; reconnect to go on.
        public static let cardReset = Code(.cardReset)
        /// The card does not answer (mute) or has no power.
        public static let cardUnresponsive = Code(.cardUnresponsive)
        /// Another application holds the card exclusively.
        public static let sharingViolation = Code(.sharingViolation)
        /// A wait ran out of time.
        public static let timeout = Code(.timeout)
        /// A wait was cancelled (shutdown).
        public static let cancelled = Code(.cancelled)
        /// The card and the reader share no protocol, or the card is not one we can talk to.
        public static let unsupportedCard = Code(.unsupportedCard)
        /// The card answered something that is not an APDU response (no status word, broken chaining).
        public static let malformedResponse = Code(.malformedResponse)
        /// The connection or context is no longer valid (e.g. pcscd restarted under it).
        public static let invalidHandle = Code(.invalidHandle)
        /// Reader communication failed.
        public static let communication = Code(.communication)
        /// The connection was already closed by this program.
        public static let closed = Code(.closed)
        /// Anything else PC/SC reports.
        public static let other = Code(.other)
    }

    /// The stable code.
    public var code: Code
    /// The PC/SC return value (`LONG`), when the error came from PC/SC.
    public var pcscStatus: Int?
    /// A technical reason for logs; never card data.
    public var reason: String

    /// Builds an error.
    public init(_ code: Code, pcscStatus: Int? = nil, reason: String) {
        self.code = code
        self.pcscStatus = pcscStatus
        self.reason = reason
    }

    public var description: String {
        if let pcscStatus {
            return
                "\(code): \(reason) (PC/SC 0x\(String(UInt32(truncatingIfNeeded: pcscStatus), radix: 16, uppercase: true)))"
        }
        return "\(code): \(reason)"
    }

    /// Whether the PC/SC service itself is gone, so contexts must be re-established.
    public var meansServiceLost: Bool {
        code == .noService || code == .invalidHandle || code == .communication
    }

    /// What an operator should read, in Vietnamese (`"vi"`, the default) or English (`"en"`), from the message
    /// catalog (the code is the key; an unknown code reads as `smartcard.other`).
    public func operatorMessage(language: String = "vi") -> String {
        operatorMessage(Language(tag: language))
    }

    /// What an operator should read, from the message catalog.
    public func operatorMessage(_ language: Language) -> String {
        (MessageKey(rawValue: code.rawValue) ?? .smartcardOther).text(language)
    }
}

/// PC/SC return values (pcsclite.h). Declared here because the C macros are casts Swift does not import.
enum PCSCStatus {
    static let success = 0x0000_0000
    static let internalError = 0x8010_0001
    static let cancelled = 0x8010_0002
    static let invalidHandle = 0x8010_0003
    static let insufficientBuffer = 0x8010_0008
    static let unknownReader = 0x8010_0009
    static let timeout = 0x8010_000A
    static let sharingViolation = 0x8010_000B
    static let noSmartcard = 0x8010_000C
    static let unknownCard = 0x8010_000D
    static let protoMismatch = 0x8010_000F
    static let notReady = 0x8010_0010
    static let commError = 0x8010_0013
    static let notTransacted = 0x8010_0016
    static let readerUnavailable = 0x8010_0017
    static let noService = 0x8010_001D
    static let serviceStopped = 0x8010_001E
    static let unsupportedFeature = 0x8010_001F
    static let noReadersAvailable = 0x8010_002E
    static let unsupportedCard = 0x8010_0065
    static let unresponsiveCard = 0x8010_0066
    static let unpoweredCard = 0x8010_0067
    static let resetCard = 0x8010_0068
    static let removedCard = 0x8010_0069
}

extension SmartCardError {
    /// Maps a PC/SC return value from `function` to a typed error.
    static func pcsc(_ status: Int, _ function: String) -> SmartCardError {
        let code: Code
        switch status {
        case PCSCStatus.noService, PCSCStatus.serviceStopped: code = .noService
        case PCSCStatus.noReadersAvailable: code = .noReaders
        case PCSCStatus.unknownReader, PCSCStatus.readerUnavailable: code = .readerUnavailable
        case PCSCStatus.noSmartcard: code = .noCard
        case PCSCStatus.removedCard: code = .cardRemoved
        case PCSCStatus.resetCard: code = .cardReset
        case PCSCStatus.unresponsiveCard, PCSCStatus.unpoweredCard: code = .cardUnresponsive
        case PCSCStatus.sharingViolation: code = .sharingViolation
        case PCSCStatus.timeout: code = .timeout
        case PCSCStatus.cancelled: code = .cancelled
        case PCSCStatus.unsupportedCard, PCSCStatus.unknownCard, PCSCStatus.protoMismatch: code = .unsupportedCard
        case PCSCStatus.invalidHandle: code = .invalidHandle
        case PCSCStatus.commError, PCSCStatus.notTransacted: code = .communication
        default: code = .other
        }
        return SmartCardError(code, pcscStatus: status, reason: "\(function) failed")
    }
}
