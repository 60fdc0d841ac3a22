import Messages

/// An error from the smart-card layer: a stable `code` for programs, the PC/SC return value when there is one, a
/// reason for logs (never card data), and operator messages in Vietnamese and English.
///
/// Codes are strings so they survive JSON and logs unchanged; new codes can be added without breaking callers that
/// switch over the ones they know (the `Code` struct wraps the string, as swift-certificates does).
public struct SmartCardError: Error, Sendable, Hashable, CustomStringConvertible {
    /// A stable error code, e.g. `smartcard.card_removed`.
    public struct Code: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
        public var rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }
        public var description: String { rawValue }

        /// pcscd is not running, or stopped while we used it.
        public static let noService = Code(rawValue: "smartcard.no_service")
        /// pcscd runs but has no reader.
        public static let noReaders = Code(rawValue: "smartcard.no_readers")
        /// The named reader does not exist (any more).
        public static let readerUnavailable = Code(rawValue: "smartcard.reader_unavailable")
        /// No card in the reader.
        public static let noCard = Code(rawValue: "smartcard.no_card")
        /// The card was removed; the connection is gone.
        public static let cardRemoved = Code(rawValue: "smartcard.card_removed")
        /// The card was reset by another application; reconnect to go on.
        public static let cardReset = Code(rawValue: "smartcard.card_reset")
        /// The card does not answer (mute) or has no power.
        public static let cardUnresponsive = Code(rawValue: "smartcard.card_unresponsive")
        /// Another application holds the card exclusively.
        public static let sharingViolation = Code(rawValue: "smartcard.sharing_violation")
        /// A wait ran out of time.
        public static let timeout = Code(rawValue: "smartcard.timeout")
        /// A wait was cancelled (shutdown).
        public static let cancelled = Code(rawValue: "smartcard.cancelled")
        /// The card and the reader share no protocol, or the card is not one we can talk to.
        public static let unsupportedCard = Code(rawValue: "smartcard.unsupported_card")
        /// The card answered something that is not an APDU response (no status word, broken chaining).
        public static let malformedResponse = Code(rawValue: "smartcard.malformed_response")
        /// The connection or context is no longer valid (e.g. pcscd restarted under it).
        public static let invalidHandle = Code(rawValue: "smartcard.invalid_handle")
        /// Reader communication failed.
        public static let communication = Code(rawValue: "smartcard.communication")
        /// The connection was already closed by this program.
        public static let closed = Code(rawValue: "smartcard.closed")
        /// Anything else PC/SC reports.
        public static let other = Code(rawValue: "smartcard.other")
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
            return "\(code): \(reason) (PC/SC 0x\(String(UInt32(truncatingIfNeeded: pcscStatus), radix: 16, uppercase: true)))"
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
