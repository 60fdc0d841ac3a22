import Foundation
import GRDB

/// Where a key rotation stands: the key sealing new data, the older keys still in the key file, and how many sealed
/// values each table still holds under them. A rotation is finished when `olderKeyIDs` is empty.
public struct KeyRotationProgress: Sendable, Hashable {
    /// The key new payloads are sealed under.
    public var currentKeyID: Int
    /// Keys still in the key file because something may be sealed under them (empty: no rotation running).
    public var olderKeyIDs: [Int]
    /// Sealed values under an older key, by what they are (`applications`, `eligibility`, `cleansing`,
    /// `operators`, `reports`, `invitations`, `audit_notes`).
    public var remaining: [String: Int]

    /// Sealed values still under an older key.
    public var remainingTotal: Int { remaining.values.reduce(0, +) }
}

/// One kind of sealed value: a table, the column naming the key, the sealed column, what identifies a row, and the
/// associated data each value was sealed with (bound to its row, so a value moved to another row does not open).
private struct SealedColumn: Sendable {
    var name: String
    var table: String
    var row: String
    var keyColumn: String
    var sealedColumn: String
    var context: @Sendable (Row) -> String

    static let all: [SealedColumn] = [
        SealedColumn(
            name: "applications", table: "application", row: "id", keyColumn: "key_id", sealedColumn: "payload",
            context: { "app:" + ($0["rk"] as String) }),
        SealedColumn(
            name: "eligibility", table: "eligibility", row: "seq", keyColumn: "key_id", sealedColumn: "payload",
            context: { _ in "eligibility" }),
        SealedColumn(
            name: "cleansing", table: "cleansing", row: "seq", keyColumn: "key_id", sealedColumn: "payload",
            context: { "cleansing:" + (($0["case_hmac"] as Data?) ?? Data()).base64EncodedString() }),
        SealedColumn(
            name: "operators", table: "operator", row: "account", keyColumn: "name_key_id",
            sealedColumn: "name_sealed", context: { "operator:" + ($0["rk"] as String) }),
        SealedColumn(
            name: "reports", table: "outbound_report", row: "id", keyColumn: "key_id", sealedColumn: "sealed",
            context: { "report:" + ($0["rk"] as String) }),
        SealedColumn(
            name: "invitations", table: "invitation", row: "seq", keyColumn: "key_id", sealedColumn: "payload",
            context: { _ in "invitation" }),
    ]

    /// Extra columns the context needs.
    var extraColumns: String { table == "cleansing" ? ", case_hmac" : "" }
}

extension ApplicationQueue {
    /// Starts a key rotation: a new data key is added to the key file and made current (the file replaced
    /// atomically), the store records its check value, and new payloads are sealed under it from now on. The older
    /// key stays until `resealPayloads` has moved everything off it and `destroyOlderKeys` removes it. Audited
    /// `keys_rotate` (`k1` → `k2`). Refused (`queue.key_file`) while an earlier rotation is unfinished.
    @discardableResult
    public func rotateKey(by actor: QueueActor) throws(QueueError) -> KeyRotationProgress {
        let before = sealer.keys
        guard before.olderKeyIDs.isEmpty else {
            throw QueueError(.keyFile, "a key rotation is unfinished (older keys \(before.olderKeyIDs))")
        }
        let ring = try KeyRing.rotate(path: configuration.keyFilePath, sealer: configuration.keySealer)
        // The store learns the new key before anything is sealed under it (the database refuses unknown keys).
        let now = nowMilliseconds
        try write(expectedBytes: 4096) { db in
            try db.execute(
                sql: "INSERT OR IGNORE INTO key_check (key_id, mac) VALUES (?, ?)",
                arguments: [ring.currentKeyID, PayloadSealer(keys: ring).keyCheck(keyID: ring.currentKeyID)])
            try AuditLog.append(
                db, at: now, actor: actor.id, action: "keys_rotate", applicationID: nil,
                from: "k\(before.currentKeyID)", to: "k\(ring.currentKeyID)", reasonCode: nil, actorUID: actor.uid)
        }
        sealerSlot.install(PayloadSealer(keys: ring))
        return try keyRotationProgress()
    }

