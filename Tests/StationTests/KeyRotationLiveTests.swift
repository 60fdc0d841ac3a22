import ControlAPI
import Foundation
import Intake
import Queue
import StationTestKit
import Testing

/// #23 item 4: `stationctl keys rotate` against a running daemon: supervisors only, new data sealed under the new
/// key at once, older data re-sealed in the background, the daemon killed with SIGKILL mid-way and restarted
/// finishing the job with nothing lost, the old key destroyed, every step audited, an older backup called stale.
@Suite(.serialized) struct KeyRotationLiveTests {
    static let operators = [TestGroups.socket, TestGroups.operators]
    static let supervisors = [TestGroups.socket, TestGroups.supervisors]

    static func rotation(_ daemon: DaemonUnderTest) throws -> KeysRotationWire {
        let response = try daemon.client().request("GET", ControlPaths.keysRotate)
        #expect(response.status == 200)
        return try ControlJSON.decoder().decode(KeysRotationWire.self, from: response.body)
    }

    /// Every application in the store, page by page.
    static func everyApplication(_ queue: ApplicationQueue) throws -> [QueueItem] {
        var items: [QueueItem] = []
        var cursor: QueueCursor?
        repeat {
            let page = try queue.list(QueueFilter(), limit: 500, after: cursor)
            items += page.items
            cursor = page.next
        } while cursor != nil
        return items
    }

