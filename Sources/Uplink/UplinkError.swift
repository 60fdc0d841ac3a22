import CentralAPI

/// Failures of the uploader that are not per-item answers: a stable `code` plus a reason safe to log.
public struct UplinkError: Error, Sendable, Hashable, CustomStringConvertible {
    /// Stable codes.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        /// The code text.
        public let rawValue: String
        private init(_ rawValue: String) { self.rawValue = rawValue }
        public var description: String { rawValue }
        /// The station has no key pair or is not enrolled yet.
        public static let notEnrolled = Code("uplink.not_enrolled")
        /// The credentials files are missing, malformed or readable by others.
        public static let credentials = Code("uplink.credentials")
        /// The central answered with an error (see `central`).
        public static let central = Code("uplink.central")
        /// The deadline passed before the work was done.
        public static let deadline = Code("uplink.deadline")
        /// Writing or reading an export folder failed.
        public static let export = Code("uplink.export")
        /// Spooling the batch in flight to disk failed (disk full, permissions).
        public static let outbox = Code("uplink.outbox")
        /// An answer of "the central" is not signed by the pinned central key (unsigned, wrongly signed, or signed
        /// by another key): nothing was done with it.
        public static let centralUnauthenticated = Code("uplink.central_unauthenticated")
        /// The central's key fingerprint is not the one the technician confirmed: nothing was pinned.
        public static let fingerprintMismatch = Code("uplink.central_fingerprint_mismatch")
        /// The central presents keys other than the pinned ones: refused until a supervisor confirms the change.
        public static let centralKeyChanged = Code("uplink.central_key_changed")
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
