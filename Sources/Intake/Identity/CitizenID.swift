/// The 12-digit personal identification number printed on the CCCD and stored in its chip.
///
/// Personal data: `description` shows only the last three digits so the value can never leak into logs.
public struct CitizenID: Sendable, Hashable, Codable, CustomStringConvertible, CustomReflectable {
    /// The twelve ASCII digits.
    public let digits: String

    /// Accepts exactly 12 ASCII digits; nil otherwise.
    public init?(_ text: String) {
        guard text.utf8.count == 12, text.utf8.allSatisfy({ (0x30...0x39).contains($0) }) else { return nil }
        digits = text
    }

    /// Masked form for operators and logs: `*********123`.
    public var masked: String { String(repeating: "*", count: 9) + digits.suffix(3) }

    public var description: String { masked }
    public var customMirror: Mirror { Mirror(self, children: ["masked": masked]) }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let id = CitizenID(text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "bad ID"))
        }
        self = id
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(digits)
    }
}
