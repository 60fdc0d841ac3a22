import CentralAPI
import CentralEvidence
import Crypto
import Foundation
import GRDB
import Intake

/// The receiver's own SQLite: enrolled stations, one-time tokens, seen nonces, batches, and applications stored
/// exactly once by application id (the primary key). Partial batch payloads live in `parts/<batch>.part`.
///
/// Calls block on SQLite; the receiver is a test stand-in for C06, so handlers call it directly.
final class ReceiverStore: Sendable {
    let db: DatabaseQueue
    let directory: String
    /// Raw X25519 private key (swift-crypto keys are not `Sendable` on Linux).
    let centralKeyRaw: Data
    var centralKey: Curve25519.KeyAgreement.PrivateKey {
        try! Curve25519.KeyAgreement.PrivateKey(rawRepresentation: centralKeyRaw)
    }

    /// Raw Ed25519 private key that signs answers.
    let signingKeyRaw: Data
    var signingKey: Curve25519.Signing.PrivateKey {
        try! Curve25519.Signing.PrivateKey(rawRepresentation: signingKeyRaw)
    }
    /// The public keys stations pin (their fingerprint is printed at start).
    var publicKeys: CentralKeys {
        CentralKeys(
            signingKey: signingKey.publicKey.rawRepresentation,
            encryptionKey: centralKey.publicKey.rawRepresentation)
    }

