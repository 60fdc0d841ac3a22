import Foundation

/// An ISO/IEC 7816-4 status word (SW1 SW2), with the names the standard gives the common ones.
public struct StatusWord: Sendable, Hashable, CustomStringConvertible {
    /// First status byte.
    public var sw1: UInt8
    /// Second status byte.
    public var sw2: UInt8

    /// Builds a status word from its two bytes.
    public init(sw1: UInt8, sw2: UInt8) {
        self.sw1 = sw1
        self.sw2 = sw2
    }

    /// Builds a status word from its 16-bit value, e.g. `0x9000`.
    public init(_ value: UInt16) {
        self.init(sw1: UInt8(value >> 8), sw2: UInt8(value & 0xFF))
    }

    /// The 16-bit value.
    public var value: UInt16 { UInt16(sw1) << 8 | UInt16(sw2) }

    /// `9000`: normal processing.
    public static let success = StatusWord(0x9000)
    /// `6282`: end of file reached before reading Le bytes.
    public static let endOfFile = StatusWord(0x6282)
    /// `6700`: wrong length.
    public static let wrongLength = StatusWord(0x6700)
    /// `6882`: secure messaging not supported.
    public static let secureMessagingNotSupported = StatusWord(0x6882)
    /// `6982`: security status not satisfied.
    public static let securityStatusNotSatisfied = StatusWord(0x6982)
    /// `6983`: authentication method blocked.
    public static let authenticationBlocked = StatusWord(0x6983)
    /// `6984`: reference data not usable.
    public static let referenceDataNotUsable = StatusWord(0x6984)
    /// `6985`: conditions of use not satisfied.
    public static let conditionsNotSatisfied = StatusWord(0x6985)
    /// `6986`: command not allowed (no current EF).
    public static let noCurrentEF = StatusWord(0x6986)
    /// `6987`: expected secure messaging data objects missing.
    public static let smObjectsMissing = StatusWord(0x6987)
    /// `6988`: incorrect secure messaging data objects.
    public static let smObjectsIncorrect = StatusWord(0x6988)
    /// `6A80`: incorrect parameters in the data field.
    public static let wrongData = StatusWord(0x6A80)
    /// `6A81`: function not supported.
    public static let functionNotSupported = StatusWord(0x6A81)
    /// `6A82`: file or application not found.
    public static let fileNotFound = StatusWord(0x6A82)
    /// `6A86`: incorrect parameters P1-P2.
    public static let wrongP1P2 = StatusWord(0x6A86)
    /// `6A88`: referenced data not found.
    public static let referencedDataNotFound = StatusWord(0x6A88)
    /// `6B00`: wrong parameters (offset outside the EF).
    public static let wrongParameters = StatusWord(0x6B00)
    /// `6D00`: instruction not supported.
    public static let insNotSupported = StatusWord(0x6D00)
    /// `6E00`: class not supported.
    public static let claNotSupported = StatusWord(0x6E00)
    /// `6F00`: no precise diagnosis.
    public static let noPreciseDiagnosis = StatusWord(0x6F00)

    /// Only `9000`: warnings (`62xx`, `63xx`) and `61xx` are not success; `CardConnection.transmit` resolves `61xx`
    /// itself, and callers that accept a warning (e.g. `6282` at the end of a file) check for it explicitly.
    public var isSuccess: Bool { self == .success }

    /// `61xx`: more response bytes are waiting; `sw2` of them (0 = 256), fetched with GET RESPONSE.
    public var bytesRemaining: Int? { sw1 == 0x61 ? (sw2 == 0 ? 256 : Int(sw2)) : nil }

    /// `6Cxx`: wrong Le; the card says the right one in `sw2` (0 = 256).
    public var correctLe: Int? { sw1 == 0x6C ? (sw2 == 0 ? 256 : Int(sw2)) : nil }

    /// `63Cx`: a verification failed and `x` tries remain.
    public var triesRemaining: Int? { sw1 == 0x63 && sw2 & 0xF0 == 0xC0 ? Int(sw2 & 0x0F) : nil }

    /// The standard's name for this status, or its class when no exact name is known.
    public var name: String {
        if let exact = Self.names[value] { return exact }
        switch sw1 {
        case 0x61: return "\(bytesRemaining!) more bytes available"
        case 0x6C: return "wrong Le, \(correctLe!) expected"
        case 0x62, 0x63: return triesRemaining.map { "verification failed, \($0) tries left" } ?? "warning"
        case 0x64, 0x65, 0x66: return "execution error"
        case 0x67: return "wrong length"
        case 0x68: return "function in CLA not supported"
        case 0x69: return "command not allowed"
        case 0x6A: return "wrong parameters P1-P2"
        default: return "unknown status"
        }
    }

    public var description: String { String(format: "%04X (%@)", value, name) }

    private static let names: [UInt16: String] = [
        0x9000: "success",
        0x6281: "returned data may be corrupted",
        0x6282: "end of file reached before Le bytes",
        0x6283: "selected file invalidated",
        0x6700: "wrong length",
        0x6881: "logical channel not supported",
        0x6882: "secure messaging not supported",
        0x6981: "command incompatible with file structure",
        0x6982: "security status not satisfied",
        0x6983: "authentication method blocked",
        0x6984: "reference data not usable",
        0x6985: "conditions of use not satisfied",
        0x6986: "command not allowed (no current EF)",
        0x6987: "expected secure messaging data objects missing",
        0x6988: "incorrect secure messaging data objects",
        0x6A80: "incorrect parameters in the data field",
        0x6A81: "function not supported",
        0x6A82: "file or application not found",
        0x6A86: "incorrect parameters P1-P2",
        0x6A88: "referenced data not found",
        0x6B00: "wrong parameters (offset outside the EF)",
        0x6D00: "instruction not supported",
        0x6E00: "class not supported",
        0x6F00: "no precise diagnosis",
    ]
}
