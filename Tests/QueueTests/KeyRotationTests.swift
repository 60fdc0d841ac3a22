import Foundation
import GRDB
import Intake
import Queue
import StationTestKit
import Testing

/// #23 item 4: "rotation keeps every application readable and leaves no payload under the old key". Every sealed
/// column of the store (applications, eligibility records, cleansing cases, operators' names, audit notes) is
/// re-sealed, the old key leaves the key file, and the database refuses a value under a key it no longer holds.
@Suite struct KeyRotationTests {
    /// Every kind of sealed value, under key 1.
    static func fill(_ queue: ApplicationQueue) throws -> [Application] {
        var applications: [Application] = []
        for _ in 0..<7 {
            let application = sampleApplication()
            try queue.commit(application, by: officer)
            applications.append(application)
        }
        try queue.hold(applications[0].id, by: supervisor, reason: .citizenRequest, note: "NOTECANARY gọi lại")
        try queue.recordEligibility(
            EligibilityRecord(
                idNumber: CitizenID("001199000001")!, eligibility: .notYetEligible(.abroad), note: "ELIGCANARY",
                recordedBy: OperatorID("officer-1"), recordedOn: CalendarDate(iso: "2026-11-23")!,
                confirmedByLocalAuthority: false),
            communeCode: "01234", by: officer)
        _ = try queue.addOperator(
            OperatorRecord(
                account: "nva", staffNumber: "CA-0123", fullName: "Nguyễn Văn Ánh", unit: "Công an huyện",
                team: "Tổ 3", communeCode: "16001"), by: supervisor)
        try queue.recordCleansing([
            CleansingEntry(
                idNumber: "031199087654", field: "fullName", insuranceValue: "Lê Thị Hòa", chipValue: "Lê Thị Hoa",
                day: CalendarDate(iso: "2026-11-23")!, cardCode: "HC4310199087654",
                dateOfBirth: CalendarDate(year: 1999, month: 3, day: 15))
        ])
        // A hamlet's invitation list (the ID number and name sealed).
        try queue.importInvitations(
            [
                Invitation(
                    communeCode: "01234", hamlet: "Thôn Đông", idNumber: CitizenID("001199000002")!,
                    fullName: "INVITECANARY", invitedOn: CalendarDate(iso: "2026-11-23")!)
            ], by: supervisor)
        // A report frozen for the central and not sent yet (it names officers: sealed).
        try queue.freezeReport(
            id: "daily-2026-11-23", kind: "daily", from: CalendarDate(iso: "2026-11-23")!,
            through: CalendarDate(iso: "2026-11-23")!, content: Data(#"{"officers":["REPORTCANARY"]}"#.utf8))
        return applications
    }

    /// Sealed values under `keyID`, counted in the database itself.
    static func sealedUnder(_ keyID: Int, _ path: String) throws -> Int {
        try DatabaseQueue(path: path).read { db in
            let tables = [
                "SELECT COUNT(*) FROM application WHERE key_id = ?",
                "SELECT COUNT(*) FROM eligibility WHERE key_id = ?",
                "SELECT COUNT(*) FROM cleansing WHERE key_id = ?",
                "SELECT COUNT(*) FROM operator WHERE name_key_id = ?",
                "SELECT COUNT(*) FROM audit_note_reseal WHERE key_id = ?",
                "SELECT COUNT(*) FROM outbound_report WHERE key_id = ?",
                "SELECT COUNT(*) FROM invitation WHERE key_id = ?",
            ]
            return try tables.map { try Int.fetchOne(db, sql: $0, arguments: [keyID]) ?? 0 }.reduce(0, +)
        }
    }

    @Test func rotationResealsEveryColumnThenDestroysTheOldKey() throws {
        let dir = TemporaryDirectory()
        let queue = try openQueue(dir)
        let applications = try Self.fill(queue)
        #expect(try queue.keyRotationProgress().olderKeyIDs.isEmpty)

        let started = try queue.rotateKey(by: supervisor)
        #expect(started.currentKeyID == 2 && started.olderKeyIDs == [1])
        #expect(
            started.remaining == [
                "applications": 7, "eligibility": 1, "cleansing": 1, "operators": 1, "audit_notes": 1, "reports": 1,
                "invitations": 1,
            ])
        // A second rotation before this one ends is refused.
        #expect(throws: QueueError.self) { try queue.rotateKey(by: supervisor) }
        // New data is sealed under the new key at once, in the same open store.
        let fresh = sampleApplication()
        try queue.commit(fresh, by: officer)
        #expect(try queue.keyID(of: fresh.id) == 2)
        // Nothing is destroyed while something needs the old key.
        #expect(try queue.destroyOlderKeys().isEmpty)
        #expect(try KeyRing.load(path: dir.keyFile, createIfMissing: false).keyIDs == [1, 2])

        var resealed = 0
        while true {
            let batch = try queue.resealPayloads(batch: 3)
            if batch == 0 { break }
            resealed += batch
        }
        #expect(resealed == 13)
        #expect(try queue.keyRotationProgress().remainingTotal == 0)
        #expect(try queue.destroyOlderKeys() == [1])
        #expect(try queue.keyRotationProgress().olderKeyIDs.isEmpty)
        #expect(try KeyRing.load(path: dir.keyFile, createIfMissing: false).keyIDs == [2])
        #expect(try Self.sealedUnder(1, dir.database) == 0)

        // Everything reads back with key 2 alone, in this store and after reopening.
        for reopened in [queue, try openQueue(dir)] {
            for application in applications + [fresh] {
                #expect(try reopened.application(application.id) == application)
            }
            #expect(
                try reopened.history(applications[0].id, as: supervisor, withNotes: true).compactMap(\.note) == [
                    "NOTECANARY gọi lại"
                ])
            #expect(try reopened.eligibility(of: CitizenID("001199000001")!)?.note == "ELIGCANARY")
            #expect(try reopened.operatorRecord("nva")?.fullName == "Nguyễn Văn Ánh")
            #expect(
                String(decoding: try reopened.reportContent("daily-2026-11-23"), as: UTF8.self)
                    == #"{"officers":["REPORTCANARY"]}"#)
            #expect(
                try reopened.cleansingEntries(since: CalendarDate(iso: "2026-11-01")!, by: supervisor).map(\.chipValue)
                    == ["Lê Thị Hoa"])
            #expect(try reopened.absentList(by: supervisor).map(\.fullName) == ["INVITECANARY"])
            #expect(try reopened.verifyAudit().isIntact)
        }
        let actions = try queue.auditTrail(for: nil).map(\.action)
        #expect(actions.filter { $0 == "keys_rotate" }.count == 1)
        #expect(actions.filter { $0 == "keys_destroyed" }.count == 1)