    init(directory: String, tokens: [String]) throws {
        self.directory = directory
        try FileManager.default.createDirectory(atPath: directory + "/parts", withIntermediateDirectories: true)
        centralKeyRaw = try Curve25519.KeyAgreement.PrivateKey(
            rawRepresentation: Self.loadOrCreateKey(
                directory + "/central.key", fresh: Curve25519.KeyAgreement.PrivateKey().rawRepresentation)
        ).rawRepresentation
        signingKeyRaw = try Curve25519.Signing.PrivateKey(
            rawRepresentation: Self.loadOrCreateKey(
                directory + "/central-signing.key", fresh: Curve25519.Signing.PrivateKey().rawRepresentation)
        ).rawRepresentation
        var configuration = GRDB.Configuration()
        configuration.busyMode = .timeout(10)
        db = try DatabaseQueue(path: directory + "/central.sqlite", configuration: configuration)
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.execute(
                sql: """
                    CREATE TABLE station (id TEXT PRIMARY KEY, signing_key BLOB NOT NULL, token TEXT NOT NULL);
                    CREATE TABLE token (token TEXT PRIMARY KEY, used_by TEXT);
                    CREATE TABLE nonce (station TEXT NOT NULL, nonce TEXT NOT NULL, at INTEGER NOT NULL,
                        PRIMARY KEY (station, nonce));
                    CREATE TABLE batch (id TEXT PRIMARY KEY, station TEXT NOT NULL, plan BLOB NOT NULL,
                        length INTEGER NOT NULL, offset INTEGER NOT NULL, results BLOB);
                    CREATE TABLE item (application_id TEXT PRIMARY KEY, station TEXT NOT NULL, batch TEXT NOT NULL,
                        payload_hash TEXT NOT NULL, payload BLOB NOT NULL, received_at INTEGER NOT NULL,
                        rejection TEXT, decide_at INTEGER NOT NULL, activate_at INTEGER,
                        commune TEXT NOT NULL, operator TEXT NOT NULL);
                    """)
        }
        migrator.registerMigration("v2-resend") { db in
            // C06 may ask for an application again (e.g. an unreadable fingerprint record): flagged rows are
            // offered as `send` and replaced once by the new copy.
            try db.execute(sql: "ALTER TABLE item ADD COLUMN resend INTEGER NOT NULL DEFAULT 0")
        }
        migrator.registerMigration("v3-abandon") { db in
            // Unfinished batches superseded by a new offer of their items, or too old, are abandoned: their part
            // file is removed and the row kept (marked) so a late station is told to offer again.
            try db.execute(sql: "ALTER TABLE batch ADD COLUMN created_at INTEGER NOT NULL DEFAULT 0")
            try db.execute(sql: "ALTER TABLE batch ADD COLUMN abandoned INTEGER NOT NULL DEFAULT 0")
        }
        migrator.registerMigration("v4-audit-anchor") { db in
            // Every audit head a station sent with a batch or status query: a later claim must agree with them.
            try db.execute(
                sql: """
                    CREATE TABLE audit_anchor (station TEXT NOT NULL, seq INTEGER NOT NULL, hash TEXT NOT NULL,
                        at INTEGER NOT NULL, PRIMARY KEY (station, seq))
                    """)
        }
        migrator.registerMigration("v5-ds-certificates") { db in
            // Document-signer certificates from batch manifests, by SHA-256: packets name them instead of carrying
            // them in EF.SOD (issue 17).
            try db.execute(sql: "CREATE TABLE ds_certificate (sha256 TEXT PRIMARY KEY, der BLOB NOT NULL)")
        }
        migrator.registerMigration("v6-reports") { db in
            // Stations' daily and weekly reports, stored once per station and report id (issue 22, item 7).
            try db.execute(
                sql: """
                    CREATE TABLE report (station TEXT NOT NULL, id TEXT NOT NULL, kind TEXT NOT NULL,
                        period_from TEXT NOT NULL, period_through TEXT NOT NULL, produced_at INTEGER NOT NULL,
                        received_at INTEGER NOT NULL, content_sha256 TEXT NOT NULL, content BLOB NOT NULL,
                        PRIMARY KEY (station, id))
                    """)
        }
        try migrator.migrate(db)
        try db.write { db in
            for token in tokens {
                try db.execute(sql: "INSERT OR IGNORE INTO token (token) VALUES (?)", arguments: [token])
            }
        }
    }

    /// Reads a raw key file, or creates it (0600) with `fresh`.
    static func loadOrCreateKey(_ path: String, fresh: Data) throws -> Data {
        if let raw = FileManager.default.contents(atPath: path) { return raw }
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0o600)
        guard fd >= 0 else { throw CentralError(.unavailable, "cannot create the key file \(path)") }
        _ = fresh.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        fsync(fd)
        close(fd)
        return fresh
    }

    // MARK: document-signer certificates

    /// Keeps a manifest's DS certificates by their SHA-256 (content-addressed: keeping one twice is a no-op).
    func keep(dsCertificates: [Data]) throws {
        guard !dsCertificates.isEmpty else { return }
        try db.write { db in
            for der in dsCertificates {
                try db.execute(
                    sql: "INSERT OR IGNORE INTO ds_certificate (sha256, der) VALUES (?, ?)",
                    arguments: [DSCertificateSharing.sha256(der), der])
            }
        }
    }

    /// The DS certificate with this SHA-256, if a manifest brought it.
    func dsCertificate(_ sha256: String) throws -> Data? {
        try db.read { db in
            try Data.fetchOne(db, sql: "SELECT der FROM ds_certificate WHERE sha256 = ?", arguments: [sha256])
        }
    }

    // MARK: stations

    func enroll(_ request: EnrollmentRequest) throws -> EnrollmentResponse {
        guard (try? Curve25519.Signing.PublicKey(rawRepresentation: request.signingKey)) != nil else {
            throw CentralError(.malformed, "signing key is not a raw Ed25519 public key")
        }
        try db.write { db in
            let usedBy = try Row.fetchOne(
                db, sql: "SELECT used_by FROM token WHERE token = ?", arguments: [request.token])
            guard let usedBy else { throw CentralError(.badToken, "unknown enrollment token") }
            if let station = usedBy["used_by"] as String? {
                // A station that lost the answer may enroll again with the same token and key.
                let key = try Data.fetchOne(
                    db, sql: "SELECT signing_key FROM station WHERE id = ?", arguments: [station])
                guard station == request.stationID, key == request.signingKey else {
                    throw CentralError(.badToken, "the enrollment token was already used")
                }
                return
            }
            if try Row.fetchOne(db, sql: "SELECT 1 FROM station WHERE id = ?", arguments: [request.stationID]) != nil {
                throw CentralError(.badToken, "station \(request.stationID) is already enrolled with another key")
            }
            try db.execute(
                sql: "UPDATE token SET used_by = ? WHERE token = ?", arguments: [request.stationID, request.token])
            try db.execute(
                sql: "INSERT INTO station (id, signing_key, token) VALUES (?, ?, ?)",
                arguments: [request.stationID, request.signingKey, request.token])
        }
        return EnrollmentResponse(
            stationID: request.stationID, centralKey: centralKey.publicKey.rawRepresentation,
            centralSigningKey: signingKey.publicKey.rawRepresentation)
    }

    func stationKey(_ station: String) throws -> Curve25519.Signing.PublicKey? {
        try db.read { db in
            try Data.fetchOne(db, sql: "SELECT signing_key FROM station WHERE id = ?", arguments: [station])
        }.flatMap { try? Curve25519.Signing.PublicKey(rawRepresentation: $0) }
    }

    /// Records a nonce; false if seen before. Nonces older than twice the window are forgotten (their requests
    /// fail the timestamp check anyway).
    func nonceIsFresh(station: String, nonce: String, at: Int64) throws -> Bool {
        try db.write { db in
            let horizon = Int64(Date().timeIntervalSince1970 * 1000) - Int64(2 * RequestSigning.window * 1000)
            try db.execute(sql: "DELETE FROM nonce WHERE at < ?", arguments: [horizon])
            try db.execute(
                sql: "INSERT OR IGNORE INTO nonce (station, nonce, at) VALUES (?, ?, ?)",
                arguments: [station, nonce, at])
            return db.changesCount == 1
        }
    }

    // MARK: audit anchors

    /// Checks a station's audit claim against the heads recorded before, then records its head. Throws
    /// `central.audit_history_changed` when the station's entry at an anchored sequence differs from what was
    /// anchored, when it shows no anchor although the central holds some, or when its chain got shorter.
    func anchor(_ claim: AuditClaim?, station: String) throws -> AuditAnchor? {
        try db.write { db in
            let latest = try Row.fetchOne(
                db, sql: "SELECT seq, hash, at FROM audit_anchor WHERE station = ? ORDER BY seq DESC LIMIT 1",
                arguments: [station])
            guard let claim else {
                guard latest == nil else {
                    throw CentralError(.auditHistoryChanged, "the station no longer sends its audit head")
                }
                return nil
            }
            if let latest {
                guard let anchored = claim.anchored else {
                    throw CentralError(
                        .auditHistoryChanged, "the station shows no anchored audit point; the central holds some")
                }
                let recorded = try String.fetchOne(
                    db, sql: "SELECT hash FROM audit_anchor WHERE station = ? AND seq = ?",
                    arguments: [station, anchored.sequence])
                guard recorded == anchored.hash else {
                    throw CentralError(
                        .auditHistoryChanged,
                        "the station's audit entry \(anchored.sequence) differs from the one anchored")
                }
                guard claim.head.sequence >= latest["seq"] as Int64 else {
                    throw CentralError(.auditHistoryChanged, "the station's audit chain is shorter than anchored")
                }
            }
            let recorded = try String.fetchOne(
                db, sql: "SELECT hash FROM audit_anchor WHERE station = ? AND seq = ?",
                arguments: [station, claim.head.sequence])
            if let recorded, recorded != claim.head.hash {
                throw CentralError(
                    .auditHistoryChanged,
                    "the station's audit entry \(claim.head.sequence) differs from the one anchored")
            }
            let now = Self.nowMilliseconds
            try db.execute(
                sql: "INSERT OR IGNORE INTO audit_anchor (station, seq, hash, at) VALUES (?, ?, ?, ?)",
                arguments: [station, claim.head.sequence, claim.head.hash, now])
            let at =
                try Int64.fetchOne(
                    db, sql: "SELECT at FROM audit_anchor WHERE station = ? AND seq = ?",
                    arguments: [station, claim.head.sequence]) ?? now
            return AuditAnchor(point: claim.head, at: Date(timeIntervalSince1970: Double(at) / 1000))
        }
    }

    // MARK: items

    func has(_ applicationID: String) throws -> Bool {
        try db.read { db in
            try Row.fetchOne(
                db, sql: "SELECT 1 FROM item WHERE application_id = ? AND resend = 0", arguments: [applicationID])
                != nil
        }
    }

    /// A checked item ready to store.
    struct Prepared {
        var item: ManifestItem
        var envelope: Data
        var rejection: String?
        var decideAt: Date
        var activateAt: Date?
    }

    /// Stores items unless already present (the application id is the idempotency key), in one transaction.
    /// Returns how many were new, and their envelope bytes.
    func store(_ items: [Prepared], station: String, batch: String) throws -> (count: Int, bytes: Int) {
        guard !items.isEmpty else { return (0, 0) }
        return try db.write { db in
            var inserted = 0
            var bytes = 0
            for prepared in items {
                try db.execute(
                    sql: """
                        INSERT INTO item (application_id, station, batch, payload_hash, payload, received_at,
                            rejection, decide_at, activate_at, commune, operator)
                        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                        ON CONFLICT (application_id) DO UPDATE SET batch = excluded.batch,
                            payload_hash = excluded.payload_hash, payload = excluded.payload,
                            received_at = excluded.received_at, rejection = excluded.rejection,
                            decide_at = excluded.decide_at, activate_at = excluded.activate_at, resend = 0
                        WHERE item.resend = 1 AND item.station = excluded.station
                        """,
                    arguments: [
                        prepared.item.applicationID, station, batch, prepared.item.payloadSHA256, prepared.envelope,
                        Int64(Date().timeIntervalSince1970 * 1000), prepared.rejection,
                        Int64(prepared.decideAt.timeIntervalSince1970 * 1000),
                        prepared.activateAt.map { Int64($0.timeIntervalSince1970 * 1000) }, prepared.item.communeCode,
                        prepared.item.operatorID,
                    ])
                inserted += db.changesCount
                bytes += db.changesCount * prepared.envelope.count
            }
            return (inserted, bytes)
        }
    }

    func status(of ids: [String], station: String) throws -> [StatusItem] {
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        return try db.read { db in
            try ids.map { id -> StatusItem in
                guard
                    let row = try Row.fetchOne(
                        db,
                        sql:
                            """
                            SELECT rejection, decide_at, activate_at, resend FROM item
                            WHERE application_id = ? AND station = ?
                            """,
                        arguments: [id, station])
                else { return StatusItem(applicationID: id, state: .unknown) }
                if row["resend"] as Int == 1 { return StatusItem(applicationID: id, state: .resend) }
                if now < row["decide_at"] as Int64 { return StatusItem(applicationID: id, state: .received) }
                if let rejection = row["rejection"] as String? {
                    return StatusItem(applicationID: id, state: .rejected, reason: rejection)
                }
                if let activate = row["activate_at"] as Int64?, now >= activate {
                    return StatusItem(applicationID: id, state: .activated)
                }
                return StatusItem(applicationID: id, state: .accepted)
            }
        }
    }

    // MARK: batches

    /// What the receiver expects in a batch's payload: the `send` items in order.
    struct Plan: Codable {
        var items: [ManifestItem]
    }

    /// A live (not abandoned) batch of `station`.
    func batch(_ id: String, station: String) throws -> (plan: Plan, length: Int, offset: Int, results: Data?)? {
        try db.read { db in
            guard
                let row = try Row.fetchOne(
                    db,
                    sql: """
                        SELECT plan, length, offset, results FROM batch WHERE id = ? AND station = ? AND abandoned = 0
                        """,
                    arguments: [id, station])
            else { return nil }
            return (
                try CanonicalEncoding.decode(Plan.self, from: row["plan"]), row["length"], row["offset"], row["results"]
            )
        }
    }

    func createBatch(_ id: String, station: String, plan: Plan) throws {
        let length = plan.items.reduce(0) { $0 + $1.payloadSize }
        try db.write { db in
            try db.execute(
                sql: """
                    INSERT OR IGNORE INTO batch (id, station, plan, length, offset, created_at)
                    VALUES (?, ?, ?, ?, 0, ?)
                    """,
                arguments: [id, station, try CanonicalEncoding.encode(plan), length, Self.nowMilliseconds])
        }
    }

    static var nowMilliseconds: Int64 { Int64(Date().timeIntervalSince1970 * 1000) }

    /// Forgets an abandoned batch so that its id can be offered afresh (a station that kept its spooled batch
    /// longer than the receiver kept the part file). Returns whether there was one.
    @discardableResult
    func forgetAbandoned(_ id: String, station: String) throws -> Bool {
        try db.write { db in
            try db.execute(
                sql: "DELETE FROM batch WHERE id = ? AND station = ? AND abandoned = 1", arguments: [id, station])
            return db.changesCount > 0
        }
    }

    /// Abandons unfinished batches whose part file will never be completed, and removes their part files:
    /// those of `station` whose plan holds any of `applicationIDs` (the station offered them again in a new
    /// batch: it lost or gave up the old one), and those of any station created more than `maxAge` ago.
    /// Returns how many were abandoned.
    func abandonStale(station: String, applicationIDs: Set<String>, maxAge: TimeInterval) throws -> Int {
        let horizon = Self.nowMilliseconds - Int64(maxAge * 1000)
        let abandoned: [String] = try db.write { db in
            let rows = try Row.fetchAll(
                db, sql: "SELECT id, station, plan, created_at FROM batch WHERE results IS NULL AND abandoned = 0")
            var ids: [String] = []
            for row in rows {
                let id: String = row["id"]
                let old = (row["created_at"] as Int64) < horizon
                var superseded = false
                if !old, row["station"] as String == station {
                    let plan = try CanonicalEncoding.decode(Plan.self, from: row["plan"] as Data)
                    superseded = plan.items.contains { applicationIDs.contains($0.applicationID) }
                }
                guard old || superseded else { continue }
                try db.execute(sql: "UPDATE batch SET abandoned = 1 WHERE id = ?", arguments: [id])
                ids.append(id)
            }
            return ids
        }
        for id in abandoned { try? FileManager.default.removeItem(atPath: partPath(id)) }
        return abandoned.count
    }

    func partPath(_ batch: String) -> String { directory + "/parts/\(batch).part" }

    /// Opens a batch's part file to write from `offset` (dropping anything beyond it).
    func partWriter(batch: String, offset: Int) throws -> PartWriter {
        try PartWriter(store: self, batch: batch, offset: offset)
    }

    func recordOffset(batch: String, offset: Int) throws {
        try db.write { db in
            try db.execute(sql: "UPDATE batch SET offset = ? WHERE id = ?", arguments: [offset, batch])
        }
    }

    func finish(batch: String, results: [ItemResult]) throws {
        try db.write { db in
            try db.execute(
                sql: "UPDATE batch SET results = ? WHERE id = ?",
                arguments: [try CanonicalEncoding.encode(results), batch])
        }
        try? FileManager.default.removeItem(atPath: partPath(batch))
    }

    func countItems() throws -> Int {
        try db.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM item") ?? 0 }
    }

    func itemIDs() throws -> [String] {
        try db.read { db in try String.fetchAll(db, sql: "SELECT application_id FROM item ORDER BY application_id") }
    }

    // MARK: reports

    /// Stores a station's report unless it holds it already (station and report id are the key). A resend of the
    /// same content gets the first receipt; other content under the same id is refused
    /// (`central.report_conflict`) and the first kept.
    func storeReport(_ submission: ReportSubmission, content: Data, station: String) throws -> ReportReceipt {
        try db.write { db in
            try db.execute(
                sql: """
                    INSERT OR IGNORE INTO report (station, id, kind, period_from, period_through, produced_at,
                        received_at, content_sha256, content)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [
                    station, submission.reportID, submission.kind, submission.from, submission.through,
                    Int64(submission.producedAt.timeIntervalSince1970 * 1000), Self.nowMilliseconds,
                    submission.contentSHA256, content,
                ])
            guard
                let row = try Row.fetchOne(
                    db, sql: "SELECT received_at, content_sha256 FROM report WHERE station = ? AND id = ?",
                    arguments: [station, submission.reportID])
            else { throw CentralError(.unavailable, "the report was not stored") }
            guard row["content_sha256"] as String == submission.contentSHA256 else {
                throw CentralError(
                    .reportConflict, "report \(submission.reportID) was received before with other content")
            }
            return ReportReceipt(
                reportID: submission.reportID,
                receivedAt: Date(timeIntervalSince1970: Double(row["received_at"] as Int64) / 1000),
                contentSHA256: submission.contentSHA256)
        }
    }

    /// The reports received, per station then report id (`station` nil: every station).
    func reports(station: String?) throws -> [ReceivedReport] {
        try db.read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT * FROM report WHERE ? IS NULL OR station = ? ORDER BY station, period_through, kind
                    """, arguments: [station, station]
            ).map { row in
                ReceivedReport(
                    stationID: row["station"], reportID: row["id"], kind: row["kind"], from: row["period_from"],
                    through: row["period_through"],
                    producedAt: Date(timeIntervalSince1970: Double(row["produced_at"] as Int64) / 1000),
                    receivedAt: Date(timeIntervalSince1970: Double(row["received_at"] as Int64) / 1000),
                    contentSHA256: row["content_sha256"], content: row["content"])
            }
        }
    }

    /// Asks for applications again (admin; stands in for C06 finding a stored application unusable).
    /// Returns how many were flagged.
    func requestResend(_ ids: [String]) throws -> Int {
        try db.write { db in
            var flagged = 0
            for id in ids {
                try db.execute(
                    sql: "UPDATE item SET resend = 1 WHERE application_id = ? AND resend = 0", arguments: [id])
                flagged += db.changesCount
            }
            return flagged
        }
    }
}

