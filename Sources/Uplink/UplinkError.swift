import CentralAPI

/// Failures of the uploader that are not per-item answers: a stable `code` plus a reason safe to log.
public struct UplinkError: Error, Sendable, Hashable, CustomStringConvertible {
    /// Stable codes.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        /// The closed set behind the codes (private, as swift-certificates does): no code exists but the ones below.
        private enum Backing: String, Sendable, CaseIterable {
            case notEnrolled = "uplink.not_enrolled"
            case credentials = "uplink.credentials"
            case central = "uplink.central"
            case deadline = "uplink.deadline"
            case export = "uplink.export"
            case outbox = "uplink.outbox"
            case centralUnauthenticated = "uplink.central_unauthenticated"
            case fingerprintMismatch = "uplink.central_fingerprint_mismatch"
            case centralKeyChanged = "uplink.central_key_changed"
        }

        private let backing: Backing
        private init(_ backing: Backing) { self.backing = backing }

        /// The code text.
        public var rawValue: String { backing.rawValue }
        /// Every code.
        public static var allCases: [Code] { Backing.allCases.map { Code($0) } }
        public var description: String { rawValue }

        /// The station has no key pair or is not enrolled yet.
        public static let notEnrolled = Code(.notEnrolled)
        /// The credentials files are missing, malformed or readable by others.
        public static let credentials = Code(.credentials)
        /// The central answered with an error (see `central`).
        public static let central = Code(.central)
        /// The deadline passed before the work was done.
        public static let deadline = Code(.deadline)
        /// Writing or reading an export folder failed.
        public static let export = Code(.export)
        /// Spooling the batch in flight to disk failed (disk full, permissions).
        public static let outbox = Code(.outbox)
        /// An answer of "the central" is not signed by the pinned central key (unsigned, wrongly signed, or signed
        /// by another key): nothing was done with it.
        public static let centralUnauthenticated = Code(.centralUnauthenticated)
        /// The central's key fingerprint is not the one the technician confirmed: nothing was pinned.
        public static let fingerprintMismatch = Code(.fingerprintMismatch)
        /// The central presents keys other than the pinned ones: refused until a supervisor confirms the change.
        public static let centralKeyChanged = Code(.centralKeyChanged)
    }

    /// The code.
    public let code: Code
    /// Human reason.
    public let reason: String
    /// The central's error, when the central answered with one.
    public let central: CentralError?

    /// Creates an error.
    public init(_ code: Code, _ reason: String, central: CentralError? = nil) {
        self.code = code
        self.reason = reason
        self.central = central
    }

    public var description: String { "\(code.rawValue): \(reason)" + (central.map { " (\($0))" } ?? "") }
}
