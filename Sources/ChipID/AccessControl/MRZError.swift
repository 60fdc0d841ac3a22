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
    public struct Code: RawRepresentable, Sendable, Hashable {
        public var rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }
        /// Neither 3×30 (TD1) nor 2×44 (TD3) characters, or characters outside `A–Z 0–9 <`.
        public static let layout = Code(rawValue: "mrz.layout")
        /// A field's characters are wrong for it (a date that is not 6 digits, a sex other than M/F/<…).
        public static let format = Code(rawValue: "mrz.format")
        /// A check digit does not match its field.
        public static let checkDigit = Code(rawValue: "mrz.check_digit")
        /// CCCD-specific consistency (document number ≠ last 9 digits of the ID number).
        public static let inconsistent = Code(rawValue: "mrz.inconsistent")
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