/// Appends a streamed payload to a batch's part file. Every `append` is durable (written, fsynced, offset
/// recorded) before it returns, so what the receiver acknowledges as its offset survives a crash.
final class PartWriter {
    let store: ReceiverStore
    let batch: String
    let fd: Int32
    /// Bytes durably held.
    private(set) var offset: Int

    init(store: ReceiverStore, batch: String, offset: Int) throws {
        self.store = store
        self.batch = batch
        self.offset = offset
        fd = open(store.partPath(batch), O_WRONLY | O_CREAT, 0o600)
        guard fd >= 0 else { throw CentralError(.unavailable, "cannot open the part file") }
        ftruncate(fd, off_t(offset))
    }

    deinit { close(fd) }

    /// Appends `bytes` durably; returns the new offset.
    @discardableResult
    func append(_ bytes: Data) throws -> Int {
        guard !bytes.isEmpty else { return offset }
        let written = bytes.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, off_t(offset)) }
        guard written == bytes.count else { throw CentralError(.unavailable, "short write") }
        fsync(fd)
        offset += bytes.count
        try store.recordOffset(batch: batch, offset: offset)
        return offset
    }

    /// Drops what was appended beyond `start` (a body whose hash did not match its signature).
    func rollback(to start: Int) throws {
        ftruncate(fd, off_t(start))
        fsync(fd)
        offset = start
        try store.recordOffset(batch: batch, offset: start)
    }
}
