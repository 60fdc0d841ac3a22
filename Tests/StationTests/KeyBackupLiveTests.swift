import ControlAPI
import Foundation
import Intake
import Queue
import StationTestKit
import Testing

/// #23: "Key backup → restore on a fresh state directory reads every application". `stationctl keys backup`
/// against a running daemon (supervisors only, audited), the daemon stopped, the database copied to a fresh state
/// directory, `stationd keys restore` there, and the store opened and read.
@Suite(.serialized) struct KeyBackupLiveTests {
    static let operators = [TestGroups.socket, TestGroups.operators]
    static let supervisors = [TestGroups.socket, TestGroups.supervisors]

    @Test func backupThenRestoreOnAFreshStateDirectoryReadsEveryApplication() throws {
        let daemon = try DaemonUnderTest(name: "keys-backup")
        let root = daemon.directory.path
        let uplink = root + "/state/uplink"
        daemon.extraConfig = "[uplink]\nstate = \(uplink)\n"
        // The store, with applications, made before the daemon starts; a station signing key in the uplink folder.
        var ids: [ApplicationID] = []
        do {
            try FileManager.default.createDirectory(atPath: root + "/state", withIntermediateDirectories: true)
            let queue = try ApplicationQueue(
                configuration: .init(databasePath: root + "/state/queue.sqlite", keyFilePath: root + "/state/queue.key")
            )
            for index in 0..<5 {
                let application = SampleApplications.application(
                    for: SampleApplications.citizens(1, start: index)[0], biometricBytes: 300, seed: index)
                try queue.commit(application, by: .system)
                ids.append(application.id)
            }
        }
        try FileManager.default.createDirectory(atPath: uplink, withIntermediateDirectories: true)
        let stationKey = Data((0..<32).map { UInt8(($0 * 7 + 3) & 0xFF) })
        #expect(
            FileManager.default.createFile(
                atPath: uplink + "/station.key", contents: stationKey,
                attributes: [.posixPermissions: 0o600]))
        try daemon.start()

        // Files the caller (nobody, in the test groups) reads and writes.
        let backups = root + "/backups"
        try FileManager.default.createDirectory(atPath: backups, withIntermediateDirectories: true)
        chmod(backups, 0o777)
        let passphraseFile = root + "/passphrase.txt"
        try "ngựa-vằn-42 mùa thu\n".write(toFile: passphraseFile, atomically: true, encoding: .utf8)
        chmod(passphraseFile, 0o644)
        let backup = ["keys", "backup", "--to", backups, "--passphrase-file", passphraseFile, "--lang", "en"]

