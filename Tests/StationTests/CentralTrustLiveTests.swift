import CentralAPI
import ControlAPI
import Foundation
import Intake
import Queue
import Station
import StationTestKit
import Testing
import Uplink

/// Central trust against the real daemon: the configuration check refuses an unauthenticated endpoint; a daemon
/// whose "central" is a rogue (answers "already have" / "accepted", unsigned) moves no row and purges nothing,
/// reports `uplink.central_unauthenticated`, and `stationctl upload --wait` exits non-zero; enrollment through
/// `stationctl enroll` pins only the confirmed fingerprint.
@Suite(.serialized) struct CentralTrustLiveTests {
    /// `uplink.url` must be https with a pinned CA, or http to loopback; other schemes are refused, naming the key.
    @Test func theConfigurationCheckRefusesAnUnauthenticatedCentral() throws {
        let cases: [(String, String?)] = [
            ("url = http://192.0.2.10:8443", "uplink.url"),
            ("url = http://c06.example.vn", "uplink.url"),
            ("url = ftp://127.0.0.1/upload", "uplink.url"),
            ("url = https://c06.example.vn", "uplink.pinned_ca"),
            ("url = http://127.0.0.1:8443", nil),
            ("url = http://localhost:8443", nil),
            ("url = https://c06.example.vn\npinned_ca = /etc/stationd/c06-ca.pem", nil),
        ]
        for (line, key) in cases {
            let file = try temporaryFile("[uplink]\n\(line)\n")
            defer { try? FileManager.default.removeItem(atPath: file) }
            do {
                _ = try StationConfiguration.load(file: file, environment: [:])
                #expect(key == nil, "\(line) accepted")
            } catch {
                let codes = error.errors.map { "\($0.key ?? "-") \($0.code)" }
                #expect(key != nil && codes == ["\(key!) config.insecure_uplink"], "\(line): \(codes)")
            }
        }
        // The daemon's own check says so too, with the key and the code, and fails.
        let file = try temporaryFile("[uplink]\nurl = http://192.0.2.10:8443\n")
        defer { try? FileManager.default.removeItem(atPath: file) }
        let checked = try runTool(
            try Binaries.path("stationd"), ["run", "--check-config", "--config", file], timeout: 20)
        #expect(checked.status != 0)
        #expect(checked.output.contains("uplink.url") && checked.output.contains("config.insecure_uplink"))
        // A fingerprint that is not 64 hex digits is refused.
        let bad = try temporaryFile("[uplink]\nurl = http://127.0.0.1:1\ncentral_fingerprint = 1234\n")
        defer { try? FileManager.default.removeItem(atPath: bad) }
        #expect(throws: ConfigurationErrors.self) { _ = try StationConfiguration.load(file: bad, environment: [:]) }
    }

    static func uplinkConfig(url: String, token: String, fingerprint: String?, state: String) -> String {
        """
        [point]
        commune_code = 26734
        [uplink]
        url = \(url)
        token = \(token)
        \(fingerprint.map { "central_fingerprint = \($0)" } ?? "")
        station_id = station-test-trust
        state = \(state)
        interval_seconds = 3600
        [store]
        retention_days = 0
        [purge]
        interval_seconds = 1
        [freeze]
        min_free_mib = 1

        """
    }

    static func waitForUpload(_ daemon: DaemonUnderTest, until: (UploadStatus) -> Bool) async throws -> UploadStatus? {
        let deadline = Date(timeIntervalSinceNow: 20)
        var status = try UploadStatusProbe.read(daemon)
        while !(status.map(until) ?? false) && Date() < deadline {
            try await Task.sleep(for: .milliseconds(100))
            status = try UploadStatusProbe.read(daemon)
        }
        return status
    }

