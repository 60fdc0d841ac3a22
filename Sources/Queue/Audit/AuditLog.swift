import Crypto
import Foundation
import GRDB

/// Appends to and verifies the hash-chained audit table. Appends happen inside the caller's transaction, so an
/// entry is written exactly when the change it describes is. Links are computed by the SQL function
/// `audit_link(seq, message)` that each connection of the store registers with the store's `AuditChainKey`.
enum AuditLog {
    /// The link of entry `sequence` over `message`, from the connection's audit key.
    static func link(_ db: Database, sequence: Int64, message: Data) throws -> Data {
        guard
            let link = try Data.fetchOne(
                db, sql: "SELECT \(AuditChainKey.sqlFunction)(?, ?)", arguments: [sequence, message])
        else { throw QueueError(.keyFile, "the audit key is not loaded") }
        return link
    }

    static func append(
        _ db: Database, at: Int64, actor: String, action: String, applicationID: String?, from: String?,
        to: String?, reasonCode: String?, sealedNote: Data? = nil, noteKeyID: Int? = nil, actorUID: UInt32? = nil
    ) throws {
        let last = try Row.fetchOne(db, sql: "SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1")
        let previous: Data = last?["hash"] ?? AuditEntry.genesis
        let sequence: Int64 = (last?["seq"] ?? 0) + 1
        let hash = try link(
            db, sequence: sequence,
            message: AuditEntry.chainMessage(
                previous: previous, sequence: sequence, at: at, actor: actor, action: action,
                applicationID: applicationID, from: from, to: to, reasonCode: reasonCode, sealedNote: sealedNote,
                noteKeyID: noteKeyID, actorUID: actorUID))
        try db.execute(
            sql: """
                INSERT INTO audit (seq, at, actor, action, application_id, from_status, to_status, reason_code,
                    note_sealed, note_key_id, prev_hash, hash, actor_uid)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """,
            arguments: [
                sequence, at, actor, action, applicationID, from, to, reasonCode, sealedNote, noteKeyID, previous,
                hash, actorUID.map { Int64($0) },
            ])
    }

    static func entry(_ row: Row) -> AuditEntry {
        AuditEntry(
            sequence: row["seq"], atMilliseconds: row["at"], actor: row["actor"],
            actorUID: (row["actor_uid"] as Int64?).map { UInt32(truncatingIfNeeded: $0) }, action: row["action"],
            applicationID: row["application_id"], from: row["from_status"], to: row["to_status"],
            reasonCode: row["reason_code"], sealedNote: row["note_sealed"], noteKeyID: row["note_key_id"],
            previousHash: row["prev_hash"], hash: row["hash"])
    }

    static func entries(_ db: Database, applicationID: String?) throws -> [AuditEntry] {
        if let applicationID {
            return try Row.fetchAll(
                db, sql: "SELECT * FROM audit WHERE application_id = ? ORDER BY seq", arguments: [applicationID]
            ).map(entry)
        }
        return try Row.fetchAll(db, sql: "SELECT * FROM audit ORDER BY seq").map(entry)
    }

    /// Walks the chain in order: sequence numbers must be 1, 2, 3…, each entry must link to its predecessor's
    /// hash and its own hash must be its link (keyed from the key's `keyedFrom` on, plain before).
    static func verify(_ db: Database, key: AuditChainKey? = nil) throws -> AuditVerification {
        var previous = AuditEntry.genesis
        var expected: Int64 = 1
        var count = 0
        let cursor = try Row.fetchCursor(db, sql: "SELECT * FROM audit ORDER BY seq")
        while let row = try cursor.next() {
            let entry = entry(row)
            let link =
                key.map { $0.link(sequence: entry.sequence, message: entry.chainMessage) }
                ?? Data(SHA256.hash(data: entry.chainMessage))
            if entry.sequence != expected || entry.previousHash != previous || entry.hash != link {
                return AuditVerification(entries: count, firstBrokenSequence: entry.sequence)
            }
            previous = entry.hash
            expected += 1
            count += 1
        }
        return AuditVerification(entries: count, firstBrokenSequence: nil)
    }
}
