import ControlAPI
import Foundation
import Simulation
import StationTestKit
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// The daemon with the uplink configured, against the real receiver: enroll, intake, `stationctl upload --wait`,
/// exactly once at the central, status sync to `accepted`; freeze rules refuse intakes; export is supervisors'.
@Suite(.serialized)
struct UplinkLiveTests {
    let lease: LivePCSC.Lease
    var harness: PCSCHarness { lease.harness }
    init() async throws { lease = try await LivePCSC.acquire() }

    @Test(.timeLimit(.minutes(10))) func intakeUploadedExactlyOnceThenAccepted() async throws {
        let root = LivePCSC.packageRoot
        let receiver = try CentralReceiverProcess.forStation()
        let url = root.appendingPathComponent("Devices/cards/nguyen-van-an.json")
        let set = try CitizenDataSet.load(url)
        let daemon = try DaemonUnderTest(
            name: "uplink", uploadingTo: receiver,
            extraConfig: """
                [authenticity]
                supervisor_overrides = unconfirmed, untrustedSigner, notChecked
                [point]
                commune_code = 26734
                [freeze]
                max_pending = 1
                min_free_mib = 1

                """,
            environment: harness.clientEnvironment)
        try daemon.start()

        // Enrolled at start with the one-time token; the first cycle (empty queue) ends idle with a sync.
        var upload = try UploadStatusProbe.read(daemon)
        let enrollDeadline = Date(timeIntervalSinceNow: 20)
        while upload?.state != "idle" && Date() < enrollDeadline {
            try await Task.sleep(for: .milliseconds(100))
            upload = try UploadStatusProbe.read(daemon)
        }
        #expect(upload?.configured == true)
        #expect(upload?.state == "idle", "\(daemon.log)")
        #expect(FileManager.default.fileExists(atPath: daemon.directory.path + "/uplink/enrollment.json"))

        let card = try harness.startCardReported(arguments: ["--dataset", url.path])
        defer { card.stop() }
        let readerDeadline = Date(timeIntervalSinceNow: 10)
        while !(try daemon.curl("GET", "/v1/readers").1.contains(#""cardPresent":true"#))
            && Date() < readerDeadline
        {
            try await Task.sleep(for: .milliseconds(100))
        }
        let portrait = daemon.directory.appendingPathComponent("portrait.jpg")
        try IntakeLiveTests.syntheticJPEG(width: 480, height: 640).write(to: portrait)
        let committed = try daemon.stationctl(
            [
                "intake", "--can", set.can, "--portrait", portrait.path, "--phone", "0912345678", "--yes", "--json",
                "--override-reason", "training station: no CSCA list",
            ], timeout: 90)
        #expect(committed.status == 0, "\(committed.output)\n\(daemon.log)")
        let line = committed.output.split(separator: "\n").last { $0.hasPrefix("{") }.map(String.init) ?? ""
        let session = try ControlJSON.decoder().decode(IntakeSessionWire.self, from: Data(line.utf8))
        let id = try #require(session.applicationID)

        // Freeze rule: one application pending with max_pending = 1 refuses the next intake, with the rule's code.
        let (frozen, frozenBody) = try daemon.curl("POST", "/v1/intake", body: "{}")
        #expect(frozen == 409, "\(frozenBody)")
        #expect(errorCode(frozenBody) == "freeze.too_many_pending")
        let status = try #require(jsonObject(try daemon.curl("GET", "/v1/status").1))
        #expect(status["freezeRules"] as? [String] == ["freeze.too_many_pending"])

        // Export is for supervisors only.
        let operators = [TestGroups.socket, TestGroups.operators]
        #expect(try daemon.curl("POST", "/v1/export", body: #"{"to":"/tmp/x"}"#, asGroups: operators).0 == 403)

        let uploaded = try daemon.stationctl(["upload", "--wait"], timeout: 90)
        #expect(uploaded.status == 0, "\(uploaded.output)\n\(daemon.log)")
        #expect(uploaded.output.contains("100% xong"), "the bar ends complete: \(uploaded.output)")

        // The central holds it exactly once.
        #expect(try receiver.admin("/admin/items") as? [String] == [id])
        let stats = try #require(try receiver.admin("/admin/stats") as? [String: Any])
        #expect(stats["itemsStored"] as? Int == 1)
        let metrics = MetricsText(try daemon.curl("GET", "/metrics").1)
        #expect(metrics.value("stationd_upload_items_total", ["outcome": "received"]) == 1)
        #expect((metrics.value("stationd_upload_bytes_total") ?? 0) > 1000)
        #expect((metrics.value("stationd_upload_cycles_total", ["outcome": "idle"]) ?? 0) >= 1)

        // After the central approves it (0.3 s), the next cycle's status sync records `accepted`.
        try await Task.sleep(for: .milliseconds(800))
        #expect(try daemon.stationctl(["upload", "--wait"], timeout: 90).status == 0)
        let listed = try daemon.stationctl(["queue", "ls", "--json"])
        let page = try ControlJSON.decoder().decode(QueuePageWire.self, from: Data(listed.output.utf8))
        #expect(page.items.map(\.id) == [id])
        #expect(page.items.first?.local == "uploaded")
        #expect(page.items.first?.central == "accepted", "\(listed.output)")
        #expect(try receiver.admin("/admin/items") as? [String] == [id])
        let synced = try UploadStatusProbe.read(daemon)
        #expect(synced?.lastSyncAt != nil)
        // The central anchored the audit head in its signed answers; `stationctl status` says when.
        #expect(synced?.auditAnchoredAt != nil && (synced?.auditAnchoredSequence ?? 0) > 1)
        #expect(synced?.centralFingerprint == receiver.fingerprint)
        let shown = try daemon.stationctl(["status", "--lang", "en"])
        #expect(shown.output.contains("Audit head anchored at the central: 20"), "\(shown.output)")

        // Nothing pending any more: intakes are allowed again (started and abandoned here).
        let client = daemon.client()
        let started = try client.request("POST", "/v1/intake", body: Data("{}".utf8))
        #expect(started.status == 201, "\(String(decoding: started.body, as: UTF8.self))")

        // A supervisor's export with nothing ready writes nothing and answers the counts.
        let exportFolder = daemon.directory.appendingPathComponent("usb").path
        let exported = try daemon.stationctl(["export", "--to", exportFolder, "--json"])
        #expect(exported.status == 0, "\(exported.output)")
        #expect(jsonObject(exported.output)?["items"] as? Int == 0)

        #expect(!daemon.log.contains(set.idNumber))
        #expect(daemon.stop() == 0)
    }
}

/// Reads `GET /v1/upload`.
enum UploadStatusProbe {
    static func read(_ daemon: DaemonUnderTest) throws -> UploadStatus? {
        let (code, body) = try daemon.curl("GET", "/v1/upload")
        guard code == 200 else { return nil }
        return try? ControlJSON.decoder().decode(UploadStatus.self, from: Data(body.utf8))
    }
}
