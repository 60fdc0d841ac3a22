import ControlAPI
import Foundation
import Simulation
import StationTestKit
import Testing

/// A whole intake through the daemon: pcscd + vpcd + the simulated CCCD (a process), the simulated fingerprint
/// scanner, driven by `stationctl intake`; then queue operations and the health-profile verify.
@Suite(.serialized)
struct IntakeLiveTests {
    let lease: LivePCSC.Lease
    var harness: PCSCHarness { lease.harness }
    init() async throws { lease = try await LivePCSC.acquire() }

    @Test func intakeToCommitThenQueueOperations() async throws {
        let url = LivePCSC.packageRoot.appendingPathComponent("Devices/cards/nguyen-van-an.json")
        let set = try CitizenDataSet.load(url)
        let daemon = try DaemonUnderTest(
            name: "intake",
            extraConfig:
                "[authenticity]\noperator_commits = genuine\n"
                + "supervisor_overrides = verifiedOffline, unconfirmed, notChecked\n"
                + "[point]\ncommune_code = 26734\n",
            environment: harness.clientEnvironment)
        try daemon.start()
        // Reader and card events reach /v1/events subscribers.
        let watcher = daemon.client()
        let inserted = DispatchSemaphore(value: 0)
        let readerName = harness.readerName()
        Thread {
            _ = try? watcher.events { type, data in
                if type == "card.inserted" && data.contains(readerName) {
                    inserted.signal()
                    return false
                }
                return true
            }
        }.start()
        try await Task.sleep(for: .milliseconds(200))
        let card = try harness.startCardReported(arguments: ["--dataset", url.path])
        defer { card.stop() }
        // The reader monitor sees the card.
        let deadline = Date(timeIntervalSinceNow: 10)
        var present = false
        while !present && Date() < deadline {
            let (_, body) = try daemon.curl("GET", "/v1/readers")
            present = body.contains(#""cardPresent":true"#)
            if !present { try await Task.sleep(for: .milliseconds(100)) }
        }
        #expect(present)
        #expect(inserted.wait(timeout: .now() + 5) == .success)

        let portrait = daemon.directory.appendingPathComponent("portrait.jpg")
        try Self.syntheticJPEG(width: 480, height: 640).write(to: portrait)

        // Without a supervisor's override the unverified chip is refused: exit 7 with the rule's code.
        let refused = try daemon.stationctl(
            [
                "intake", "--can", set.can, "--portrait", portrait.path, "--phone", "0912345678", "--yes",
                "--lang", "en",
            ],
            timeout: 90)
        #expect(refused.status == 7, "\(refused.output)")
        #expect(refused.output.contains("intake.authenticity_needs_override"))

        // Root is a supervisor: with an override reason the application is committed.
        let committed = try daemon.stationctl(
            [
                "intake", "--can", set.can, "--portrait", portrait.path, "--phone", "0912345678", "--yes",
                "--json",
                "--override-reason", "training station: no CSCA list",
            ], timeout: 90)
        #expect(committed.status == 0, "\(committed.output)\n\(daemon.log)")
        let line =
            committed.output.split(separator: "\n").last { $0.hasPrefix("{") }.map(String.init) ?? ""
        let session = try ControlJSON.decoder().decode(IntakeSessionWire.self, from: Data(line.utf8))
        #expect(session.state == "committed")
        let id = try #require(session.applicationID)
        // Metrics: one commit; every chip read counted by its verdict; no personal data in the exposition.
        let metricsText = try daemon.curl("GET", "/metrics").1
        let metrics = MetricsText(metricsText)
        #expect(metrics.value("stationd_intake_commits_total", ["outcome": "committed"]) == 1, "\(metricsText)")
        #expect(metrics.total("stationd_card_reads_total") >= 2)
        let reads = metrics.total("stationd_card_reads_total")
        #expect(metrics.value("stationd_card_read_duration_seconds_count") == reads)
        #expect(!metricsText.contains(set.idNumber) && !metricsText.contains(id))

        // The queue has it, without personal data in the listing; show masks for operators.
        let listed = try daemon.stationctl(["queue", "ls", "--json", "--state", "captured"])
        let page = try ControlJSON.decoder().decode(QueuePageWire.self, from: Data(listed.output.utf8))
        #expect(page.items.map(\.id) == [id])
        #expect(page.items.first?.communeCode == "26734")
        #expect(!listed.output.contains(set.idNumber))
        let operators = [TestGroups.socket, TestGroups.operators]
        let (shown, shownBody) = try daemon.curl("GET", "/v1/queue/\(id)", asGroups: operators)
        #expect(shown == 200)
        let detail = try ControlJSON.decoder().decode(
            ApplicationDetailWire.self, from: Data(shownBody.utf8))
        #expect(detail.idNumber == "*********" + set.idNumber.suffix(3))
        #expect(detail.fingerprints.count == 2)
        #expect(try daemon.curl("GET", "/v1/queue/\(id)?unmasked=true", asGroups: operators).0 == 403)
        let unmasked = try daemon.stationctl(["queue", "show", id, "--unmasked", "--json"])
        #expect(unmasked.output.contains(set.idNumber))

        // A second intake for the same citizen: the duplicate rule refuses it.
        let duplicate = try daemon.stationctl(
            [
                "intake", "--can", set.can, "--portrait", portrait.path, "--phone", "0912345678", "--yes",
                "--override-reason", "x",
            ], timeout: 90)
        #expect(duplicate.status == 7)
        #expect(duplicate.output.contains("intake.duplicate"))

        // Queue operations.
        #expect(
            try daemon.stationctl(["queue", "hold", id, "--reason", "citizenRequest", "--lang", "en"]).output.contains(
                "held/"))
        #expect(try daemon.stationctl(["queue", "release", id, "--lang", "en"]).output.contains("captured/"))
        let retry = try daemon.stationctl(["queue", "retry", id])
        #expect(retry.status == 5)
        #expect(retry.output.contains("queue.illegal_transition"))
        #expect(
            try daemon.stationctl(["queue", "cancel", id, "--reason", "duplicate", "--lang", "en"]).output.contains(
                "cancelled/"))
        let status = try #require(jsonObject(try daemon.curl("GET", "/v1/status").1))
        #expect(((status["queue"] as? [String: Any])?["byState"] as? [String: Int])?["cancelled"] == 1)