    @Test(.timeLimit(.minutes(4))) func rotationSurvivesAKillMidwayAndDestroysTheOldKey() async throws {
        let daemon = try DaemonUnderTest(name: "keys-rotate")
        let root = daemon.directory.path
        let database = root + "/state/queue.sqlite"
        let keyFile = root + "/state/queue.key"
        // 3,000 applications and a supervisor's sealed note, under key 1, before the daemon starts.
        var ids: [ApplicationID] = []
        let noted = SampleApplications.application(
            for: SampleApplications.citizens(1, start: 90_000)[0], biometricBytes: 300, seed: 1)
        do {
            try FileManager.default.createDirectory(atPath: root + "/state", withIntermediateDirectories: true)
            let queue = try ApplicationQueue(configuration: .init(databasePath: database, keyFilePath: keyFile))
            var next = 0
            try queue.bulkLoad(
                template: SampleApplications.application(
                    for: SampleApplications.citizens(1)[0], biometricBytes: 300, seed: 0),
                count: 3_000, communes: ["26734"],
                idNumber: {
                    next += 1
                    return CitizenID(String(format: "0791%08d", next))!
                })
            try queue.commit(noted, by: .system)
            try queue.hold(
                noted.id, by: .supervisor(OperatorID("sup")), reason: .citizenRequest, note: "ROTATECANARY gọi lại")
            ids = try Self.everyApplication(queue).filter { !$0.purged }.map(\.id)
        }
        #expect(ids.count == 3_001)
        // Small batches, so that the re-sealing takes long enough to be killed half-way.
        // One value per transaction, so the kill below finds the job half done even on a loaded machine (with 10,
        // the whole rotation once ended before stationctl's first poll).
        try daemon.start(extraEnvironment: ["STATIOND_STORE_RESEAL_BATCH": "1"])

        // An operator is refused; nothing rotates.
        let refused = try daemon.stationctl(["keys", "rotate", "--no-wait", "--lang", "en"], asGroups: Self.operators)
        #expect(refused.status == 3, "\(refused.output)")
        #expect(try KeyRing.load(path: keyFile, createIfMissing: false).keyIDs == [1])

        // A supervisor starts it and does not wait.
        let started = try daemon.stationctl(
            ["keys", "rotate", "--no-wait", "--lang", "en"], asGroups: Self.supervisors)
        #expect(started.status == 0, "\(started.output)")
        #expect(started.output.contains("New store key k2"), "\(started.output)")
        #expect(started.output.contains("stale"), "\(started.output)")
        #expect(try KeyRing.load(path: keyFile, createIfMissing: false).keyIDs == [1, 2])

        // Killed mid-way: some values re-sealed, some not.
        var seen = try Self.rotation(daemon)
        let deadline = Date().addingTimeInterval(60)
        while seen.resealed == 0 && seen.state != "idle" && Date() < deadline {
            try await Task.sleep(for: .milliseconds(20))
            seen = try Self.rotation(daemon)
        }
        daemon.stop(signal: SIGKILL)
        #expect(seen.state == "resealing" && seen.resealed > 0 && seen.remainingTotal > 0, "\(seen)")
        #expect(try KeyRing.load(path: keyFile, createIfMissing: false).keyIDs == [1, 2])
        do {
            let killed = try ApplicationQueue(configuration: .init(databasePath: database, keyFilePath: keyFile))
            let left = try killed.keyRotationProgress()
            #expect(left.olderKeyIDs == [1])
            let applications = left.remaining["applications"] ?? 0
            #expect(applications > 0 && applications < 3_001, "killed with \(applications) left under k1")
        }

        // Restarted: it finishes by itself; a second rotation meanwhile is refused (exit 5).
        try daemon.start(extraEnvironment: ["STATIOND_STORE_RESEAL_BATCH": "10"])
        let second = try daemon.stationctl(["keys", "rotate", "--no-wait", "--lang", "en"], asGroups: Self.supervisors)
        #expect(second.status == 5 && second.output.contains("keys.rotation_running"), "\(second.output)")
        seen = try Self.rotation(daemon)
        while seen.state != "idle" && Date() < deadline {
            try await Task.sleep(for: .milliseconds(100))
            seen = try Self.rotation(daemon)
        }
        #expect(seen.state == "idle" && seen.olderKeys.isEmpty && seen.remainingTotal == 0, "\(seen)")
        #expect(seen.backupStale)
        let status = try daemon.stationctl(["keys", "rotation", "--lang", "en"], asGroups: Self.supervisors)
        #expect(status.status == 0 && status.output.contains("No rotation running"), "\(status.output)")
        #expect(status.output.contains("stale"), "\(status.output)")

        // A key backup now: no longer stale.
        let backups = root + "/backups"
        try FileManager.default.createDirectory(atPath: backups, withIntermediateDirectories: true)
        try "một câu thật dài\n".write(toFile: root + "/passphrase.txt", atomically: true, encoding: .utf8)
        let backup = try daemon.stationctl([
            "keys", "backup", "--to", backups, "--passphrase-file", root + "/passphrase.txt", "--lang", "en",
        ])
        #expect(backup.status == 0, "\(backup.output)")
        #expect(try !Self.rotation(daemon).backupStale)

        // A waited rotation (k2 → k3) shows its progress and ends with the old key destroyed.
        let waited = try daemon.stationctl(
            ["keys", "rotate", "--lang", "en"], asGroups: Self.supervisors, timeout: 120)
        #expect(waited.status == 0, "\(waited.output)")
        let last = 3
        #expect(waited.output.contains("Done: old key k\(last - 1) destroyed"), "\(waited.output)")
        #expect(try Self.rotation(daemon).backupStale)
        #expect(daemon.stop() == 0)

        // Nothing lost, nothing under an old key, the old keys gone from the key file, all of it audited.
        #expect(try KeyRing.load(path: keyFile, createIfMissing: false).keyIDs == [last])
        let queue = try ApplicationQueue(configuration: .init(databasePath: database, keyFilePath: keyFile))
        let progress = try queue.keyRotationProgress()
        #expect(progress.currentKeyID == last && progress.olderKeyIDs.isEmpty && progress.remainingTotal == 0)
        for id in ids { #expect(try queue.keyID(of: id) == last) }
        for id in ids { #expect(try queue.application(id).id == id) }
        let history = try queue.history(noted.id, as: .supervisor(OperatorID("sup")), withNotes: true)
        #expect(history.compactMap(\.note) == ["ROTATECANARY gọi lại"])
        let trail = try queue.auditTrail(for: nil)
        #expect(trail.filter { $0.action == "keys_rotate" }.count == last - 1)
        #expect(trail.filter { $0.action == "keys_destroyed" }.count == last - 1)
        #expect(trail.contains { $0.action == "keys_rotate_resumed" })
        #expect(trail.contains { $0.action == "keys_rotate" && $0.actor == "nobody" })
        #expect(try queue.verifyAudit().isIntact)
        // The backup made before the last rotation is refused by restore, naming the key it lacks; nothing written.
        try queue.checkpoint()
        let fresh = root + "/fresh"
        try FileManager.default.createDirectory(atPath: fresh + "/state", withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: database, toPath: fresh + "/state/queue.sqlite")
        try """
        [store]
        database = \(fresh)/state/queue.sqlite
        key_file = \(fresh)/state/queue.key

        """.write(toFile: fresh + "/stationd.conf", atomically: true, encoding: .utf8)
        let bundle = backups + "/" + (try #require(try FileManager.default.contentsOfDirectory(atPath: backups).first))
        let restore = try runTool(
            try Binaries.path("stationd"),
            [
                "keys", "restore", "--from", bundle, "--passphrase-file", root + "/passphrase.txt", "--config",
                fresh + "/stationd.conf",
            ])
        #expect(restore.status == 1, "\(restore.output)")
        #expect(restore.output.contains("keys.stale_backup") && restore.output.contains("k3"), "\(restore.output)")
        #expect(!FileManager.default.fileExists(atPath: fresh + "/state/queue.key"))

        // No key in the log.
        let log = try String(contentsOfFile: root + "/stationd.log", encoding: .utf8)
        for secret in try KeyBackupLiveTests.keyStrings(keyFile) { #expect(!log.contains(secret)) }
    }
}
