import Foundation

/// Paths of the upload protocol (version 1). See `openapi.yaml` beside this file.
public enum CentralPath {
    /// `POST`: enroll a station with a one-time token (unsigned).
    public static let enrollment = "/v1/enrollment"
    /// `GET`: cheap connectivity probe (unsigned, empty 204).
    public static let probe = "/v1/probe"
    /// `POST`: offer a batch manifest; the answer says, per item, send / already have / refused.
    public static let batches = "/v1/batches"
    /// `GET`: how many payload bytes of a batch the receiver holds (to resume).
    public static func offset(_ batch: String) -> String { "/v1/batches/\(batch)/offset" }
    /// `PUT ?offset=N`: the next chunk of a batch's payload; the last chunk's answer carries per-item results.
    public static func payload(_ batch: String, offset: Int) -> String {
        "/v1/batches/\(batch)/payload?offset=\(offset)"
    }
    /// `POST`: central states of applications.
    public static let status = "/v1/status"
}

/// Station enrollment: the station's Ed25519 public key with a one-time token from C06.
public struct EnrollmentRequest: Sendable, Hashable, Codable {
    /// The station's id.
    public var stationID: String
    /// One-time enrollment token.
    public var token: String
    /// Raw 32-byte Ed25519 public key.
    public var signingKey: Data
    /// Creates a request.
    public init(stationID: String, token: String, signingKey: Data) {
        self.stationID = stationID
        self.token = token
        self.signingKey = signingKey
    }
}

/// The central's answer to enrollment.
public struct EnrollmentResponse: Sendable, Hashable, Codable {
    /// The enrolled station.
    public var stationID: String
    /// Raw 32-byte X25519 public key that item envelopes are sealed to (HPKE).
    public var centralKey: Data
    /// Raw 32-byte Ed25519 public key that signs the central's answers (nil: a central that does not sign, which
    /// a station refuses to pin).
    public var centralSigningKey: Data?
    /// Creates a response.
    public init(stationID: String, centralKey: Data, centralSigningKey: Data?) {
        self.stationID = stationID
        self.centralKey = centralKey
        self.centralSigningKey = centralSigningKey
    }

    /// Both keys, when the central sent both.
    public var keys: CentralKeys? {
        centralSigningKey.map { CentralKeys(signingKey: $0, encryptionKey: centralKey) }
    }
}

/// A point of a station's audit hash chain: an entry's sequence number and its (keyed) link hash.
public struct AuditPoint: Sendable, Hashable, Codable {
    /// The entry's sequence number (from 1).
    public var sequence: Int64
    /// Lower-case hex of the entry's link hash.
    public var hash: String
    /// Creates a point.
    public init(sequence: Int64, hash: String) {
        self.sequence = sequence
        self.hash = hash
    }
}

/// What a station says of its audit chain with every batch and status sync: its head now, and its entry at the
/// last point the central anchored (so the central sees whether that history is still the same).
public struct AuditClaim: Sendable, Hashable, Codable {
    /// The newest entry.
    public var head: AuditPoint
    /// The station's entry at the sequence of the last anchor the central acknowledged (nil: never anchored).
    public var anchored: AuditPoint?
    /// Creates a claim.
    public init(head: AuditPoint, anchored: AuditPoint?) {
        self.head = head
        self.anchored = anchored
    }
}

/// The central's record of a station's audit head, in its signed answers.
public struct AuditAnchor: Sendable, Hashable, Codable {
    /// The anchored point.
    public var point: AuditPoint
    /// When the central recorded it.
    public var at: Date
    /// Creates an anchor.
    public init(point: AuditPoint, at: Date) {
        self.point = point
        self.at = at
    }
}

/// One application in a batch manifest: no personal data, only ids and the envelope's hash and size.
public struct ManifestItem: Sendable, Hashable, Codable {
    /// The application id, also its idempotency key: the central stores an application once, whatever the batch.
    public var applicationID: String
    /// Lower-case hex SHA-256 of the envelope.
    public var payloadSHA256: String
    /// Envelope size in bytes.
    public var payloadSize: Int
    /// Commune code of the registration point.
    public var communeCode: String
    /// Operator who took the application.
    public var operatorID: String
    /// Creates an item.
    public init(applicationID: String, payloadSHA256: String, payloadSize: Int, communeCode: String, operatorID: String)
    {
        self.applicationID = applicationID
        self.payloadSHA256 = payloadSHA256
        self.payloadSize = payloadSize
        self.communeCode = communeCode
        self.operatorID = operatorID
    }
}