        // The database refuses a value sealed under the destroyed key.
        do {
            try DatabaseQueue(path: dir.database).write { db in
                try db.execute(
                    sql: "UPDATE application SET key_id = 1 WHERE id = ?", arguments: [applications[1].id.text])
            }
            Issue.record("a value under a destroyed key was accepted")
        } catch let error as DatabaseError {
            #expect(error.message?.contains("does not hold") == true, "\(error)")
        }
    }

    /// The old key file (a key backup taken before the rotation) no longer opens the store once the rotation
    /// ended: it says which key it lacks.
    @Test func aKeyFileFromBeforeTheRotationIsRefused() throws {
        let dir = TemporaryDirectory()
        let queue = try openQueue(dir)
        _ = try Self.fill(queue)
        let before = try #require(FileManager.default.contents(atPath: dir.keyFile))
        try queue.rotateKey(by: supervisor)
        while try queue.resealPayloads() > 0 {}
        #expect(try queue.destroyOlderKeys() == [1])
        try queue.checkpoint()
        try KeyFile.write(before, to: dir.keyFile, replacing: true, what: "key file")
        do {
            _ = try openQueue(dir)
            Issue.record("the key file from before the rotation opened the store")
        } catch let error as QueueError {
            #expect(error.code == .wrongKey)
            #expect(error.reason.contains("key id 2"), "\(error.reason)")
        }
    }
}