    @Test(.timeLimit(.minutes(3))) func aRogueCentralCannotMoveTheDaemonsQueue() async throws {
        let receiver = try CentralReceiverProcess.forStation()
        let state = "/tmp/stationd-test-\(getpid())-trust/uplink"
        let daemon = try DaemonUnderTest(
            name: "trust",
            extraConfig: Self.uplinkConfig(
                url: receiver.baseURL, token: receiver.token, fingerprint: nil, state: state))
        try daemon.start()

        // 1. Without a confirmed fingerprint the daemon does not enroll by itself; `stationctl enroll` with a wrong
        // fingerprint is refused and pins nothing; with the printed one it pins the central's keys.
        let waiting = try await Self.waitForUpload(daemon) { $0.state == "notEnrolled" }
        #expect(waiting?.state == "notEnrolled", "\(daemon.log)")
        #expect(!FileManager.default.fileExists(atPath: state + "/enrollment.json"))
        let wrong = String(repeating: "ab", count: 32)
        let refused = try daemon.stationctl(["enroll", "--central-fingerprint", wrong, "--json"])
        #expect(refused.status == 5, "\(refused.output)")
        #expect(refused.output.contains("uplink.central_fingerprint_mismatch"), "\(refused.output)")
        #expect(!FileManager.default.fileExists(atPath: state + "/enrollment.json"))
        let operators = [TestGroups.socket, TestGroups.operators]
        let notAllowed = try daemon.stationctl(
            ["enroll", "--central-fingerprint", receiver.fingerprint], asGroups: operators)
        #expect(notAllowed.status == 3, "operators may not enroll: \(notAllowed.output)")
        let enrolled = try daemon.stationctl(["enroll", "--central-fingerprint", receiver.fingerprint, "--json"])
        #expect(enrolled.status == 0, "\(enrolled.output)\n\(daemon.log)")
        let idle = try await Self.waitForUpload(daemon) { $0.state == "idle" && $0.lastSyncAt != nil }
        #expect(idle?.centralFingerprint == receiver.fingerprint)
        #expect(daemon.stop() == 0)

        // 2. The store gets two ready applications and one uploaded to the genuine central (received).
        let citizens = SampleApplications.citizens(3, start: 97_000)
        let ids: [ApplicationID]
        do {
            let queue = try ApplicationQueue(
                configuration: .init(
                    databasePath: daemon.directory.path + "/state/queue.sqlite",
                    keyFilePath: daemon.directory.path + "/state/queue.key", minimumFreeBytes: 1 << 20))
            func addReady(_ index: Int) throws -> ApplicationID {
                let application = SampleApplications.application(
                    for: citizens[index], biometricBytes: 4_000, seed: index)
                try queue.commit(application, by: .system)
                try queue.transition(application.id, to: .init(local: .ready, central: .unknown), by: .system)
                return application.id
            }
            let first = try addReady(0)
            let credentials = try StationCredentials.load(directory: state, stationID: "station-test-trust")
            let uploader = try Uploader(
                queue: queue, credentials: credentials,
                configuration: .init(client: CentralClient(baseURL: receiver.baseURL), stateDirectory: state))
            try await uploader.drain(until: Date().addingTimeInterval(20))
            ids = [first, try addReady(1), try addReady(2)]
        }
        let queue = try ApplicationQueue(
            configuration: .init(
                databasePath: daemon.directory.path + "/state/queue.sqlite",
                keyFilePath: daemon.directory.path + "/state/queue.key", minimumFreeBytes: 1 << 20))
        let before = try ids.map { try queue.status(of: $0) }
        #expect(before.contains(.init(local: .uploaded, central: .received)))
        let auditBefore = try queue.auditTrail(for: nil).count

        // 3. Someone answers at the central's address: the daemon acts on nothing it says.
        let rogue = try RogueCentral(signing: .unsigned)
        defer { rogue.stop() }
        daemon.extraConfig = Self.uplinkConfig(
            url: rogue.baseURL, token: receiver.token, fingerprint: receiver.fingerprint, state: state)
        try daemon.start()
        let upload = try daemon.stationctl(["upload", "--wait"], timeout: 60)
        #expect(upload.status == 8, "upload --wait must fail: \(upload.output)\n\(daemon.log)")
        let reported = try UploadStatusProbe.read(daemon)
        #expect(reported?.state == "failed")
        #expect(reported?.lastError == "uplink.central_unauthenticated", "\(String(describing: reported))")
        try await Task.sleep(for: .milliseconds(2_500))  // two purge passes with zero retention
        #expect(daemon.stop() == 0)
        #expect(rogue.requests.contains("GET /v1/probe"))
        #expect(!rogue.requests.contains("POST /v1/batches"))
        #expect(try ids.map { try queue.status(of: $0) } == before)
        #expect(try queue.auditTrail(for: nil).count == auditBefore)
        for id in ids { #expect(try queue.keyID(of: id) != nil, "payload purged") }
        #expect(try queue.verifyAudit().isIntact)

        // 4. A configuration naming other central keys than the pinned ones stops the uplink until a supervisor
        // confirms the change: nothing is re-pinned silently.
        daemon.extraConfig = Self.uplinkConfig(
            url: receiver.baseURL, token: receiver.token, fingerprint: rogue.keys.fingerprint, state: state)
        try daemon.start()
        let stopped = try await Self.waitForUpload(daemon) { $0.state == "failed" }
        #expect(stopped?.lastError == "uplink.central_key_changed", "\(String(describing: stopped))")
        #expect(stopped?.centralFingerprint == nil)
        #expect(
            try StationCredentials.load(directory: state, stationID: "station-test-trust").pinnedCentral?.fingerprint
                == receiver.fingerprint)
        #expect(daemon.stop() == 0)
    }
}
