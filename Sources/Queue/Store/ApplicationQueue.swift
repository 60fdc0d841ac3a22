import Crypto
import Foundation
import GRDB
import Intake

/// The durable queue of level-2 applications: one SQLite file (WAL, `synchronous=FULL`) via GRDB.
///
/// Every committed application is on disk before `commit` returns and survives power loss and `SIGKILL`.
/// Payloads (all personal data and biometrics) are sealed with AES-256-GCM; clear columns are ids, states,
/// dates, commune, operator, bundle kind and a keyed hash of the ID number. Every change of state is written by
/// one function (`writeStatus`, reached through `transition` and `applyUplinkChanges`), checked against
/// `TransitionTable` and written with its audit entry in the caller's transaction. Free space is checked before
/// each write.
///
/// Methods block on SQLite and fsync: call them from a dedicated thread or a thread-pool executor, never from
/// latency-sensitive tasks of Swift's cooperative pool. The type is thread-safe (GRDB serialises writers).
public final class ApplicationQueue: Sendable {
    /// How the store is opened.
    public struct Configuration: Sendable {
        /// Path of the SQLite file.
        public var databasePath: String
        /// Path of the key file (created 0600 with a fresh key when neither it nor the store exists).
        public var keyFilePath: String
        /// Writes are refused below this much free space (bytes).
        public var minimumFreeBytes: Int64
        /// How long payloads are kept after C06 accepted the application.
        public var retention: TimeInterval
        /// Path of the audit key file (nil: beside the key file, `queue.key` → `queue-audit.key`).
        public var auditKeyFilePath: String?
        /// For tests: caps the database size (SQLite `max_page_count`) to simulate a full disk.
        public var maximumPageCount: Int?
        /// The clock (tests pass a fixed one).
        public var now: @Sendable () -> Date
        /// How the key file is kept on disk: the plain file (default) or sealed to a TPM (`KeySealer`).
        public var keySealer: any KeySealer = PlainKeyFile()
        /// Where new short references come from (tests pass one that repeats, to see a collision regenerated).
        public var newReference: @Sendable () -> ShortReference = { ShortReference() }

        /// Creates a configuration with a 64 MiB free-space floor and 30 days' retention.
        public init(
            databasePath: String, keyFilePath: String, minimumFreeBytes: Int64 = 64 << 20,
            retention: TimeInterval = 30 * 86_400, maximumPageCount: Int? = nil,
            now: @escaping @Sendable () -> Date = { Date() }
        ) {
            self.databasePath = databasePath
            self.keyFilePath = keyFilePath
            self.minimumFreeBytes = minimumFreeBytes
            self.retention = retention
            self.maximumPageCount = maximumPageCount
            self.now = now
        }
    }

    let configuration: Configuration
    let pool: DatabasePool
    /// The sealer of the key ring in use: replaced when a key rotation adds a key or destroys the older ones.
    let sealerSlot: SealerSlot
    /// The current sealer.
    var sealer: PayloadSealer { sealerSlot.current }
    let directory: String
    /// The audit chain key, for the `audit_link` function of every connection.
    let auditKey: AuditKeySlot

