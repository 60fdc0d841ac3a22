import Foundation
import GRDB
import Intake

extension ApplicationQueue {
    /// Deletes the payloads of applications C06 accepted more than `retention` ago, keeping the receipt row
    /// (ids, states, dates, commune, operator, ID hash) and an audit entry for each. Only applications whose
    /// acceptance came in a signed answer of the pinned central (`recordCentralReceipts`) are purged. Returns how
    /// many.
    @discardableResult
    public func purgeExpiredPayloads(by actor: QueueActor = .system) throws(QueueError) -> Int {
        let now = nowMilliseconds
        let cutoff = now - Int64(configuration.retention * 1000)
        return try write(expectedBytes: 64 * 1024) { db in
            let ids = try String.fetchAll(
                db,
                sql: """
                    SELECT id FROM application WHERE payload IS NOT NULL
                    AND central_state IN ('accepted', 'activated') AND accepted_at <= ?
                    AND EXISTS (SELECT 1 FROM central_receipt r WHERE r.application_id = application.id
                        AND r.central_state IN ('accepted', 'activated'))
                    """, arguments: [cutoff])
            for id in ids {
                try db.execute(
                    sql: "UPDATE application SET payload = NULL, key_id = NULL, purged_at = ? WHERE id = ?",
                    arguments: [now, id])
                try AuditLog.append(
                    db, at: now, actor: actor.id, action: "purge", applicationID: id, from: nil, to: nil,
                    reasonCode: "retention", actorUID: actor.uid)
            }
            return ids.count
        }
    }
}
