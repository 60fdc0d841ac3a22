import Foundation
import GRDB
import Intake
import Queue
import StationTestKit
import Testing

@Suite struct StoreTests {
    @Test func commitStoresSealedApplicationAndReadsItBack() throws {
        let dir = TemporaryDirectory()
        let queue = try openQueue(dir)
        let application = sampleApplication()
        let status = try queue.commit(application, by: officer)
        #expect(status == .s(.captured))
        #expect(try queue.application(application.id) == application)
        #expect(try queue.status(of: application.id) == .s(.captured))
        let trail = try queue.auditTrail(for: application.id)
        #expect(trail.map(\.action) == ["commit"])
        #expect(trail.first?.actor == "officer-1")
        #expect(trail.first?.to == "captured/unknown")
    }

    @Test func keyAndStoreFilesAreOwnerOnly() throws {
        let dir = TemporaryDirectory()
        _ = try openQueue(dir)
        for path in [dir.keyFile, dir.database] {
            let mode = (try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? NSNumber)?
                .intValue
            #expect(mode == 0o600, "\(path)")
        }
    }

    @Test func recommittingTheSameApplicationIsIdempotent() throws {
        let dir = TemporaryDirectory()
        let queue = try openQueue(dir)
        let application = sampleApplication()
        try queue.commit(application, by: officer)
        try queue.transition(application.id, to: .s(.ready), by: officer)
        #expect(try queue.commit(application, by: officer) == .s(.ready))
        #expect(try queue.list(QueueFilter(), limit: 10).items.count == 1)
    }

    @Test func duplicateCitizenIsRefusedUntilRejectedOrCancelled() throws {
        let dir = TemporaryDirectory()
        let queue = try openQueue(dir)
        let citizen = SampleApplications.randomCitizenID()
        let first = sampleApplication(citizen: citizen)
        try queue.commit(first, by: officer)
        let reference = try #require(try queue.reference(of: first.id))
        #expect(try queue.priorApplications(for: citizen) == [PriorApplication(.pending, reference)])
        #expect(throws: QueueError.self) { try queue.commit(sampleApplication(citizen: citizen), by: officer) }
        do {
            try queue.commit(sampleApplication(citizen: citizen), by: officer)
        } catch {
            #expect(error.code == .duplicate)
        }
        // C06 rejects the first: a new application is allowed.
        for step: ApplicationStatus in [
            .s(.ready), .s(.batched), .s(.uploaded), .s(.uploaded, .rejected(reason: "DATA")),
        ] {
            try queue.transition(first.id, to: step, by: .system)
        }
        #expect(try queue.priorApplications(for: citizen).map(\.status) == [.rejected])
        let second = sampleApplication(citizen: citizen)
        try queue.commit(second, by: officer)
        // The second is live again: a third is refused; cancelling the second allows it.
        #expect(throws: QueueError.self) { try queue.commit(sampleApplication(citizen: citizen), by: officer) }
        try queue.cancel(second.id, by: supervisor, reason: .citizenRequest)
        try queue.commit(sampleApplication(citizen: citizen), by: officer)
        #expect(Set(try queue.priorApplications(for: citizen).map(\.status)) == [.rejected, .cancelled, .pending])
    }

    @Test func illegalTransitionWritesNothing() throws {
        let dir = TemporaryDirectory()
        let queue = try openQueue(dir)
        let application = sampleApplication()
        try queue.commit(application, by: officer)
        let before = try queue.auditTrail(for: nil).count
        do {
            try queue.transition(application.id, to: .s(.uploaded), by: officer)
            Issue.record("captured → uploaded must be refused")
        } catch {
            #expect(error.code == .illegalTransition)
        }
        #expect(try queue.status(of: application.id) == .s(.captured))
        #expect(try queue.auditTrail(for: nil).count == before)
        // Officers cannot record C06's answers.
        for step: ApplicationStatus in [.s(.ready), .s(.batched), .s(.uploaded)] {
            try queue.transition(application.id, to: step, by: .system)
        }
        do {
            try queue.transition(application.id, to: .s(.uploaded, .accepted), by: supervisor)
            Issue.record("only the daemon records central states")
        } catch {
            #expect(error.code == .notPermitted)
        }
        #expect(try queue.status(of: application.id) == .s(.uploaded))
        do {
            try queue.transition(ApplicationID(), to: .s(.ready), by: officer)
            Issue.record("unknown id must be refused")
        } catch {
            #expect(error.code == .notFound)
        }
    }