/// What a station offers in one batch.
public struct BatchManifest: Sendable, Hashable, Codable {
    /// Random batch id (UUID text).
    public var batchID: String
    /// The station.
    public var stationID: String
    /// When it was made.
    public var createdAt: Date
    /// The items, in payload order.
    public var items: [ManifestItem]
    /// The station's audit chain head (nil: not sent, e.g. in an export).
    public var audit: AuditClaim?
    /// The document-signer certificates (DER) of the items' chip evidence, each once: an item's EF.SOD travels
    /// without its certificate and names it by SHA-256 (`ChipEvidence.dsCertificateSHA256`). Nil: none.
    public var dsCertificates: [Data]?
    /// Creates a manifest.
    public init(
        batchID: String, stationID: String, createdAt: Date, items: [ManifestItem], audit: AuditClaim? = nil,
        dsCertificates: [Data]? = nil
    ) {
        self.batchID = batchID
        self.stationID = stationID
        self.createdAt = createdAt
        self.items = items
        self.audit = audit
        self.dsCertificates = dsCertificates
    }
}

/// The central's decision on one offered item.
public enum ItemDecision: String, Sendable, Hashable, Codable {
    /// Send the envelope in this batch's payload.
    case send
    /// Already stored (same application id): do not send; treat as received.
    case alreadyHave
    /// Will not be accepted as offered; `reason` says why. Permanent for this item.
    case refused
}

/// Per-item answer to a manifest.
public struct ManifestDecision: Sendable, Hashable, Codable {
    /// The application.
    public var applicationID: String
    /// Send, already have, or refused.
    public var decision: ItemDecision
    /// Reason code when refused.
    public var reason: String?
    /// Creates a decision.
    public init(applicationID: String, decision: ItemDecision, reason: String? = nil) {
        self.applicationID = applicationID
        self.decision = decision
        self.reason = reason
    }
}

/// Answer to a manifest.
public struct ManifestResponse: Sendable, Hashable, Codable {
    /// The batch.
    public var batchID: String
    /// One decision per item.
    public var decisions: [ManifestDecision]
    /// Total bytes of the payload to upload (the `send` envelopes, concatenated in manifest order).
    public var uploadLength: Int
    /// Bytes the receiver already holds (non-zero when the same batch is offered again).
    public var uploadOffset: Int
    /// The audit head the central recorded for the station with this offer.
    public var auditAnchor: AuditAnchor?
    /// Creates a response.
    public init(
        batchID: String, decisions: [ManifestDecision], uploadLength: Int, uploadOffset: Int,
        auditAnchor: AuditAnchor? = nil
    ) {
        self.batchID = batchID
        self.decisions = decisions
        self.uploadLength = uploadLength
        self.uploadOffset = uploadOffset
        self.auditAnchor = auditAnchor
    }
}

/// How far a batch's payload has arrived.
public struct UploadProgress: Sendable, Hashable, Codable {
    /// The batch.
    public var batchID: String
    /// Bytes held by the receiver.
    public var offset: Int
    /// Total bytes expected.
    public var length: Int
    /// Per-item results once the payload is complete (may be partial: items not listed are unanswered and must
    /// be offered again).
    public var results: [ItemResult]?
    /// Creates a progress report.
    public init(batchID: String, offset: Int, length: Int, results: [ItemResult]? = nil) {
        self.batchID = batchID
        self.offset = offset
        self.length = length
        self.results = results
    }
}

/// The receiver's result for one uploaded item.
public struct ItemResult: Sendable, Hashable, Codable {
    /// The application.
    public var applicationID: String
    /// `received` or `refused`.
    public var outcome: Outcome
    /// Reason code when refused.
    public var reason: String?
    /// Outcomes.
    public enum Outcome: String, Sendable, Hashable, Codable {
        /// Stored (exactly once, by application id).
        case received
        /// Permanently refused (bad envelope, hash mismatch); the station keeps it in needsAttention.
        case refused
    }
    /// Creates a result.
    public init(applicationID: String, outcome: Outcome, reason: String? = nil) {
        self.applicationID = applicationID
        self.outcome = outcome
        self.reason = reason
    }
}