    /// Opens (or creates) the store. Verifies the key file against the store before writing anything, then
    /// runs pending migrations. Throws `queue.wrong_key` or `queue.key_file` without modifying the store.
    public init(configuration: Configuration) throws(QueueError) {
        self.configuration = configuration
        let path = configuration.databasePath
        directory =
            (path as NSString).deletingLastPathComponent.isEmpty
            ? "." : (path as NSString).deletingLastPathComponent
        // A new store's key is written beside the final name and installed only once the store records its key
        // checks: so "the key file exists" always means "a store was made with it", and a start killed half-way
        // through creation starts over instead of being taken for a lost store.
        let mode = try StorePresence.examine(databasePath: path, keyFilePath: configuration.keyFilePath).prepare()
        let creating = mode == .create
        let storeExists = !creating
        let keyPath = creating ? StorePresence.pendingKeyPath(configuration.keyFilePath) : configuration.keyFilePath
        let keys = try KeyRing.load(path: keyPath, createIfMissing: creating, sealer: configuration.keySealer)
        let sealer = PayloadSealer(keys: keys)
        sealerSlot = SealerSlot(sealer)

        var config = GRDB.Configuration()
        let maximumPageCount = configuration.maximumPageCount
        let auditKeySlot = AuditKeySlot()
        auditKey = auditKeySlot
        let auditLink = auditKeySlot.function
        config.prepareDatabase { db in
            db.add(function: auditLink)
            try db.execute(sql: "PRAGMA synchronous = FULL")
            if let maximumPageCount { try db.execute(sql: "PRAGMA max_page_count = \(maximumPageCount)") }
        }
        config.busyMode = .timeout(10)
        config.label = "queue"
        do {
            if !storeExists {
                try DiskSpace.require(64 << 10, minimum: configuration.minimumFreeBytes, directory: directory)
                // Created 0600 before SQLite opens it; SQLite gives -wal and -shm the same mode.
                let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
                if fd >= 0 { close(fd) }
            }
            // Check the key on a read-only connection first: opening the pool may write (GRDB makes sure a WAL
            // file exists), and a store opened with the wrong key must be left byte for byte as it was.
            if storeExists {
                var readOnly = GRDB.Configuration()
                readOnly.readonly = true
                let probe = try DatabaseQueue(path: path, configuration: readOnly)
                try ApplicationQueue.verifyKeys(probe, sealer: sealer)
                try probe.close()
            }
            pool = try DatabasePool(path: path, configuration: config)
            // GRDB sets `synchronous = NORMAL` on the writer after `prepareDatabase`; a commit must survive
            // power loss, so put FULL back on the one connection that writes.
            try pool.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA synchronous = FULL") }
        } catch let error as QueueError {
            throw error
        } catch {
            throw ApplicationQueue.map(error)
        }
        try ApplicationQueue.verifyKeys(pool, sealer: sealer)
        if mode == .open {
            // The key file proves a store was made: one that records no key check is not that store.
            let recorded = try? pool.read { db in
                try db.tableExists("key_check") ? Int.fetchOne(db, sql: "SELECT COUNT(*) FROM key_check") ?? 0 : 0
            }
            if (recorded ?? 0) == 0 {
                throw QueueError(
                    .storeMissing,
                    "\(path) holds no store made with the key file \(configuration.keyFilePath) (empty or replaced)")
            }
        }
        try checkIntegrity()
        do {
            try Schema.migrator.migrate(pool)
            try pool.write { db in try self.recordKeyChecks(db) }
        } catch {
            throw ApplicationQueue.map(error)
        }
        auditKey.install(
            try AuditChainKey.load(
                path: configuration.auditKeyFilePath ?? AuditChainKey.path(forKeyFile: configuration.keyFilePath),
                store: pool))
        if creating { try StorePresence.installKey(pending: keyPath, final: configuration.keyFilePath) }
    }

    /// SQLite's `quick_check`: every page, index and constraint readable (O(pages), no index rebuild). Throws
    /// `queue.store_damaged` naming the first problem, so a damaged store is refused before it is used (at start)
    /// or sealed into a batch.
    public func checkIntegrity() throws(QueueError) {
        let findings: [String]
        do {
            // A connection of its own, with an empty page cache: what is on the disk now, not what the pool's
            // connections read earlier.
            var readOnly = GRDB.Configuration()
            readOnly.readonly = true
            let checker = try DatabaseQueue(path: configuration.databasePath, configuration: readOnly)
            defer { try? checker.close() }
            findings = try checker.read { db in try String.fetchAll(db, sql: "PRAGMA quick_check(5)") }
        } catch {
            let mapped = ApplicationQueue.map(error)
            throw QueueError(.storeDamaged, "\(configuration.databasePath) cannot be checked: \(mapped.reason)")
        }
        guard findings == ["ok"] else {
            throw QueueError(
                .storeDamaged,
                "\(configuration.databasePath) is damaged: \(findings.prefix(3).joined(separator: "; "))")
        }
    }

