import Foundation
import GRDB
import Intake
import Queue
import Testing

/// The short reference on the receipt: given at commit, unique on the station, given to older rows by the
/// migration, accepted wherever an application id is.
@Suite struct ReferenceTests {
    @Test func everyCommitGetsAUniqueReferenceThatFindsTheApplication() throws {
        let dir = TemporaryDirectory()
        let queue = try openQueue(dir)
        var seen: Set<ShortReference> = []
        for _ in 0..<20 {
            let application = sampleApplication(printBytes: 500)
            try queue.commit(application, by: officer)
            let reference = try #require(try queue.reference(of: application.id))
            seen.insert(reference)
            #expect(try queue.applicationID(for: reference) == application.id)
            #expect(try queue.resolve(reference.description.lowercased()) == application.id)
            #expect(try queue.resolve(application.id.text) == application.id)
            // A second commit of the same application (a retried answer) keeps its reference.
            try queue.commit(application, by: officer)
            #expect(try queue.reference(of: application.id) == reference)
        }
        #expect(seen.count == 20)
        // Listed and shown with it.
        let items = try queue.list(QueueFilter(), limit: 100).items
        #expect(Set(items.compactMap(\.reference)) == seen)
    }

    @Test func aCollisionDrawsAgain() throws {
        let dir = TemporaryDirectory()
        let first = try #require(ShortReference(parsing: "K7M2-QX4G"))
        let second = ShortReference()
        // The source repeats the first reference before giving another one.
        let draws = Draws([first, first, first, second])
        let queue = try ApplicationQueue(
            configuration: {
                var configuration = ApplicationQueue.Configuration(
                    databasePath: dir.database, keyFilePath: dir.keyFile, minimumFreeBytes: 1 << 20)
                configuration.newReference = { draws.next() }
                return configuration
            }())
        let a = sampleApplication(printBytes: 500)
        let b = sampleApplication(printBytes: 500)
        try queue.commit(a, by: officer)
        try queue.commit(b, by: officer)
        #expect(try queue.reference(of: a.id) == first)
        #expect(try queue.reference(of: b.id) == second)
        #expect(draws.count == 4)
        // The database itself refuses a second row with the same reference.
        let db = try DatabaseQueue(path: dir.database)
        #expect(throws: DatabaseError.self) {
            try db.write {
                try $0.execute(
                    sql: "UPDATE application_reference SET reference = ? WHERE application_id = ?",
                    arguments: [first.compact, b.id.text])
            }
        }
    }

    @Test func unknownAndMistypedReferencesAreTypedErrors() throws {
        let dir = TemporaryDirectory()
        let queue = try openQueue(dir)
        #expect(throws: QueueError.self) { try queue.resolve("K7M2-QX4G") }
        do {
            _ = try queue.resolve("K7M2-QX4P")
            Issue.record("a wrong check character was accepted")
        } catch let error as ShortReferenceError {
            #expect(error.code == .check)
        }
    }

    /// A store that had applications before references existed: the migration gives each one its own.
    @Test func theMigrationGivesExistingApplicationsAReference() throws {
        let dir = TemporaryDirectory()
        var ids: [ApplicationID] = []
        do {
            let queue = try openQueue(dir)
            for _ in 0..<12 {
                let application = sampleApplication(printBytes: 500)
                try queue.commit(application, by: officer)
                ids.append(application.id)
            }
        }
        // Back to the schema before the migration: no reference table, the migration not yet run.
        do {
            let db = try DatabaseQueue(path: dir.database)
            try db.write { db in
                try db.execute(sql: "DROP TABLE application_reference")
                try db.execute(sql: "DELETE FROM grdb_migrations WHERE identifier = 'v6-application-reference'")
            }
        }
        let queue = try openQueue(dir)
        let references = try ids.compactMap { try queue.reference(of: $0) }
        #expect(references.count == ids.count && Set(references).count == ids.count)
        for (id, reference) in zip(ids, references) {
            #expect(try queue.applicationID(for: reference) == id)
        }
        // A new commit after the migration draws one that is free.
        let later = sampleApplication(printBytes: 500)
        try queue.commit(later, by: officer)
        let laterReference = try queue.reference(of: later.id)
        #expect(laterReference != nil && !references.contains(laterReference!))
    }

    /// The receipt: the name for the officer who took it or a supervisor, audited; another officer is refused.
    @Test func theReceiptIsForItsOfficerOrASupervisorAndAudited() throws {
        let dir = TemporaryDirectory()
        let queue = try openQueue(dir)
        let application = sampleApplication(name: "TRẦN THỊ BÌNH", printBytes: 500)
        try queue.commit(application, by: officer)
        let receipt = try queue.receipt(application.id, as: officer)
        #expect(receipt.fullName == "TRẦN THỊ BÌNH")
        #expect(receipt.reference == (try queue.reference(of: application.id)))
        #expect(receipt.placeName == "Nhà văn hóa thôn Đông")
        #expect(receipt.bundle == application.bundle.kind)
        _ = try queue.receipt(application.id, as: supervisor)
        #expect(throws: QueueError.self) {
            try queue.receipt(application.id, as: .officer(OperatorID("officer-2")))
        }
        let audited = try queue.auditTrail(for: application.id).filter { $0.action == "receipt" }
        #expect(audited.map(\.actor) == ["officer-1", "supervisor-1"])
    }
}

/// References handed out in order, counting the draws.
final class Draws: @unchecked Sendable {
    private var queue: [ShortReference]
    private let lock = NSLock()
    private(set) var count = 0
    init(_ references: [ShortReference]) { queue = references }
    func next() -> ShortReference {
        lock.lock()
        defer { lock.unlock() }
        count += 1
        return queue.isEmpty ? ShortReference() : queue.removeFirst()
    }
}
