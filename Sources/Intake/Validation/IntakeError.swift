/// Why an application (or one of its parts) cannot be accepted, with what the operator should do about it.
///
/// Errors carry a stable `code` (tests and the control API compare codes only), a Vietnamese message shown
/// first to operators, and an English one. Messages never contain personal data.
public struct IntakeError: Error, Sendable, Hashable, CustomStringConvertible {
    /// Stable machine-readable code, e.g. `intake.under_age`. New codes may be added without breaking anyone.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        /// The code text.
        public let rawValue: String
        private init(_ rawValue: String) { self.rawValue = rawValue }
        public var description: String { rawValue }

        /// `intake.under_age`
        public static let underAge = Code("intake.under_age")
        /// `intake.card_expired`
        public static let cardExpired = Code("intake.card_expired")
        /// `intake.authenticity_refused`
        public static let authenticityRefused = Code("intake.authenticity_refused")
        /// `intake.authenticity_needs_override`
        public static let authenticityNeedsOverride = Code("intake.authenticity_needs_override")
        /// `intake.override_without_reason`
        public static let overrideWithoutReason = Code("intake.override_without_reason")
        /// `intake.dg1_dg13_mismatch`
        public static let dataGroupMismatch = Code("intake.dg1_dg13_mismatch")
        /// `intake.dg1_dg13_not_compared`
        public static let dataGroupsNotCompared = Code("intake.dg1_dg13_not_compared")
        /// `intake.phone_missing`
        public static let phoneMissing = Code("intake.phone_missing")
        /// `intake.phone_invalid`
        public static let phoneInvalid = Code("intake.phone_invalid")
        /// `intake.phone_landline`
        public static let phoneLandline = Code("intake.phone_landline")
        /// `intake.phone_unknown_prefix`
        public static let phoneUnknownPrefix = Code("intake.phone_unknown_prefix")
        /// `intake.fingerprint_missing`
        public static let fingerprintMissing = Code("intake.fingerprint_missing")
        /// `intake.fingerprint_low_quality`
        public static let fingerprintLowQuality = Code("intake.fingerprint_low_quality")
        /// `intake.fingerprint_empty_record`
        public static let fingerprintEmptyRecord = Code("intake.fingerprint_empty_record")
        /// `intake.portrait_not_jpeg`
        public static let portraitNotJPEG = Code("intake.portrait_not_jpeg")
        /// `intake.portrait_size`
        public static let portraitSize = Code("intake.portrait_size")
        /// `intake.portrait_dimensions`
        public static let portraitDimensions = Code("intake.portrait_dimensions")
        /// `intake.chip_portrait_missing`
        public static let chipPortraitMissing = Code("intake.chip_portrait_missing")
        /// `intake.bundle_details`
        public static let bundleDetails = Code("intake.bundle_details")
        /// `intake.duplicate`
        public static let duplicate = Code("intake.duplicate")
    }

    /// The stable code.
    public let code: Code
    /// Message for the operator in Vietnamese: what is wrong and what to do.
    public let vietnamese: String
    /// The same in English.
    public let english: String
    /// Where the error was raised (for maintainers; never shown to citizens).
    public let file: String
    /// Line where the error was raised.
    public let line: Int

    /// Creates an error.
    public init(_ code: Code, vi: String, en: String, file: String = #fileID, line: Int = #line) {
        self.code = code
        self.vietnamese = vi
        self.english = en
        self.file = file
        self.line = line
    }

    public var description: String { "\(code.rawValue): \(english)" }

    public static func == (lhs: IntakeError, rhs: IntakeError) -> Bool {
        lhs.code == rhs.code && lhs.english == rhs.english
    }
    public func hash(into hasher: inout Hasher) {
        hasher.combine(code)
        hasher.combine(english)
    }
}