    /// Compares the key file with the MACs recorded in the store; read-only.
    private static func verifyKeys(_ reader: some DatabaseReader, sealer: PayloadSealer) throws(QueueError) {
        let recorded: [Int: Data]
        do {
            recorded = try reader.read { db -> [Int: Data] in
                guard try db.tableExists("key_check") else { return [:] }
                var result: [Int: Data] = [:]
                for row in try Row.fetchAll(db, sql: "SELECT key_id, mac FROM key_check") {
                    result[row["key_id"]] = row["mac"]
                }
                return result
            }
        } catch {
            throw ApplicationQueue.map(error)
        }
        for (id, mac) in recorded {
            let expected = id == 0 ? sealer.indexKeyCheck() : sealer.keyCheck(keyID: id)
            guard let expected else {
                throw QueueError(.wrongKey, "the store needs key id \(id), which the key file lacks")
            }
            guard expected == mac else {
                throw QueueError(.wrongKey, "the key file does not match this store (key id \(id))")
            }
        }
    }

    private func recordKeyChecks(_ db: Database) throws {
        try db.execute(
            sql: "INSERT OR IGNORE INTO key_check (key_id, mac) VALUES (0, ?)", arguments: [sealer.indexKeyCheck()])
        for id in sealer.keys.keyIDs {
            try db.execute(
                sql: "INSERT OR IGNORE INTO key_check (key_id, mac) VALUES (?, ?)",
                arguments: [id, sealer.keyCheck(keyID: id)])
        }
    }

    // MARK: - Writing

    /// Runs a write transaction after checking free space; maps SQLite errors to `QueueError`. SQLite rolls
    /// the whole transaction back on any error, so nothing is half-written.
    func write<T>(expectedBytes: Int, _ body: (Database) throws -> T) throws(QueueError) -> T {
        try DiskSpace.require(expectedBytes, minimum: configuration.minimumFreeBytes, directory: directory)
        do {
            return try pool.write(body)
        } catch {
            throw ApplicationQueue.map(error)
        }
    }

    func read<T>(_ body: (Database) throws -> T) throws(QueueError) -> T {
        do {
            return try pool.read(body)
        } catch {
            throw ApplicationQueue.map(error)
        }
    }

    static func map(_ error: any Error) -> QueueError {
        if let error = error as? QueueError { return error }
        if let error = error as? DatabaseError {
            switch error.resultCode {
            case .SQLITE_FULL: return QueueError(.diskFull, "the database or disk is full; nothing was written")
            case .SQLITE_CONSTRAINT where error.message?.contains("id_hmac") == true:
                return QueueError(.duplicate, "the citizen already has a live application")
            case .SQLITE_CONSTRAINT where error.message?.contains("does not hold") == true:
                return QueueError(.wrongKey, "sealed under a key the store no longer holds (rotated meanwhile)")
            case .SQLITE_NOTADB, .SQLITE_CORRUPT: return QueueError(.storeDamaged, "the store file is damaged")
            default: return QueueError(.storage, "database error \(error.resultCode.rawValue)")
            }
        }
        return QueueError(.storage, "storage error")
    }

    var nowMilliseconds: Int64 { Int64((configuration.now().timeIntervalSince1970 * 1000).rounded()) }