    /// How far the rotation is: sealed values still under older keys, per kind.
    public func keyRotationProgress() throws(QueueError) -> KeyRotationProgress {
        let keys = sealer.keys
        let remaining = try read { db in try Self.remaining(db, current: keys.currentKeyID) }
        return KeyRotationProgress(currentKeyID: keys.currentKeyID, olderKeyIDs: keys.olderKeyIDs, remaining: remaining)
    }

    static func remaining(_ db: Database, current: Int) throws -> [String: Int] {
        var counts: [String: Int] = [:]
        for column in SealedColumn.all {
            counts[column.name] =
                try Int.fetchOne(
                    db, sql: "SELECT COUNT(*) FROM \(column.table) WHERE \(column.keyColumn) <> ?",
                    arguments: [current]) ?? 0
        }
        counts["audit_notes"] =
            try Int.fetchOne(
                db,
                sql: """
                    SELECT COUNT(*) FROM audit a LEFT JOIN audit_note_reseal r ON r.seq = a.seq
                    WHERE a.note_sealed IS NOT NULL AND COALESCE(r.key_id, a.note_key_id) <> ?
                    """, arguments: [current]) ?? 0
        return counts
    }

    /// Re-seals up to `batch` values written under older keys with the current key, in one transaction, and
    /// returns how many it re-sealed (0 when nothing is left): applications, eligibility records, cleansing cases,
    /// operators' names and audit notes (those as copies: the chained audit row is never rewritten). Each row is
    /// rewritten only if unchanged since it was read. Audited `key_rotation` with `resealed:N`.
    @discardableResult
    public func resealPayloads(batch: Int = 200, by actor: QueueActor = .system) throws(QueueError) -> Int {
        let sealer = self.sealer
        let current = sealer.keys.currentKeyID
        var updates: [(sql: String, arguments: StatementArguments)] = []
        var bytes = 0
        for column in SealedColumn.all where updates.count < batch {
            let rows = try read { db in
                try Row.fetchAll(
                    db,
                    sql: """
                        SELECT \(column.row) AS rk, \(column.keyColumn) AS key_id, \(column.sealedColumn) AS sealed
                            \(column.extraColumns)
                        FROM \(column.table) WHERE \(column.keyColumn) <> ? LIMIT ?
                        """, arguments: [current, batch - updates.count])
            }
            for row in rows {
                let context = column.context(row)
                let oldKey: Int = row["key_id"]
                let plaintext = try sealer.open(row["sealed"], keyID: oldKey, context: context)
                let (newKey, sealed) = try sealer.seal(plaintext, context: context)
                bytes += sealed.count
                let arguments: StatementArguments = [newKey, sealed, row["rk"] as DatabaseValue, oldKey]
                updates.append(
                    (
                        sql: """
                        UPDATE \(column.table) SET \(column.keyColumn) = ?, \(column.sealedColumn) = ?
                        WHERE \(column.row) = ? AND \(column.keyColumn) = ?
                        """, arguments: arguments
                    ))
            }
        }
        if updates.count < batch {
            let notes = try read { db in
                try Row.fetchAll(
                    db,
                    sql: """
                        SELECT a.seq, a.note_sealed, a.note_key_id, r.key_id AS copy_key, r.sealed AS copy
                        FROM audit a LEFT JOIN audit_note_reseal r ON r.seq = a.seq
                        WHERE a.note_sealed IS NOT NULL AND COALESCE(r.key_id, a.note_key_id) <> ? LIMIT ?
                        """, arguments: [current, batch - updates.count])
            }
            for row in notes {
                let sequence: Int64 = row["seq"]
                let plaintext: Data
                if let copyKey = row["copy_key"] as Int? {
                    plaintext = try sealer.open(row["copy"], keyID: copyKey, context: "audit-note:\(sequence)")
                    let (newKey, sealed) = try sealer.seal(plaintext, context: "audit-note:\(sequence)")
                    let arguments: StatementArguments = [newKey, sealed, sequence, copyKey]
                    updates.append(
                        (
                            sql: "UPDATE audit_note_reseal SET key_id = ?, sealed = ? WHERE seq = ? AND key_id = ?",
                            arguments: arguments
                        ))
                    bytes += sealed.count
                } else {
                    plaintext = try sealer.open(row["note_sealed"], keyID: row["note_key_id"], context: "audit-note")
                    let (newKey, sealed) = try sealer.seal(plaintext, context: "audit-note:\(sequence)")
                    let arguments: StatementArguments = [sequence, newKey, sealed]
                    updates.append(
                        (
                            sql: "INSERT OR IGNORE INTO audit_note_reseal (seq, key_id, sealed) VALUES (?, ?, ?)",
                            arguments: arguments
                        ))
                    bytes += sealed.count
                }
            }
        }
        guard !updates.isEmpty else { return 0 }
        let now = nowMilliseconds
        return try write(expectedBytes: bytes) { db in
            var count = 0
            for update in updates {
                try db.execute(sql: update.sql, arguments: update.arguments)
                count += db.changesCount
            }
            try AuditLog.append(
                db, at: now, actor: actor.id, action: "key_rotation", applicationID: nil, from: nil,
                to: "k\(current)", reasonCode: "resealed:\(count)", actorUID: actor.uid)
            return count
        }
    }

