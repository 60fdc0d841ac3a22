/// The application's short reference, read aloud to the citizen and typed back by the officer: `K7M2-QX4P`.
///
/// Eight characters from an alphabet without look-alikes (digits 2–9 and the capitals without I, L, O, U, Z: no
/// 0/O, 1/I/L, 2/Z, U/V confusion), seven random and one check character. The alphabet has 29 symbols, a prime,
/// and the check is the position-weighted sum (weights 1…7) modulo 29, so every single wrong character and every
/// swap of two neighbours is detected. 29⁷ ≈ 1.7 × 10¹⁰ references: the queue keeps them unique per station.
public struct ShortReference: Sendable, Hashable, Codable, CustomStringConvertible, Comparable {
    /// The 29 symbols, in value order.
    public static let alphabet = Array("23456789ABCDEFGHJKMNPQRSTVWXY")
    /// Random characters before the check character.
    public static let randomLength = 7

    /// The eight characters, without the dash (`K7M2QX4P`).
    public let compact: String

    /// A new random reference.
    public init<G: RandomNumberGenerator>(using generator: inout G) {
        let values = (0..<Self.randomLength).map { _ in Int.random(in: 0..<Self.alphabet.count, using: &generator) }
        compact = String((values + [Self.check(values)]).map { Self.alphabet[$0] })
    }

    /// A new random reference from the system's generator.
    public init() {
        var generator = SystemRandomNumberGenerator()
        self.init(using: &generator)
    }

    /// Parses what the officer typed: any case, with or without the dash or spaces. Nil for a wrong length, a
    /// character outside the alphabet (a look-alike such as O or 1 included) or a wrong check character.
    public init?(parsing text: String) {
        let characters = Array(text.uppercased().filter { $0 != "-" && !$0.isWhitespace })
        guard characters.count == Self.randomLength + 1 else { return nil }
        var values: [Int] = []
        for character in characters {
            guard let value = Self.alphabet.firstIndex(of: character) else { return nil }
            values.append(value)
        }
        guard Self.check(Array(values.prefix(Self.randomLength))) == values[Self.randomLength] else { return nil }
        compact = String(characters)
    }

    /// Whether `text` looks like a short reference rather than an application UUID (for lookups that accept both).
    public static func looksLikeReference(_ text: String) -> Bool {
        ShortReference(parsing: text) != nil
    }

    /// The check value of seven symbol values.
    static func check(_ values: [Int]) -> Int {
        values.enumerated().reduce(0) { ($0 + ($1.offset + 1) * $1.element) % alphabet.count }
    }

    /// `K7M2-QX4P`: as printed on the receipt and shown to the officer.
    public var description: String { String(compact.prefix(4)) + "-" + String(compact.suffix(4)) }

    public static func < (lhs: ShortReference, rhs: ShortReference) -> Bool { lhs.compact < rhs.compact }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let reference = ShortReference(parsing: text) else {
            throw DecodingError.dataCorrupted(
                .init(codingPath: decoder.codingPath, debugDescription: "not a short reference"))
        }
        self = reference
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}