    /// Stores a new application as `captured/unknown`, sealed, with its audit entries; returns when it is on
    /// disk, with its short reference (`reference(of:)`). Committing the same application id again returns
    /// normally without a second row (an intake client that lost the answer may retry). Throws `queue.duplicate`
    /// when the citizen has a live application. `hamlet`, the session's hamlet if one was chosen, is kept in clear
    /// beside the row (`application_hamlet`) for the reports and the door-to-door lists.
    @discardableResult
    public func commit(_ application: Application, hamlet: String? = nil, by actor: QueueActor) throws(QueueError)
        -> ApplicationStatus
    {
        let (keyID, sealed) = try sealer.sealApplication(application)
        let citizen = sealer.citizenHash(application.identity.idNumber)
        let now = nowMilliseconds
        let capturedAt = Int64((application.capturedAt.timeIntervalSince1970 * 1000).rounded())
        let override = application.authenticityOverride
        let noteSealed = try override.map { override throws(QueueError) in
            try sealer.seal(Data(override.reason.utf8), context: "audit-note")
        }
        return try write(expectedBytes: sealed.count + 4096) { db in
            if let existing = try Row.fetchOne(
                db, sql: "SELECT id_hmac, local_state, central_state, central_reason FROM application WHERE id = ?",
                arguments: [application.id.text])
            {
                guard (existing["id_hmac"] as Data) == citizen else {
                    throw QueueError(.duplicate, "application id reused for another citizen")
                }
                return Self.status(existing)
            }
            let live =
                try Int.fetchOne(
                    db,
                    sql: """
                        SELECT COUNT(*) FROM application
                        WHERE id_hmac = ? AND local_state <> 'cancelled' AND central_state <> 'rejected'
                        """, arguments: [citizen]) ?? 0
            if live > 0 { throw QueueError(.duplicate, "the citizen already has a live application") }
            let status = ApplicationStatus.initial
            try db.execute(
                sql: """
                    INSERT INTO application (id, local_state, central_state, captured_at, captured_day, updated_at,
                        commune_code, point_kind, operator_id, bundle, id_hmac, key_id, payload)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [
                    application.id.text, status.local.rawValue, status.central.kind.rawValue, capturedAt,
                    CalendarDate(vietnamDayOf: application.capturedAt).iso, now, application.point.communeCode,
                    application.point.kind.rawValue, application.operatorID.rawValue, application.bundle.kind,
                    citizen, keyID, sealed,
                ])
            if let group = application.priorityGroup {
                try db.execute(
                    sql: "INSERT INTO application_priority (application_id, priority_group) VALUES (?, ?)",
                    arguments: [application.id.text, group.rawValue])
            }
            if let hamlet {
                try db.execute(
                    sql: "INSERT INTO application_hamlet (application_id, hamlet) VALUES (?, ?)",
                    arguments: [application.id.text, hamlet])
            }
            try Self.assignReference(db, to: application.id.text, from: configuration.newReference)
            try AuditLog.append(
                db, at: now, actor: actor.id, action: "commit", applicationID: application.id.text, from: nil,
                to: status.description, reasonCode: nil, actorUID: actor.uid)
            if let acceptance = application.authenticityAcceptance {
                // Which verdict, accepted by whom, under which policy (no personal data).
                try AuditLog.append(
                    db, at: now, actor: actor.id, action: "authenticity_accepted",
                    applicationID: application.id.text, from: acceptance.policy.summary,
                    to: acceptance.decision.rawValue, reasonCode: acceptance.verdict.rawValue, actorUID: actor.uid)
            }
            if let override, let noteSealed {
                try AuditLog.append(
                    db, at: now, actor: override.supervisor.rawValue, action: "authenticity_override",
                    applicationID: application.id.text, from: nil, to: nil,
                    reasonCode: application.authenticity.rawValue, sealedNote: noteSealed.sealed,
                    noteKeyID: noteSealed.keyID)
            }
            return status
        }
    }

    /// Changes one application's status in its own transaction, through the store's one state writer
    /// (`writeStatus`: checked against `TransitionTable`, written with its audit entry). Throws
    /// `queue.illegal_transition` (nothing written) or `queue.not_found`.
    @discardableResult
    public func transition(
        _ id: ApplicationID, to target: ApplicationStatus, by actor: QueueActor, action: String = "transition",
        reason: QueueReason? = nil
    ) throws(QueueError) -> ApplicationStatus {
        try transition(id, by: actor, action: action, reason: reason) { _ in target }
    }

    /// As `transition(_:to:by:action:reason:)`, with the target computed from the current status inside the
    /// transaction (e.g. "back to where it was before the hold").
    func transition(
        _ id: ApplicationID, by actor: QueueActor, action: String, reason: QueueReason?,
        target: @escaping (Row) throws -> ApplicationStatus
    ) throws(QueueError) -> ApplicationStatus {
        let note = try reason?.note.map { note throws(QueueError) in
            try sealer.seal(Data(note.utf8), context: "audit-note")
        }
        let now = nowMilliseconds
        return try write(expectedBytes: 4096) { db in
            guard
                let row = try Row.fetchOne(
                    db,
                    sql: "SELECT local_state, central_state, central_reason, held_from FROM application WHERE id = ?",
                    arguments: [id.text])
            else { throw QueueError(.notFound, "no application \(id)") }
            let old = Self.status(row)
            let new = try target(row)
            if let refusal = try Self.writeStatus(
                db, id: id, from: old, to: new, by: actor, action: action, reasonCode: reason?.code, note: note,
                at: now)
            {
                throw QueueError(.illegalTransition, "\(old) → \(new): \(refusal)")
            }
            return new
        }
    }

    /// THE writer of queue state: every change of `local_state`/`central_state` (operators' transitions through
    /// `transition`, the uploader's and the exporter's through `applyUplinkChanges`) is written here, inside the
    /// caller's transaction, with its audit entry. Checks the move against `TransitionTable` and returns why it is
    /// refused (nothing written); throws `queue.not_permitted` when someone other than the daemon records what
    /// C06 said.
    ///
    /// `attempts` counts upload attempts: one each time the row enters `batched` (a retry by an operator is not
    /// an attempt; the next batch is). `held_from` remembers where a hold came from, and is cleared otherwise.
    static func writeStatus(
        _ db: Database, id: ApplicationID, from old: ApplicationStatus, to new: ApplicationStatus, by actor: QueueActor,
        action: String, reasonCode: String?, note: (keyID: Int, sealed: Data)? = nil, at now: Int64
    ) throws -> String? {
        if let refusal = TransitionTable.refusal(from: old, to: new) { return refusal }
        // Only the daemon (the uploader, from C06's answers) records what C06 said.
        if old.central != new.central, actor.role != .system {
            throw QueueError(.notPermitted, "central states are recorded by the uploader only")
        }
        var reasonText: String?
        if case .rejected(let reason) = new.central { reasonText = reason }
        let heldFrom: String? = new.local == .held ? old.local.rawValue : nil
        let acceptedNow = new.central.kind == .accepted && old.central.kind != .accepted
        try db.execute(
            sql: """
                UPDATE application SET local_state = ?, central_state = ?, central_reason = ?, held_from = ?,
                    updated_at = ?, accepted_at = CASE WHEN ? THEN ? ELSE accepted_at END,
                    attempts = attempts + CASE WHEN ? THEN 1 ELSE 0 END
                WHERE id = ?
                """,
            arguments: [
                new.local.rawValue, new.central.kind.rawValue, reasonText, heldFrom, now, acceptedNow, now,
                new.local == .batched && old.local != .batched, id.text,
            ])
        try AuditLog.append(
            db, at: now, actor: actor.id, action: action, applicationID: id.text, from: old.description,
            to: new.description, reasonCode: reasonCode ?? reasonText, sealedNote: note?.sealed,
            noteKeyID: note?.keyID, actorUID: actor.uid)
        return nil
    }

    static func status(_ row: Row) -> ApplicationStatus {
        let local = LocalState(rawValue: row["local_state"]) ?? .needsAttention
        let kind = CentralState.Kind(rawValue: row["central_state"]) ?? .unknown
        return ApplicationStatus(local: local, central: CentralState(kind: kind, reason: row["central_reason"]))
    }

    // MARK: - Reading

    /// The status of one application.
    public func status(of id: ApplicationID) throws(QueueError) -> ApplicationStatus {
        try read { db in
            guard
                let row = try Row.fetchOne(
                    db, sql: "SELECT local_state, central_state, central_reason FROM application WHERE id = ?",
                    arguments: [id.text])
            else { throw QueueError(.notFound, "no application \(id)") }
            return Self.status(row)
        }
    }

    /// The full application, decrypted, for the uploader and for supervisors. Throws `queue.purged` after
    /// retention, `queue.corrupt_payload` if the sealed bytes do not authenticate.
    public func application(_ id: ApplicationID) throws(QueueError) -> Application {
        let row = try read { db in
            try Row.fetchOne(db, sql: "SELECT key_id, payload FROM application WHERE id = ?", arguments: [id.text])
        }
        guard let row else { throw QueueError(.notFound, "no application \(id)") }
        guard let keyID = row["key_id"] as Int?, let payload = row["payload"] as Data? else {
            throw QueueError(.purged, "the payload was purged after acceptance; only the receipt remains")
        }
        return try sealer.openApplication(payload, keyID: keyID, id: id)
    }

    /// The id of the key that sealed an application's payload (nil after purge): shows rotation progress.
    public func keyID(of id: ApplicationID) throws(QueueError) -> Int? {
        try read { db in try Int.fetchOne(db, sql: "SELECT key_id FROM application WHERE id = ?", arguments: [id.text])
        }
    }

    /// Checks the whole audit chain.
    public func verifyAudit() throws(QueueError) -> AuditVerification {
        try read { db in try AuditLog.verify(db, key: auditKey.current) }
    }

    /// The audit entries for one application (or all when nil), oldest first.
    public func auditTrail(for id: ApplicationID?) throws(QueueError) -> [AuditEntry] {
        try read { db in try AuditLog.entries(db, applicationID: id?.text) }
    }

    /// Decrypts an audit note (supervisors only).
    public func auditNote(_ entry: AuditEntry, as actor: QueueActor) throws(QueueError) -> String? {
        guard actor.role != .officer else { throw QueueError(.notPermitted, "notes are for supervisors") }
        guard let sealed = entry.sealedNote, let keyID = entry.noteKeyID else { return nil }
        // A note re-sealed by a key rotation is read from its copy (the chained row keeps the original bytes).
        if let copy = try resealedNote(sequence: entry.sequence) {
            return String(
                decoding: try sealer.open(copy.sealed, keyID: copy.keyID, context: "audit-note:\(entry.sequence)"),
                as: UTF8.self)
        }
        return String(decoding: try sealer.open(sealed, keyID: keyID, context: "audit-note"), as: UTF8.self)
    }

    /// Writes the WAL back into the main file (e.g. before a backup or at shutdown).
    public func checkpoint() throws(QueueError) {
        do { _ = try pool.writeWithoutTransaction { db in try db.checkpoint(.truncate) } } catch {
            throw ApplicationQueue.map(error)
        }
    }
}

extension ApplicationQueue: PriorApplicationLookup {
    /// Earlier applications for this citizen, found by the keyed hash of the ID number: each one's status and the
    /// reference on its receipt.
    public func priorApplications(for idNumber: CitizenID) throws -> [PriorApplication] {
        let hash = sealer.citizenHash(idNumber)
        return try read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT local_state, central_state, central_reason, r.reference FROM application a
                    LEFT JOIN application_reference r ON r.application_id = a.id WHERE a.id_hmac = ?
                    """,
                arguments: [hash]
            ).map { row -> PriorApplication in
                let reference = (row["reference"] as String?).flatMap { try? ShortReference.parse($0) }
                let status = Self.status(row)
                if status.local == .cancelled { return PriorApplication(.cancelled, reference) }
                switch status.central.kind {
                case .rejected: return PriorApplication(.rejected, reference)
                case .accepted, .activated: return PriorApplication(.accepted, reference)
                default: return PriorApplication(.pending, reference)
                }
            }
        }
    }
}