/// Status sync question.
public struct StatusQuery: Sendable, Hashable, Codable {
    /// Applications asked about.
    public var applicationIDs: [String]
    /// The station's audit chain head.
    public var audit: AuditClaim?
    /// Creates a query.
    public init(applicationIDs: [String], audit: AuditClaim? = nil) {
        self.applicationIDs = applicationIDs
        self.audit = audit
    }
}

/// Central states as the wire names them.
public enum WireCentralState: String, Sendable, Hashable, Codable {
    /// Not known to the central (never arrived).
    case unknown
    /// Stored, approval pending.
    case received
    /// Approved against the population database.
    case accepted
    /// Returned with a reason code.
    case rejected
    /// The central asks for the application to be sent again.
    case resend
    /// The citizen activated the account.
    case activated
}

/// The central state of one application.
public struct StatusItem: Sendable, Hashable, Codable {
    /// The application.
    public var applicationID: String
    /// Its state.
    public var state: WireCentralState
    /// Reason code when rejected.
    public var reason: String?
    /// Creates an item.
    public init(applicationID: String, state: WireCentralState, reason: String? = nil) {
        self.applicationID = applicationID
        self.state = state
        self.reason = reason
    }
}

/// Status sync answer.
public struct StatusAnswer: Sendable, Hashable, Codable {
    /// One per asked application.
    public var items: [StatusItem]
    /// The audit head the central recorded for the station with this query.
    public var auditAnchor: AuditAnchor?
    /// The central's chip-evidence figures for the asking station (nil: a central that does not re-verify chip
    /// evidence).
    public var chipEvidence: ChipEvidenceFigures?
    /// A CSCA master list for the station to install (nil: nothing to deliver).
    public var masterList: DeliveredMasterList?
    /// Creates an answer.
    public init(
        items: [StatusItem], auditAnchor: AuditAnchor? = nil, chipEvidence: ChipEvidenceFigures? = nil,
        masterList: DeliveredMasterList? = nil
    ) {
        self.items = items
        self.auditAnchor = auditAnchor
        self.chipEvidence = chipEvidence
        self.masterList = masterList
    }
}

/// How many of the asking station's packets the central re-verified from their chip evidence (Passive
/// Authentication against its CSCAs and the anti-clone transcript), since it started.
public struct ChipEvidenceFigures: Sendable, Hashable, Codable {
    /// Items whose evidence verified (`chipVerified`).
    public var chipVerified: Int
    /// Items refused with `CHIP_EVIDENCE_INVALID`.
    public var chipEvidenceRejected: Int
    /// Items stored on Passive Authentication alone: no transcript, under a verdict that says the anti-clone check
    /// did not run (`unconfirmed` accepted by a supervisor). Nil: a central that does not count them.
    public var chipPassiveOnly: Int?
    /// Creates figures.
    public init(chipVerified: Int, chipEvidenceRejected: Int, chipPassiveOnly: Int? = nil) {
        self.chipVerified = chipVerified
        self.chipEvidenceRejected = chipEvidenceRejected
        self.chipPassiveOnly = chipPassiveOnly
    }
}

/// A CSCA master list delivered through the status sync: the ICAO master list file (CMS, DER) as the central
/// publishes it, and the central's Ed25519 signature over
/// `CentralSigning.documentMessage(domain: CentralSigning.Domain.masterList, list)` under the signing key the
/// station pinned at enrollment. A station installs it only when that signature and the list's own CMS signature
/// verify.
public struct DeliveredMasterList: Sendable, Hashable, Codable {
    /// The master list file (DER), base64 on the wire.
    public var list: Data
    /// Raw Ed25519 signature (64 bytes), base64 on the wire.
    public var signature: Data
    /// Creates a value.
    public init(list: Data, signature: Data) {
        self.list = list
        self.signature = signature
    }

    /// Lower-case hex SHA-256 of the list: names it in the audit and the status.
    public var sha256: String { ItemEnvelope.hash(list) }
}

/// The JSON body of every error response.
public struct ErrorBody: Sendable, Hashable, Codable {
    /// Stable code (`central.*`).
    public var code: String
    /// Human reason.
    public var reason: String
    /// Creates a body.
    public init(code: String, reason: String) {
        self.code = code
        self.reason = reason
    }
}