    @Test func auditChainVerifiesAndDetectsTampering() throws {
        let dir = TemporaryDirectory()
        let queue = try openQueue(dir)
        let application = sampleApplication()
        try queue.commit(application, by: officer)
        try queue.transition(application.id, to: .s(.ready), by: officer)
        try queue.hold(application.id, by: officer, reason: .dataError, note: "sai tên")
        try queue.release(application.id, by: officer)
        let verification = try queue.verifyAudit()
        #expect(verification.isIntact)
        #expect(verification.entries == 4)
        let trail = try queue.auditTrail(for: application.id)
        #expect(trail.map(\.action) == ["commit", "transition", "hold", "release"])
        #expect(trail[2].reasonCode == "dataError")
        #expect(try queue.auditNote(trail[2], as: supervisor) == "sai tên")
        #expect(throws: QueueError.self) { try queue.auditNote(trail[2], as: officer) }

        // Direct UPDATE is refused by the append-only triggers…
        let db = try DatabaseQueue(path: dir.database)
        #expect(throws: DatabaseError.self) {
            try db.write { try $0.execute(sql: "UPDATE audit SET actor = 'x' WHERE seq = 2") }
        }
        #expect(throws: DatabaseError.self) { try db.write { try $0.execute(sql: "DELETE FROM audit") } }
        // …and an attacker who drops them is caught by the chain.
        try db.write { db in
            try db.execute(sql: "DROP TRIGGER audit_append_only_update")
            try db.execute(sql: "UPDATE audit SET actor = 'someone-else' WHERE seq = 2")
        }
        #expect(try queue.verifyAudit().firstBrokenSequence == 2)
        try db.write { db in
            try db.execute(sql: "UPDATE audit SET actor = 'officer-1' WHERE seq = 2")
        }
        #expect(try queue.verifyAudit().isIntact)
        try db.write { db in
            try db.execute(sql: "DROP TRIGGER audit_append_only_delete")
            try db.execute(sql: "DELETE FROM audit WHERE seq = 3")
        }
        #expect(try queue.verifyAudit().firstBrokenSequence == 4)
    }

    @Test func migrationsAreNamedAndRunOnce() throws {
        let dir = TemporaryDirectory()
        _ = try openQueue(dir)
        _ = try openQueue(dir)
        let db = try DatabaseQueue(path: dir.database)
        let names = try db.read { try String.fetchAll($0, sql: "SELECT identifier FROM grdb_migrations") }
        #expect(
            names == [
                "v1-applications", "v1-audit", "v1-key-check", "v1-operator-indexes", "v2-eligibility",
                "v2-status-counts", "v3-central-receipts", "v3-audit-uid", "v3-survey", "v4-cleansing",
                "v4-desk-checks", "v4-operators", "v5-priority-group", "v6-application-reference",
                "v7-outbound-reports", "v8-key-rotation", "v9-hamlet", "v10-invitations",
                "v11-report-indexes", "v12-report-counts",
            ])
        let pragmas = try db.read { db in
            (try String.fetchOne(db, sql: "PRAGMA journal_mode"), try Int.fetchOne(db, sql: "PRAGMA synchronous"))
        }
        #expect(pragmas.0 == "wal")
    }

    @Test func synchronousIsFullOnStoreConnections() throws {
        let dir = TemporaryDirectory()
        let queue = try openQueue(dir)
        #expect(try queue.pragma("synchronous") == "2")  // FULL
        #expect(try queue.pragma("journal_mode") == "wal")
    }
}
