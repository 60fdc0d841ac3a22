import Messages

/// The Vietnamese mobile prefixes (first three digits of the 10-digit national form) currently assigned to
/// mobile networks. A value so a station can be configured when the ministry assigns new ranges.
public struct MobilePrefixPlan: Sendable, Hashable {
    /// Accepted prefixes such as `"091"`.
    public var prefixes: Set<String>

    /// Creates a plan.
    public init(prefixes: Set<String>) { self.prefixes = prefixes }

    /// The plan after the 2018 conversion of 11-digit numbers: Viettel 032–039, 086, 096–098; VinaPhone 081–085,
    /// 088, 091, 094; MobiFone 070, 076–079, 089, 090, 093; Vietnamobile 052, 056, 058, 092; Gmobile 059, 099;
    /// Reddi 055; Itelecom 087.
    public static let current = MobilePrefixPlan(
        prefixes: [
            "032", "033", "034", "035", "036", "037", "038", "039",
            "052", "055", "056", "058", "059",
            "070", "076", "077", "078", "079",
            "081", "082", "083", "084", "085", "086", "087", "088", "089",
            "090", "091", "092", "093", "094", "096", "097", "098", "099",
        ]
    )
}

/// A Vietnamese mobile number in its national 10-digit form (`0912345678`).
///
/// The VNeID switchboard sends the activation SMS to it, so a landline or an unassigned range is refused at
/// intake rather than discovered when C06 returns the application. Personal data: `description` is masked.
public struct PhoneNumber: Sendable, Hashable, Codable, CustomStringConvertible, CustomReflectable {
    /// Ten digits starting with `0`.
    public let national: String

    /// Normalises `+84 91 234 5678`, `84912345678`, `0912.345.678` and similar to `0912345678`.
    ///
    /// Spaces, dots, hyphens and parentheses are ignored. Throws `intake.phone_missing` for an empty input,
    /// `intake.phone_landline` for fixed lines (`02x`), `intake.phone_unknown_prefix` for ranges not in `plan`
    /// and `intake.phone_invalid` for anything else.
    public init(parsing input: String, plan: MobilePrefixPlan = .current) throws(IntakeError) {
        var text = ""
        for ch in input where !" .-()\u{00A0}\t".contains(ch) { text.append(ch) }
        if text.isEmpty { throw PhoneNumber.missing() }
        var digits: Substring
        if text.hasPrefix("+84") {
            digits = "0" + text.dropFirst(3)
        } else if text.hasPrefix("84"), text.count == 11 || (text.count == 12 && text.dropFirst(2).hasPrefix("2")) {
            digits = "0" + text.dropFirst(2)
        } else if text.hasPrefix("0") {
            digits = Substring(text)
        } else {
            throw PhoneNumber.invalid()
        }
        guard digits.utf8.allSatisfy({ (0x30...0x39).contains($0) }) else { throw PhoneNumber.invalid() }
        if digits.hasPrefix("02") {
            throw IntakeError(.phoneLandline, Message(.intakePhoneLandline))
        }
        guard digits.count == 10 else { throw PhoneNumber.invalid() }
        guard plan.prefixes.contains(String(digits.prefix(3))) else {
            throw IntakeError(.phoneUnknownPrefix, Message(.intakePhoneUnknownPrefix))
        }
        national = String(digits)
    }

    /// International form `+84912345678`.
    public var international: String { "+84" + national.dropFirst() }

    /// Masked form `*******678`: at most the last 3 digits show (the network prefix would narrow the number too).
    public var masked: String { String(repeating: "*", count: national.count - 3) + national.suffix(3) }

    public var description: String { masked }
    public var customMirror: Mirror { Mirror(self, children: ["masked": masked]) }

    /// Decodes a stored number checking its form only, not the prefix plan: an application taken before a
    /// range was withdrawn must still open.
    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard text.utf8.count == 10, text.hasPrefix("0"), text.utf8.allSatisfy({ (0x30...0x39).contains($0) })
        else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "bad phone"))
        }
        national = text
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(national)
    }

    static func missing() -> IntakeError {
        IntakeError(.phoneMissing, Message(.intakePhoneMissing))
    }

    static func invalid() -> IntakeError {
        IntakeError(.phoneInvalid, Message(.intakePhoneInvalid))
    }
}