    /// Ends a rotation once nothing is sealed under an older key: the store forgets their check values (in the
    /// transaction that confirms nothing needs them; the database then refuses any value under them), then the key
    /// file is rewritten without them. Audited `keys_destroyed` (`k1` → `k2`). Returns the destroyed key ids (empty:
    /// no older key, or something still needs one — re-seal first). A crash between the two steps leaves the key
    /// in the file: the next start records its check again and the rotation ends again.
    @discardableResult
    public func destroyOlderKeys(by actor: QueueActor = .system) throws(QueueError) -> [Int] {
        let keys = sealer.keys
        let older = keys.olderKeyIDs
        guard !older.isEmpty else { return [] }
        let current = keys.currentKeyID
        let now = nowMilliseconds
        let unused = try write(expectedBytes: 4096) { db -> Bool in
            guard try Self.remaining(db, current: current).values.allSatisfy({ $0 == 0 }) else { return false }
            for id in older { try db.execute(sql: "DELETE FROM key_check WHERE key_id = ?", arguments: [id]) }
            try AuditLog.append(
                db, at: now, actor: actor.id, action: "keys_destroyed", applicationID: nil,
                from: older.map { "k\($0)" }.joined(separator: ","), to: "k\(current)", reasonCode: nil,
                actorUID: actor.uid)
            return true
        }
        guard unused else { return [] }
        let ring = try KeyRing.retire(
            path: configuration.keyFilePath, keeping: current, sealer: configuration.keySealer)
        sealerSlot.install(PayloadSealer(keys: ring))
        return older
    }

    /// The re-sealed copy of an audit note, if a rotation made one.
    func resealedNote(sequence: Int64) throws(QueueError) -> (keyID: Int, sealed: Data)? {
        try read { db in
            try Row.fetchOne(
                db, sql: "SELECT key_id, sealed FROM audit_note_reseal WHERE seq = ?", arguments: [sequence]
            ).map { (keyID: $0["key_id"], sealed: $0["sealed"]) }
        }
    }
}

extension ApplicationQueue {
    /// Whether the last key backup (audited `keys_backup`) was made before the last rotation started (audited
    /// `keys_rotate`), or none was made since: such a bundle lacks the current store key and would not restore this
    /// store. False when no rotation ever ran.
    public func keyBackupIsStale() throws(QueueError) -> Bool {
        try read { db in
            guard
                let rotated = try Int64.fetchOne(
                    db, sql: "SELECT MAX(seq) FROM audit WHERE action = 'keys_rotate'")
            else { return false }
            let backedUp = try Int64.fetchOne(db, sql: "SELECT MAX(seq) FROM audit WHERE action = 'keys_backup'")
            return (backedUp ?? 0) < rotated
        }
    }
}

extension ApplicationQueue {
    /// The data key ids the store at `databasePath` records check values for (without the index key), read-only
    /// and without a key; nil when there is no store there (or it cannot be read).
    public static func recordedKeyIDs(databasePath: String) -> Set<Int>? {
        guard FileManager.default.fileExists(atPath: databasePath) else { return nil }
        var configuration = GRDB.Configuration()
        configuration.readonly = true
        guard let reader = try? DatabaseQueue(path: databasePath, configuration: configuration) else { return nil }
        defer { try? reader.close() }
        let ids = try? reader.read { db -> [Int] in
            guard try db.tableExists("key_check") else { return [] }
            return try Int.fetchAll(db, sql: "SELECT key_id FROM key_check WHERE key_id > 0")
        }
        return ids.map { Set($0) }
    }
}
