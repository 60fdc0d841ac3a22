import Foundation
import GRDB
import Intake

extension ApplicationQueue {
    /// Re-seals payloads written under older keys with the current key, `batch` rows per transaction, and
    /// returns how many it re-sealed (0 when done). After `KeyRing.rotate(path:)` and a restart, run it until
    /// it returns 0. Older keys stay in the key file: sealed audit notes are covered by the hash chain and are
    /// never rewritten.
    @discardableResult
    public func resealPayloads(batch: Int = 200, by actor: QueueActor = .system) throws(QueueError) -> Int {
        let current = sealer.keys.currentKeyID
        let rows = try read { db in
            try Row.fetchAll(
                db, sql: "SELECT id, key_id, payload FROM application WHERE key_id <> ? LIMIT ?",
                arguments: [current, batch])
        }
        guard !rows.isEmpty else { return 0 }
        var resealed: [(String, Int, Int, Data)] = []
        for row in rows {
            let id: String = row["id"]
            guard let applicationID = ApplicationID(id) else { continue }
            let application = try sealer.openApplication(row["payload"], keyID: row["key_id"], id: applicationID)
            let (keyID, sealed) = try sealer.sealApplication(application)
            resealed.append((id, row["key_id"], keyID, sealed))
        }
        let now = nowMilliseconds
        return try write(expectedBytes: resealed.reduce(0) { $0 + $1.3.count }) { db in
            var count = 0
            for (id, oldKey, newKey, sealed) in resealed {
                // Only if unchanged since it was read (a purge may have run in between).
                try db.execute(
                    sql: "UPDATE application SET key_id = ?, payload = ? WHERE id = ? AND key_id = ?",
                    arguments: [newKey, sealed, id, oldKey])
                count += db.changesCount
            }
            try AuditLog.append(
                db, at: now, actor: actor.id, action: "key_rotation", applicationID: nil, from: nil,
                to: "k\(current)", reasonCode: "resealed:\(count)", actorUID: actor.uid)
            return count
        }
    }
}