        // An operator is refused (403 → exit 3) and nothing is written.
        let refused = try daemon.stationctl(backup, asGroups: Self.operators)
        #expect(refused.status == 3, "\(refused.output)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: backups).isEmpty)
        let (status, body) = try daemon.curl(
            "POST", ControlPaths.keysBackup, body: #"{"passphrase":"x"}"#, asGroups: Self.operators)
        #expect(status == 403, "\(body)")

        // A supervisor backs up.
        let made = try daemon.stationctl(backup, asGroups: Self.supervisors)
        #expect(made.status == 0, "\(made.output)")
        let names = try FileManager.default.contentsOfDirectory(atPath: backups)
        #expect(names.count == 1)
        let name = try #require(names.first)
        #expect(name.hasPrefix("stationd-keys-") && name.hasSuffix(".bundle"))
        let bundlePath = backups + "/" + name
        #expect(made.output.contains(bundlePath))
        #expect(made.output.contains("SHA-256"))
        var info = stat()
        #expect(stat(bundlePath, &info) == 0 && info.st_mode & 0o777 == 0o600)
        let envelope = try #require(jsonObject(try String(contentsOfFile: bundlePath, encoding: .utf8)))
        #expect(envelope["format"] as? String == "stationd-keys")
        #expect((envelope["kdf"] as? [String: Any])?["name"] as? String == "scrypt")

        // Audited, without a secret.
        #expect(daemon.stop() == 0)
        let auditQueue = try ApplicationQueue(
            configuration: .init(databasePath: root + "/state/queue.sqlite", keyFilePath: root + "/state/queue.key"))
        let trail = try auditQueue.auditTrail(for: nil)
        let entry = try #require(trail.last { $0.action == "keys_backup" })
        #expect(entry.reasonCode == "passphrase:3")
        #expect(trail.filter { $0.action == "keys_backup" }.count == 1)
        try auditQueue.checkpoint()

        // No key bytes in the daemon's log or in stationctl's output.
        let secrets =
            try Self.keyStrings(root + "/state/queue.key") + Self.keyStrings(root + "/state/queue-audit.key")
            + [stationKey.base64EncodedString(), stationKey.map { String(format: "%02x", $0) }.joined()]
        #expect(secrets.count >= 4)
        let log = try String(contentsOfFile: root + "/stationd.log", encoding: .utf8)
        for secret in secrets {
            #expect(!log.contains(secret))
            #expect(!made.output.contains(secret))
            #expect(!refused.output.contains(secret))
        }
        #expect(!log.contains("ngựa-vằn-42"))

        // A fresh state directory: the database only (and its WAL, if any).
        let fresh = root + "/fresh"
        try FileManager.default.createDirectory(atPath: fresh + "/state", withIntermediateDirectories: true)
        for suffix in ["", "-wal"] where FileManager.default.fileExists(atPath: root + "/state/queue.sqlite" + suffix) {
            try FileManager.default.copyItem(
                atPath: root + "/state/queue.sqlite" + suffix, toPath: fresh + "/state/queue.sqlite" + suffix)
        }
        let freshConfig = fresh + "/stationd.conf"
        try """
        [store]
        database = \(fresh)/state/queue.sqlite
        key_file = \(fresh)/state/queue.key
        [uplink]
        state = \(fresh)/state/uplink

        """.write(toFile: freshConfig, atomically: true, encoding: .utf8)
        let stationd = try Binaries.path("stationd")

        // A wrong passphrase: refused with its code, nothing written.
        let wrongFile = root + "/wrong.txt"
        try "not the passphrase\n".write(toFile: wrongFile, atomically: true, encoding: .utf8)
        let wrong = try runTool(
            stationd,
            ["keys", "restore", "--from", bundlePath, "--passphrase-file", wrongFile, "--config", freshConfig])
        #expect(wrong.status == 1, "\(wrong.output)")
        #expect(wrong.output.contains("keys.wrong_secret"), "\(wrong.output)")
        #expect(!FileManager.default.fileExists(atPath: fresh + "/state/queue.key"))
        #expect(!FileManager.default.fileExists(atPath: fresh + "/state/uplink/station.key"))

        // Refused while a daemon runs on the state directory.
        try daemon.start()
        let locked = try runTool(
            stationd,
            [
                "keys", "restore", "--from", bundlePath, "--passphrase-file", passphraseFile, "--config",
                daemon.configPath,
            ])
        #expect(locked.status == 1 && locked.output.contains("queue.store_locked"), "\(locked.output)")
        #expect(daemon.stop() == 0)

        // The right passphrase: every key file back, 0600, and the store reads every application.
        let restored = try runTool(
            stationd,
            ["keys", "restore", "--from", bundlePath, "--passphrase-file", passphraseFile, "--config", freshConfig])
        #expect(restored.status == 0, "\(restored.output)")
        for secret in secrets { #expect(!restored.output.contains(secret)) }
        for file in ["state/queue.key", "state/queue-audit.key", "state/uplink/station.key"] {
            #expect(
                FileManager.default.contents(atPath: fresh + "/" + file)
                    == FileManager.default.contents(atPath: root + "/" + file), "\(file)")
            #expect(stat(fresh + "/" + file, &info) == 0 && info.st_mode & 0o777 == 0o600, "\(file)")
        }
        let queue = try ApplicationQueue(
            configuration: .init(
                databasePath: fresh + "/state/queue.sqlite", keyFilePath: fresh + "/state/queue.key"))
        for id in ids { #expect(try queue.application(id).id == id) }
        #expect(try queue.verifyAudit().isIntact)

        // Again: the same files are left as they are.
        let again = try runTool(
            stationd,
            ["keys", "restore", "--from", bundlePath, "--passphrase-file", passphraseFile, "--config", freshConfig])
        #expect(again.status == 0 && again.output.contains("Already there"), "\(again.output)")
    }

    /// The base64 key strings of a key file (JSON with `key`, `index` and `keys[].key`).
    static func keyStrings(_ path: String) throws -> [String] {
        let object = try #require(
            try JSONSerialization.jsonObject(with: try Data(contentsOf: URL(fileURLWithPath: path))) as? [String: Any])
        var keys: [String] = []
        if let key = object["key"] as? String { keys.append(key) }
        if let index = object["index"] as? String { keys.append(index) }
        for entry in object["keys"] as? [[String: Any]] ?? [] {
            if let key = entry["key"] as? String { keys.append(key) }
        }
        return keys
    }
}
