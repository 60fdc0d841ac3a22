import Messages

/// Why an application (or one of its parts) cannot be accepted, with what the operator should do about it.
///
/// Errors carry a stable `code` (tests and the control API compare codes only) and a catalog `Message`, shown in
/// Vietnamese first to operators, in English on request. Messages never contain personal data.
public struct IntakeError: Error, Sendable, Hashable, CustomStringConvertible {
    /// Stable machine-readable code, e.g. `intake.under_age`. New codes may be added without breaking anyone.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        /// The closed set behind the codes (private, as swift-certificates does): no code exists but the ones below.
        private enum Backing: String, Sendable, CaseIterable {
            case underAge = "intake.under_age"
            case cardExpired = "intake.card_expired"
            case authenticityRefused = "intake.authenticity_refused"
            case authenticityNeedsOverride = "intake.authenticity_needs_override"
            case overrideWithoutReason = "intake.override_without_reason"
            case dataGroupMismatch = "intake.dg1_dg13_mismatch"
            case dataGroupsNotCompared = "intake.dg1_dg13_not_compared"
            case phoneMissing = "intake.phone_missing"
            case phoneInvalid = "intake.phone_invalid"
            case phoneLandline = "intake.phone_landline"
            case phoneUnknownPrefix = "intake.phone_unknown_prefix"
            case fingerprintMissing = "intake.fingerprint_missing"
            case fingerprintLowQuality = "intake.fingerprint_low_quality"
            case fingerprintEmptyRecord = "intake.fingerprint_empty_record"
            case portraitNotJPEG = "intake.portrait_not_jpeg"
            case portraitSize = "intake.portrait_size"
            case portraitDimensions = "intake.portrait_dimensions"
            case chipPortraitMissing = "intake.chip_portrait_missing"
            case bundleDetails = "intake.bundle_details"
            case duplicate = "intake.duplicate"
            case portraitNotImage = "intake.portrait_not_image"
            case portraitUnsupportedFormat = "intake.portrait_unsupported_format"
            case portraitCorrupt = "intake.portrait_corrupt"
            case portraitTooSmall = "intake.portrait_too_small"
            case portraitTooLarge = "intake.portrait_too_large"
            case portraitImagingFailed = "intake.portrait_imaging_failed"
            case identityInvalid = "intake.identity_invalid"
            case idNumberStructure = "intake.id_number_structure"
            case noCardBundle = "intake.no_card_bundle"
        }

        private let backing: Backing
        private init(_ backing: Backing) { self.backing = backing }

        /// The code text.
        public var rawValue: String { backing.rawValue }
        /// Every code.
        public static var allCases: [Code] { Backing.allCases.map { Code($0) } }
        public var description: String { rawValue }

        /// `intake.under_age`
        public static let underAge = Code(.underAge)
        /// `intake.card_expired`
        public static let cardExpired = Code(.cardExpired)
        /// `intake.authenticity_refused`
        public static let authenticityRefused = Code(.authenticityRefused)
        /// `intake.authenticity_needs_override`
        public static let authenticityNeedsOverride = Code(.authenticityNeedsOverride)
        /// `intake.override_without_reason`
        public static let overrideWithoutReason = Code(.overrideWithoutReason)
        /// `intake.dg1_dg13_mismatch`
        public static let dataGroupMismatch = Code(.dataGroupMismatch)
        /// `intake.dg1_dg13_not_compared`
        public static let dataGroupsNotCompared = Code(.dataGroupsNotCompared)
        /// `intake.phone_missing`
        public static let phoneMissing = Code(.phoneMissing)
        /// `intake.phone_invalid`
        public static let phoneInvalid = Code(.phoneInvalid)
        /// `intake.phone_landline`
        public static let phoneLandline = Code(.phoneLandline)
        /// `intake.phone_unknown_prefix`
        public static let phoneUnknownPrefix = Code(.phoneUnknownPrefix)
        /// `intake.fingerprint_missing`
        public static let fingerprintMissing = Code(.fingerprintMissing)
        /// `intake.fingerprint_low_quality`
        public static let fingerprintLowQuality = Code(.fingerprintLowQuality)
        /// `intake.fingerprint_empty_record`
        public static let fingerprintEmptyRecord = Code(.fingerprintEmptyRecord)
        /// `intake.portrait_not_jpeg`
        public static let portraitNotJPEG = Code(.portraitNotJPEG)
        /// `intake.portrait_size`
        public static let portraitSize = Code(.portraitSize)
        /// `intake.portrait_dimensions`
        public static let portraitDimensions = Code(.portraitDimensions)
        /// `intake.chip_portrait_missing`
        public static let chipPortraitMissing = Code(.chipPortraitMissing)
        /// `intake.bundle_details`
        public static let bundleDetails = Code(.bundleDetails)
        /// `intake.duplicate`
        public static let duplicate = Code(.duplicate)
        /// `intake.portrait_not_image`: the file is no image at all.
        public static let portraitNotImage = Code(.portraitNotImage)
        /// `intake.portrait_unsupported_format`: an image, but not JPEG or PNG (HEIC, WebP, ...).
        public static let portraitUnsupportedFormat = Code(.portraitUnsupportedFormat)
        /// `intake.portrait_corrupt`: a JPEG or PNG that cannot be decoded (damaged, cut short).
        public static let portraitCorrupt = Code(.portraitCorrupt)
        /// `intake.portrait_too_small`: too few pixels for a portrait once cropped to its ratio.
        public static let portraitTooSmall = Code(.portraitTooSmall)
        /// `intake.portrait_too_large`: more pixels than the station decodes.
        public static let portraitTooLarge = Code(.portraitTooLarge)
        /// `intake.portrait_imaging_failed`: the station's imaging library failed (not the photo's fault).
        public static let portraitImagingFailed = Code(.portraitImagingFailed)
        /// `intake.identity_invalid`: a typed identity (no card) is incomplete or malformed.
        public static let identityInvalid = Code(.identityInvalid)
        /// `intake.id_number_structure`: a typed personal number does not fit the date of birth, sex or provinces.
        public static let idNumberStructure = Code(.idNumberStructure)
        /// `intake.no_card_bundle`: a citizen without a card applies for a CCCD (2-in-1, 3-in-1 or 4-in-1).
        public static let noCardBundle = Code(.noCardBundle)
    }

    /// The stable code.
    public let code: Code
    /// What to tell the operator (what is wrong and what to do), in the reader's language: a catalog message
    /// keyed by the code (or a more precise key under it) with its values; never personal data.
    public let message: Message
    /// Where the error was raised (for maintainers; never shown to citizens).
    public let file: String
    /// Line where the error was raised.
    public let line: Int

    /// Creates an error.
    public init(_ code: Code, _ message: Message, file: String = #fileID, line: Int = #line) {
        self.code = code
        self.message = message
        self.file = file
        self.line = line
    }

    /// The message in Vietnamese.
    public var vietnamese: String { message.text(.vietnamese) }
    /// The message in English.
    public var english: String { message.text(.english) }

    public var description: String { "\(code.rawValue): \(english)" }

    public static func == (lhs: IntakeError, rhs: IntakeError) -> Bool {
        lhs.code == rhs.code && lhs.message == rhs.message
    }
    public func hash(into hasher: inout Hasher) {
        hasher.combine(code)
        hasher.combine(message)
    }
}
