import Messages

/// The application's short reference, read aloud to the citizen and typed back by the officer: `K7M2-QX4G`.
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

    /// The eight characters, without the dash (`K7M2QX4G`).
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
    /// character outside the alphabet or a wrong check character (`parse(_:)` says which).
    public init?(parsing text: String) {
        guard let reference = try? Self.parse(text) else { return nil }
        self = reference
    }

    /// Parses what the officer typed: any case, spaces and any dashes ignored, and the two unambiguous look-alikes
    /// read as the symbol they resemble (Z as 2, U as V: neither Z nor U is in the alphabet). 0, O, 1, I and L are
    /// refused rather than guessed (each resembles none or several symbols). Throws `reference.length`,
    /// `reference.character` or `reference.check`.
    public static func parse(_ text: String) throws(ShortReferenceError) -> ShortReference {
        let characters = Array(text.uppercased().filter { $0 != "-" && $0 != "‐" && !$0.isWhitespace })
        guard characters.count == randomLength + 1 else {
            throw ShortReferenceError(.length, count: characters.count)
        }
        var values: [Int] = []
        for character in characters {
            guard let value = alphabet.firstIndex(of: lookAlikes[character] ?? character) else {
                throw ShortReferenceError(.character, character: character)
            }
            values.append(value)
        }
        guard check(Array(values.prefix(randomLength))) == values[randomLength] else {
            throw ShortReferenceError(.check)
        }
        return ShortReference(values: values)
    }

    /// Look-alikes outside the alphabet that resemble exactly one symbol in it.
    static let lookAlikes: [Character: Character] = ["Z": "2", "U": "V"]

    private init(values: [Int]) {
        compact = String(values.map { Self.alphabet[$0] })
    }

    /// Whether `text` looks like a short reference rather than an application UUID (for lookups that accept both).
    public static func looksLikeReference(_ text: String) -> Bool {
        ShortReference(parsing: text) != nil
    }

    /// The check value of the random symbols' values: Σ i·vᵢ (i = 1…n) modulo `modulus`, the weighted sum of
    /// ISBN-10 (ISO 2108; there modulo 11, here modulo 29, the alphabet's size). With a prime modulus larger than
    /// the number of weights, every single substitution and every swap of two different neighbours (the check
    /// character included) changes the sum, so the reference is refused (`ShortReferenceTests` proves both).
    static func check(_ values: [Int], modulus: Int = ShortReference.alphabet.count) -> Int {
        values.enumerated().reduce(0) { ($0 + ($1.offset + 1) * $1.element) % modulus }
    }

    /// `K7M2-QX4G`: as printed on the receipt and shown to the officer.
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

/// A typed reference that is not one: wrong length, a character never used, or a wrong check character (a typo).
public struct ShortReferenceError: Error, Sendable, Hashable, CustomStringConvertible {
    /// Stable codes.
    public enum Code: String, Sendable, Hashable, CaseIterable {
        /// Not eight characters (dashes and spaces aside).
        case length = "reference.length"
        /// A character that is in no reference (0, O, 1, I, L, punctuation…).
        case character = "reference.character"
        /// The check character does not match: a character was mistyped or two were swapped.
        case check = "reference.check"
    }

    /// What is wrong.
    public let code: Code
    /// The characters counted (for `reference.length`).
    public let count: Int?
    /// The character refused (for `reference.character`).
    public let character: Character?

    /// Creates an error.
    public init(_ code: Code, count: Int? = nil, character: Character? = nil) {
        self.code = code
        self.count = count
        self.character = character
    }

    /// For the officer: what is wrong and what to do (read the receipt again), in the reader's language.
    public var message: Message {
        switch code {
        case .length: Message(.referenceLength, ["count": "\(count ?? 0)"])
        case .character: Message(.referenceCharacter, ["character": character.map { String($0) } ?? ""])
        case .check: Message(.referenceCheck)
        }
    }

    public var description: String { code.rawValue }
}
