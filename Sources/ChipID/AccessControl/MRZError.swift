/// A field of a machine-readable zone, named in `MRZError`s.
public enum MRZField: String, Sendable, Hashable, CaseIterable {
    /// The overall shape (line count and lengths, character set).
    case layout
    /// Document code (`ID`, `P`…).
    case documentCode
    /// Issuing state.
    case issuingState
    /// Document number and its check digit.
    case documentNumber
    /// Date of birth and its check digit.
    case dateOfBirth
    /// Sex.
    case sex
    /// Date of expiry and its check digit.
    case dateOfExpiry
    /// Nationality.
    case nationality
    /// Optional data and its check digit (TD3 personal number; CCCD ID number).
    case optionalData
    /// The composite check digit.
    case composite
    /// The name field.
    case names
    /// CCCD consistency between the document number and the 12-digit ID.
    case citizenID
}

/// An MRZ that does not parse or whose check digits do not match. `field` names the culprit; no MRZ text is kept.
public struct MRZError: Error, Sendable, Hashable, CustomStringConvertible {
    /// Stable codes.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        /// The closed set behind the codes (private, as swift-certificates does): no code exists but the ones below.
        private enum Backing: String, Sendable, CaseIterable {
            case layout = "mrz.layout"
            case format = "mrz.format"
            case checkDigit = "mrz.check_digit"
            case inconsistent = "mrz.inconsistent"
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

        /// Neither 3×30 (TD1) nor 2×44 (TD3) characters, or characters outside `A–Z 0–9 <`.
        public static let layout = Code(.layout)
        /// A field's characters are wrong for it (a date that is not 6 digits, a sex other than M/F/<…).
        public static let format = Code(.format)
        /// A check digit does not match its field.
        public static let checkDigit = Code(.checkDigit)
        /// CCCD-specific consistency (document number ≠ last 9 digits of the ID number).
        public static let inconsistent = Code(.inconsistent)
    }

    /// The stable code.
    public var code: Code
    /// The wrong field.
    public var field: MRZField
    /// What is wrong, without the field's value.
    public var reason: String

    /// Builds an error.
    public init(_ code: Code, _ field: MRZField, _ reason: String) {
        self.code = code
        self.field = field
        self.reason = reason
    }

    public var description: String { "\(code.rawValue) in \(field.rawValue): \(reason)" }
}
