/// A refusal or failure of the upload protocol, with a stable `code` (also the `code` of the JSON error body the
/// receiver sends) and a human reason that never carries personal data or key material.
public struct CentralError: Error, Sendable, Hashable, Codable, CustomStringConvertible {
    /// Stable machine-readable codes.
    public struct Code: Sendable, Hashable, Codable, CustomStringConvertible {
        /// The code text.
        public let rawValue: String
        /// Wraps a code text (codes received over the wire may be ones this build does not know).
        public init(_ rawValue: String) { self.rawValue = rawValue }
        public var description: String { rawValue }
        public init(from decoder: any Decoder) throws {
            rawValue = try decoder.singleValueContainer().decode(String.self)
        }
        public func encode(to encoder: any Encoder) throws {
            var container = encoder.singleValueContainer()
            try container.encode(rawValue)
        }

        /// The station id is not enrolled.
        public static let unknownStation = Code("central.unknown_station")
        /// The request signature does not verify under the station's enrolled key.
        public static let badSignature = Code("central.bad_signature")
        /// The timestamp is outside the accepted window.
        public static let staleRequest = Code("central.stale_request")
        /// The nonce was seen before: a replayed request.
        public static let replayedRequest = Code("central.replayed_request")
        /// Required authentication headers are missing or malformed.
        public static let unauthenticated = Code("central.unauthenticated")
        /// The enrollment token is unknown or already used.
        public static let badToken = Code("central.bad_enrollment_token")
        /// The request body does not decode.
        public static let malformed = Code("central.malformed")
        /// An item's bytes do not match the hash in the manifest.
        public static let hashMismatch = Code("central.hash_mismatch")
        /// An item envelope does not decrypt or its station signature does not verify.
        public static let badEnvelope = Code("central.bad_envelope")
        /// The upload offset does not match the bytes the receiver has.
        public static let offsetMismatch = Code("central.offset_mismatch")
        /// No such batch.
        public static let unknownBatch = Code("central.unknown_batch")
        /// The receiver is temporarily unable to answer (injected or real); retry later.
        public static let unavailable = Code("central.unavailable")
        /// The transport failed (connection refused, cut, timed out).
        public static let transport = Code("central.transport")
        /// The station's audit chain no longer matches the head the central anchored: its history changed.
        public static let auditHistoryChanged = Code("central.audit_history_changed")
        /// The TLS handshake failed: the central's certificate does not chain to the pinned CA (or has expired,
        /// or names another host).
        public static let tlsUntrusted = Code("central.tls_untrusted")
        /// The TLS handshake failed for another reason (protocol, plain HTTP on a TLS port).
        public static let tls = Code("central.tls")
        /// Local packaging failed (station side).
        public static let packaging = Code("central.packaging")
    }

    /// The stable code.
    public let code: Code
    /// A human reason.
    public let reason: String

    /// Creates an error.
    public init(_ code: Code, _ reason: String) {
        self.code = code
        self.reason = reason
    }

    public var description: String { "\(code.rawValue): \(reason)" }
}
