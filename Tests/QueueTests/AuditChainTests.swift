import Crypto
import Foundation
import GRDB
import Intake
import Testing

@testable import Queue

/// The audit chain is keyed (HMAC-SHA256 with the 0600 audit key beside the store key): whoever can write the
/// SQLite file but not read the key cannot rewrite history and recompute the chain. A store of an earlier version
/// (plain SHA-256 chain) migrates: its entries keep verifying, new ones are keyed.
@Suite struct AuditChainTests {
    func open(_ directory: TemporaryDirectory) throws -> ApplicationQueue {
        try ApplicationQueue(
            configuration: .init(
                databasePath: directory.database, keyFilePath: directory.keyFile, minimumFreeBytes: 1 << 20))
    }

    /// What someone with write access to the file does: drop the append-only triggers, rename an actor, and
    /// recompute every link after it with `link` (nil: plain SHA-256, as the chain was before it was keyed).
    static func rewrite(
        _ path: String, renaming actor: String, to newActor: String, link: ((Int64, Data) -> Data)? = nil
    ) throws {
        let db = try DatabaseQueue(path: path)
        try db.write { db in
            try db.execute(sql: "DROP TRIGGER IF EXISTS audit_append_only_update")
            try db.execute(sql: "UPDATE audit SET actor = ? WHERE actor = ?", arguments: [newActor, actor])
            var previous = AuditEntry.genesis
            for row in try Row.fetchAll(db, sql: "SELECT * FROM audit ORDER BY seq") {
                let entry = AuditLog.entry(row)
                let message = AuditEntry.chainMessage(
                    previous: previous, sequence: entry.sequence, at: entry.atMilliseconds, actor: entry.actor,
                    action: entry.action, applicationID: entry.applicationID, from: entry.from, to: entry.to,
                    reasonCode: entry.reasonCode, sealedNote: entry.sealedNote, noteKeyID: entry.noteKeyID)
                let hash = link?(entry.sequence, message) ?? Data(SHA256.hash(data: message))
                try db.execute(
                    sql: "UPDATE audit SET prev_hash = ?, hash = ? WHERE seq = ?",
                    arguments: [previous, hash, entry.sequence])
                previous = hash
            }
        }
        try db.close()
    }

    @Test func renamingAnActorAndRecomputingThePlainChainIsDetected() throws {
        let directory = TemporaryDirectory()
        let queue = try open(directory)
        for index in 0..<3 {
            try queue.commit(
                sampleApplication(operatorID: "officer-\(index)"), by: .officer(OperatorID("officer-1")))
        }
        #expect(try queue.verifyAudit().isIntact)
        let key = directory.path + "/queue-audit.key"
        var info = stat()
        #expect(stat(key, &info) == 0 && info.st_mode & 0o777 == 0o600)

        try Self.rewrite(directory.database, renaming: "officer-1", to: "supervisor-tran")
        #expect(try queue.auditTrail(for: nil).contains { $0.actor == "supervisor-tran" })
        let verification = try queue.verifyAudit()
        #expect(!verification.isIntact)
        #expect(verification.firstBrokenSequence == 1)
        // Reopened (a restart) it is still broken.
        #expect(try !open(directory).verifyAudit().isIntact)
    }

    @Test func recomputingWithAnotherKeyIsDetectedAndTheRightKeyIsNeeded() throws {
        let directory = TemporaryDirectory()
        let queue = try open(directory)
        try queue.commit(sampleApplication(), by: .officer(OperatorID("officer-1")))
        let guessed = SymmetricKey(size: .bits256)
        try Self.rewrite(directory.database, renaming: "officer-1", to: "officer-2") { _, message in
            Data(HMAC<SHA256>.authenticationCode(for: message, using: guessed))
        }
        #expect(!(try queue.verifyAudit().isIntact))
    }

    /// A store written by an earlier version: plain links, no audit key file. Opened by this version, its chain
    /// still verifies, the key file is created (0600) keyed from the next entry, new entries are keyed; rewriting
    /// old or new entries as plain ones is detected.
    @Test func aPlainChainOfAnEarlierVersionMigrates() throws {
        let directory = TemporaryDirectory()
        do {
            let queue = try open(directory)
            for _ in 0..<3 { try queue.commit(sampleApplication(), by: .officer(OperatorID("officer-1"))) }
        }
        // Make it what an earlier version wrote: plain links, and no audit key file.
        try Self.rewrite(directory.database, renaming: "nobody", to: "nobody")
        try FileManager.default.removeItem(atPath: directory.path + "/queue-audit.key")
        let legacyEntries = 3

        let queue = try open(directory)
        #expect(try queue.verifyAudit() == AuditVerification(entries: legacyEntries, firstBrokenSequence: nil))
        let file = try #require(FileManager.default.contents(atPath: directory.path + "/queue-audit.key"))
        let keyedFrom = try #require(
            (try JSONSerialization.jsonObject(with: file) as? [String: Any])?["keyedFrom"] as? Int)
        #expect(keyedFrom == legacyEntries + 1)
        try queue.commit(sampleApplication(), by: .officer(OperatorID("officer-2")))
        #expect(try queue.verifyAudit() == AuditVerification(entries: legacyEntries + 1, firstBrokenSequence: nil))

        // Downgrading the keyed entries to plain ones (recomputing everything plain) is detected.
        try Self.rewrite(directory.database, renaming: "officer-2", to: "officer-1")
        #expect(try queue.verifyAudit().firstBrokenSequence == Int64(legacyEntries + 1))
    }

    /// Losing the audit key of a keyed store refuses to open rather than re-keying silently.
    @Test func aMissingAuditKeyOfAKeyedStoreRefusesToOpen() throws {
        let directory = TemporaryDirectory()
        do {
            let queue = try open(directory)
            try queue.commit(sampleApplication(), by: .officer(OperatorID("officer-1")))
        }
        try FileManager.default.removeItem(atPath: directory.path + "/queue-audit.key")
        #expect(throws: QueueError.self) { _ = try open(directory) }
        #expect(!FileManager.default.fileExists(atPath: directory.path + "/queue-audit.key"))
    }
}
