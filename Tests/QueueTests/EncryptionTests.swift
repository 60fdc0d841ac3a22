import Foundation
import GRDB
import Intake
import Queue
import StationTestKit
import Testing

@Suite struct EncryptionTests {
    /// The store and its WAL hold no plaintext name, ID number, phone or image bytes.
    @Test func noPlaintextPersonalDataOnDisk() throws {
        let dir = TemporaryDirectory()
        let queue = try openQueue(dir)
        let citizen = CitizenID("079203004512")!
        let name = "TRẦN THỊ PLAINTEXTCANARY"
        var application = sampleApplication(citizen: citizen, name: name)
        // Recognisable image bytes: a long run no cipher output would contain.
        let marker = Data((0..<64).map { UInt8(($0 * 37 + 11) & 0xFF) })
        var portrait = SyntheticJPEG.headers(width: 480, height: 640, size: 4_000)
        portrait.insert(contentsOf: [0xFF, 0xFE, 0x00, 0x42] + marker, at: 2)
        application.livePortrait = try LivePortrait(jpeg: portrait)
        application.chipPortrait = Data([0xFF, 0xD8]) + marker + Data([0xFF, 0xD9])
        try queue.commit(application, by: officer)
        try queue.transition(application.id, to: .s(.ready), by: officer)

        let needles: [(String, Data)] = [
            ("name", Data(name.utf8)), ("name-tail", Data("PLAINTEXTCANARY".utf8)),
            ("id", Data(citizen.digits.utf8)), ("phone", Data("0912345678".utf8)), ("image", marker),
            (
                "print",
                {
                    if case .captured(_, let record) = application.fingerprints[0].outcome {
                        return record.prefix(48)
                    } else {
                        return Data()
                    }
                }()
            ),
        ]
        // Check the WAL before a checkpoint, then the main file after one.
        let wal = fileBytes(dir.database + "-wal")
        #expect(wal.count > 10_000, "the commit should be in the WAL")
        for (label, needle) in needles {
            #expect(wal.range(of: needle) == nil, "plaintext \(label) found in -wal")
        }
        try queue.checkpoint()
        let main = fileBytes(dir.database)
        #expect(main.count > 10_000)
        for (label, needle) in needles {
            #expect(main.range(of: needle) == nil, "plaintext \(label) found in database")
        }
        // Sanity: the same search does find data that is meant to be in clear.
        #expect(main.range(of: Data(application.id.text.utf8)) != nil)
        #expect(main.range(of: Data("officer-1".utf8)) != nil)
        #expect(try queue.application(application.id).identity.fullName == name)
    }

    @Test func wrongKeyIsRefusedAndNothingIsOverwritten() throws {
        let dir = TemporaryDirectory()
        let application = sampleApplication()
        do {
            let queue = try openQueue(dir)
            try queue.commit(application, by: officer)
            try queue.checkpoint()
        }
        let before = fileBytes(dir.database)
        let originalKey = fileBytes(dir.keyFile)
        // Replace the key file with another station's key.
        let other = TemporaryDirectory()
        _ = try openQueue(other)
        try FileManager.default.removeItem(atPath: dir.keyFile)
        try FileManager.default.copyItem(atPath: other.keyFile, toPath: dir.keyFile)
        do {
            _ = try openQueue(dir)
            Issue.record("a wrong key must be refused")
        } catch let error as QueueError {
            #expect(error.code == .wrongKey)
            #expect(!error.reason.contains(originalKey.base64EncodedString()))
        }
        let after = fileBytes(dir.database)
        if after != before {
            let pages = stride(from: 0, to: max(after.count, before.count), by: 4096).filter {
                after.count <= $0 || before.count <= $0
                    || after[$0..<min($0 + 4096, after.count)] != before[$0..<min($0 + 4096, before.count)]
            }
            print("DEBUG changed pages", pages.map { $0 / 4096 }, before.count, after.count)
        }
        #expect(after == before, "the store was modified by a refused open")
        // The right key still opens it, with the data intact.
        try FileManager.default.removeItem(atPath: dir.keyFile)
        _ = FileManager.default.createFile(
            atPath: dir.keyFile, contents: originalKey, attributes: [.posixPermissions: 0o600])
        #expect(try openQueue(dir).application(application.id) == application)
    }

    @Test func missingKeyForExistingStoreIsNotRecreated() throws {
        let dir = TemporaryDirectory()
        do { try openQueue(dir).commit(sampleApplication(), by: officer) }
        try FileManager.default.removeItem(atPath: dir.keyFile)
        do {
            _ = try openQueue(dir)
            Issue.record("a missing key must be refused")
        } catch let error as QueueError {
            #expect(error.code == .keyFile)
        }
        #expect(!FileManager.default.fileExists(atPath: dir.keyFile))
    }

    @Test func keyFileReadableByOthersIsRefused() throws {
        let dir = TemporaryDirectory()
        _ = try openQueue(dir)
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: dir.keyFile)
        do {
            _ = try openQueue(dir)
            Issue.record("0644 key file must be refused")
        } catch let error as QueueError {
            #expect(error.code == .keyFile)
        }
    }

    @Test func rotatedKeySealsNewRowsAndOldRowsStillOpen() throws {
        let dir = TemporaryDirectory()
        let old = sampleApplication()
        do { try openQueue(dir).commit(old, by: officer) }
        let ring = try KeyRing.rotate(path: dir.keyFile)
        #expect(ring.currentKeyID == 2)
        #expect(ring.keyIDs == [1, 2])
        let queue = try openQueue(dir)
        let new = sampleApplication()
        try queue.commit(new, by: officer)
        #expect(try queue.keyID(of: old.id) == 1)
        #expect(try queue.keyID(of: new.id) == 2)
        #expect(try queue.application(old.id) == old)
        #expect(try queue.application(new.id) == new)
        // Re-seal the old row under key 2.
        #expect(try queue.resealPayloads(batch: 10) == 1)
        #expect(try queue.resealPayloads(batch: 10) == 0)
        #expect(try queue.keyID(of: old.id) == 2)
        #expect(try queue.application(old.id) == old)
        #expect(try queue.auditTrail(for: nil).last?.reasonCode == "resealed:1")
        #expect(try queue.verifyAudit().isIntact)
    }

    @Test func tamperedPayloadIsDetected() throws {
        let dir = TemporaryDirectory()
        let queue = try openQueue(dir)
        let a = sampleApplication()
        let b = sampleApplication()
        try queue.commit(a, by: officer)
        try queue.commit(b, by: officer)
        // Moving b's sealed payload onto a's row must not open as a's application.
        let db = try DatabaseQueue(path: dir.database)
        try db.write { db in
            let payload = try Data.fetchOne(
                db, sql: "SELECT payload FROM application WHERE id = ?", arguments: [b.id.text])
            try db.execute(sql: "UPDATE application SET payload = ? WHERE id = ?", arguments: [payload, a.id.text])
        }
        do {
            _ = try queue.application(a.id)
            Issue.record("a moved payload must not open")
        } catch {
            #expect(error.code == .corruptPayload)
        }
    }
}
