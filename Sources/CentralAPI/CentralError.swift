/// A refusal or failure of the upload protocol, with a stable `code` (also the `code` of the JSON error body the
/// receiver sends) and a human reason that never carries personal data or key material.
public struct CentralError: Error, Sendable, Hashable, Codable, CustomStringConvertible {
    /// Stable machine-readable codes: a closed set (a private backing, as swift-certificates does) and, for a code
    /// received over the wire that this build does not know (a newer central), an explicit unrecognized value that
    /// keeps the text as received for the log and for `lastError`. Nothing but `init(wire:)` (and decoding) makes
    /// an unrecognized code, and a known text always decodes to its known code.
    public struct Code: Sendable, Hashable, Codable, CustomStringConvertible {
        /// The codes this build knows.
        private enum Known: String, Sendable, CaseIterable {
            case unknownStation = "central.unknown_station"
            case badSignature = "central.bad_signature"
            case staleRequest = "central.stale_request"
            case replayedRequest = "central.replayed_request"
            case unauthenticated = "central.unauthenticated"
            case badToken = "central.bad_enrollment_token"
            case malformed = "central.malformed"
            case hashMismatch = "central.hash_mismatch"
            case badEnvelope = "central.bad_envelope"
            case offsetMismatch = "central.offset_mismatch"
            case unknownBatch = "central.unknown_batch"
            case notFound = "central.not_found"
            case unavailable = "central.unavailable"
            case transport = "central.transport"
            case auditHistoryChanged = "central.audit_history_changed"
            case tlsUntrusted = "central.tls_untrusted"
            case tls = "central.tls"
            case packaging = "central.packaging"
            case reportConflict = "central.report_conflict"
            case centralUnauthenticated = "uplink.central_unauthenticated"
        }

        private enum Backing: Sendable, Hashable {
            case known(Known)
            case unrecognized(String)
        }

        private let backing: Backing
        private init(_ known: Known) { backing = .known(known) }

        /// The code a wire text names: its known code, else an unrecognized code carrying the text.
        public init(wire text: String) {
            backing = Known(rawValue: text).map(Backing.known) ?? .unrecognized(text)
        }

        /// The code text, as on the wire.
        public var rawValue: String {
            switch backing {
            case .known(let known): known.rawValue
            case .unrecognized(let text): text
            }
        }

        /// The text of a code this build does not know, as received; nil for a known code.
        public var unrecognized: String? {
            if case .unrecognized(let text) = backing { text } else { nil }
        }

        /// Every known code.
        public static var allCases: [Code] { Known.allCases.map { Code($0) } }
        public var description: String { rawValue }

        public init(from decoder: any Decoder) throws {
            self.init(wire: try decoder.singleValueContainer().decode(String.self))
        }
        public func encode(to encoder: any Encoder) throws {
            var container = encoder.singleValueContainer()
            try container.encode(rawValue)
        }

        /// The station id is not enrolled.
        public static let unknownStation = Code(.unknownStation)
        /// The request signature does not verify under the station's enrolled key.
        public static let badSignature = Code(.badSignature)
        /// The timestamp is outside the accepted window.
        public static let staleRequest = Code(.staleRequest)
        /// The nonce was seen before: a replayed request.
        public static let replayedRequest = Code(.replayedRequest)
        /// Required authentication headers are missing or malformed.
        public static let unauthenticated = Code(.unauthenticated)
        /// The enrollment token is unknown or already used.
        public static let badToken = Code(.badToken)
        /// The request body does not decode.
        public static let malformed = Code(.malformed)
        /// An item's bytes do not match the hash in the manifest.
        public static let hashMismatch = Code(.hashMismatch)
        /// An item envelope does not decrypt or its station signature does not verify.
        public static let badEnvelope = Code(.badEnvelope)
        /// The upload offset does not match the bytes the receiver has.
        public static let offsetMismatch = Code(.offsetMismatch)
        /// No such batch.
        public static let unknownBatch = Code(.unknownBatch)
        /// No such route (the receiver's admin routes to a peer that may not use them).
        public static let notFound = Code(.notFound)
        /// The receiver is temporarily unable to answer (injected or real); retry later.
        public static let unavailable = Code(.unavailable)
        /// The transport failed (connection refused, cut, timed out).
        public static let transport = Code(.transport)
        /// The station's audit chain no longer matches the head the central anchored: its history changed.
        public static let auditHistoryChanged = Code(.auditHistoryChanged)
        /// The TLS handshake failed: the central's certificate does not chain to the pinned CA (or has expired,
        /// or names another host).
        public static let tlsUntrusted = Code(.tlsUntrusted)
        /// The TLS handshake failed for another reason (protocol, plain HTTP on a TLS port).
        public static let tls = Code(.tls)
        /// Local packaging failed (station side).
        public static let packaging = Code(.packaging)
        /// A report was sent again under its id with other content: the central keeps the first.
        public static let reportConflict = Code(.reportConflict)
        /// An answer not signed by the pinned central key (station side; `UplinkError.Code.centralUnauthenticated`
        /// has the same text).
        public static let centralUnauthenticated = Code(.centralUnauthenticated)
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