        // Reports count it (cancelled ones are not "taken").
        let report = try daemon.stationctl(["report", "daily", "--json"])
        #expect(report.status == 0)

        // Health-profile style verify on the same card.
        let (verified, verifyBody) = try daemon.curl(
            "POST", "/v1/verify", body: #"{"can":"\#(set.can)"}"#)
        #expect(verified == 200, "\(verifyBody)")
        let result = try ControlJSON.decoder().decode(VerifyResult.self, from: Data(verifyBody.utf8))
        #expect(result.maskedIDNumber.hasSuffix(String(set.idNumber.suffix(3))))
        // No CSCA on this station: verifiedOffline, which the default health policy accepts.
        #expect(result.authenticity == "verifiedOffline" && result.verdict == "accept")

        // The card leaves the reader mid-intake: the session pauses (issue 19: nothing of it is lost), says so on
        // the event stream, and nothing is stored; the card put back and read again resumes the fingers.
        let client = daemon.client()
        let started = try client.request("POST", "/v1/intake", body: Data("{}".utf8))
        let live = try started.decode(IntakeSessionWire.self)
        let read = try client.request(
            "POST", "/v1/intake/\(live.id)/card", body: Data(#"{"can":"\#(set.can)"}"#.utf8))
        #expect(read.status == 200, "\(String(decoding: read.body, as: UTF8.self))")
        #expect(try read.decode(IntakeSessionWire.self).state == "biometrics")
        card.stop()
        var paused = try client.request("GET", "/v1/intake/\(live.id)").decode(IntakeSessionWire.self)
        let removalDeadline = Date(timeIntervalSinceNow: 10)
        while paused.state != "paused" && Date() < removalDeadline {
            try await Task.sleep(for: .milliseconds(100))
            paused = try client.request("GET", "/v1/intake/\(live.id)").decode(IntakeSessionWire.self)
        }
        #expect(paused.state == "paused")
        #expect(paused.resumeStep == "biometrics")
        #expect(paused.abandonReason == nil)
        let again = try harness.startCard(arguments: ["--dataset", url.path])
        defer { again.stop() }
        var resumed = try client.request(
            "POST", "/v1/intake/\(live.id)/card", body: Data(#"{"can":"\#(set.can)"}"#.utf8))
        let reinsertDeadline = Date(timeIntervalSinceNow: 15)
        while resumed.status != 200 && Date() < reinsertDeadline {
            try await Task.sleep(for: .milliseconds(200))
            resumed = try client.request(
                "POST", "/v1/intake/\(live.id)/card", body: Data(#"{"can":"\#(set.can)"}"#.utf8))
        }
        #expect(resumed.status == 200, "\(String(decoding: resumed.body, as: UTF8.self))")
        #expect(try resumed.decode(IntakeSessionWire.self).state == "biometrics")
        let cancelled = try client.request("DELETE", "/v1/intake/\(live.id)")
        #expect(try cancelled.decode(IntakeSessionWire.self).state == "abandoned")
        let after = try #require(jsonObject(try daemon.curl("GET", "/v1/status").1))
        #expect((after["queue"] as? [String: Any])?["total"] as? Int == 1)

        // Logs never carry the ID number or the name.
        #expect(!daemon.log.contains(set.idNumber))
        #expect(!daemon.log.contains(set.fullName))
        #expect(daemon.stop() == 0)
    }

    /// A real, decodable JPEG photo of the dimensions (`SamplePhoto`): the daemon decodes and normalises portraits.
    static func syntheticJPEG(width: Int, height: Int) -> Data {
        SamplePhoto(width: width, height: height).jpeg()
    }
}
