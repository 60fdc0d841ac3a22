import Foundation

/// Fault injection, set by flags at start and changed at run time by `POST /admin/faults`.
struct Faults: Sendable, Codable, Hashable {
    /// Share of signed requests answered 503 with `Retry-After` (0…1).
    var errorRate: Double = 0
    /// Added latency per request, milliseconds.
    var latencyMilliseconds: Int = 0
    /// Share of payload chunks whose connection is cut half-way through the body (0…1).
    var dropRate: Double = 0
    /// Share of completed batches answered with results for only part of the items (0…1).
    var partialAckRate: Double = 0
    /// Reading speed of request bodies, bytes per second (0 = unlimited): a slow link.
    var bytesPerSecond: Int = 0
    /// `Retry-After` seconds sent with injected 503s.
    var retryAfterSeconds: Int = 0
    /// Share of answers signed with a random key under the genuine key id (a forged or corrupted answer), 0…1.
    var badSignatureRate: Double = 0
    /// Holds the payload chunk that starts at or beyond this offset (0 = never), once the receiver stores at least
    /// `holdAfterItems` items, before reading its body, until the fault is lifted: a test kills the uploading
    /// station at a known point in the middle of a batch instead of racing the link.
    var holdAtOffset: Int = 0
    /// Items stored before `holdAtOffset` applies (1: not in the first batch).
    var holdAfterItems: Int = 0

    init() {}

    /// Missing fields keep their defaults (`POST /admin/faults` may set only some).
    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        errorRate = try container.decodeIfPresent(Double.self, forKey: .errorRate) ?? 0
        latencyMilliseconds = try container.decodeIfPresent(Int.self, forKey: .latencyMilliseconds) ?? 0
        dropRate = try container.decodeIfPresent(Double.self, forKey: .dropRate) ?? 0
        partialAckRate = try container.decodeIfPresent(Double.self, forKey: .partialAckRate) ?? 0
        bytesPerSecond = try container.decodeIfPresent(Int.self, forKey: .bytesPerSecond) ?? 0
        retryAfterSeconds = try container.decodeIfPresent(Int.self, forKey: .retryAfterSeconds) ?? 0
        badSignatureRate = try container.decodeIfPresent(Double.self, forKey: .badSignatureRate) ?? 0
        holdAtOffset = try container.decodeIfPresent(Int.self, forKey: .holdAtOffset) ?? 0
        holdAfterItems = try container.decodeIfPresent(Int.self, forKey: .holdAfterItems) ?? 0
    }
}

/// Figures for tests and the bench, from `GET /admin/stats`.
struct Stats: Sendable, Codable, Hashable {
    /// Request body bytes read on payload chunks (including chunks later cut).
    var payloadBytesRead: Int = 0
    /// Payload bytes that were appended to a batch (durably).
    var payloadBytesKept: Int = 0
    /// Applications stored.
    var itemsStored: Int = 0
    /// Envelope bytes of the applications stored.
    var itemBytesStored: Int = 0
    /// Offers of applications already stored (answered `alreadyHave`).
    var duplicatesOffered: Int = 0
    /// Injected faults by kind.
    var injected503: Int = 0
    var injectedDrops: Int = 0
    var injectedPartialAcks: Int = 0
    var injectedBadSignatures: Int = 0
    /// Payload chunks held by `holdAtOffset` (each waits, unread, until the fault is lifted).
    var chunksHeld: Int = 0
    /// Unfinished batches abandoned (part file removed): superseded by a new offer of their items, or too old.
    var partsAbandoned: Int = 0
    /// Offers of a batch the receiver already had (a station resuming its spooled batch).
    var batchesResumed: Int = 0
    /// Offers of a batch id that had been abandoned (started afresh).
    var abandonedReoffered: Int = 0
    /// Items whose chip evidence verified against the receiver's CSCA trust list (`chipVerified`).
    var chipVerified: Int = 0
    /// Items refused with `CHIP_EVIDENCE_INVALID`.
    var chipEvidenceRejected: Int = 0
    /// Items stored on Passive Authentication alone: no transcript, under a verdict that says the anti-clone check
    /// did not run (`unconfirmed` accepted by a supervisor).
    var chipPassiveOnly: Int = 0
    /// Requests refused by authentication, by code.
    var refusals: [String: Int] = [:]
}
