import CentralAPI
import ControlAPI
import Foundation
import Intake
import Station
import StationTestKit
import Testing

/// The daily report sent to the central (issue 22, item 7) by the real daemon to a real `central-receiver`: the
/// link down at the due time (every signed request answered 503), the report frozen and waiting, the daemon
/// restarted, the link back: the receiver holds it exactly once; `stationctl status` says where it is.
@Suite(.serialized) struct ReportSendingLiveTests {
    @Test func theConfigurationCheckRefusesABadTimeWithItsKeyAndLine() throws {
        for (text, key, line) in [
            ("[report]\ndaily_at = 16h45\n", "report.daily_at", 2),
            (
                "[report]\n\nweekly_cutoff = 25:00\n",
                "report.weekly_cutoff", 3
            ),
        ] {
            let file = try temporaryFile(text)
            defer { try? FileManager.default.removeItem(atPath: file) }
            do {
                _ = try StationConfiguration.load(file: file, environment: [:])
                Issue.record("\(text) accepted")
            } catch {
                #expect(error.errors.map(\.key) == [key] && error.errors.first?.line == line, "\(error.errors)")
            }
        }
        let good = try temporaryFile("[report]\ndaily_at = 16:30\nweekly_cutoff = 15:00\n")
        defer { try? FileManager.default.removeItem(atPath: good) }
        let configuration = try StationConfiguration.load(file: good, environment: [:])
        #expect(configuration.reportSchedule.dailyAt.description == "16:30")
        #expect(configuration.reportSchedule.weeklyCutoff.description == "15:00")
    }

    struct Listed: Decodable {
        var stationID: String
        var reportID: String
        var content: String
    }

    func listing(_ receiver: CentralReceiverProcess, _ station: String) throws -> [Listed] {
        let result = try runTool(
            "/usr/bin/curl",
            ["-s", "--max-time", "10", receiver.baseURL + CentralPath.adminReports + "?station=" + station],
            timeout: 15)
        return try JSONDecoder().decode([Listed].self, from: Data(result.output.utf8))
    }

    func setFaults(_ receiver: CentralReceiverProcess, _ json: String) throws {
        let result = try runTool(
            "/usr/bin/curl",
            ["-s", "--max-time", "10", "-X", "POST", "--data-binary", json, receiver.baseURL + "/admin/faults"],
            timeout: 15)
        #expect(result.status == 0)
    }

    func reports(_ daemon: DaemonUnderTest) throws -> ReportSendingStatus? {
        let answer = try daemon.stationctl(["status", "--json"])
        return try ControlJSON.decoder().decode(StationStatus.self, from: Data(answer.output.utf8)).reports
    }

    /// Polls `condition` every 200 ms for up to `seconds`.
    func eventually(_ seconds: Double, _ condition: () throws -> Bool) rethrows -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if try condition() { return true }
            usleep(200_000)
        }
        return try condition()
    }

    @Test(.timeLimit(.minutes(3))) func aReportDueWhileTheLinkIsDownIsSentOnceWhenItReturns() throws {
        let receiver = try CentralReceiverProcess.forStation()
        // The link is down when the report falls due: every signed request is answered 503.
        try setFaults(receiver, #"{"errorRate":1,"retryAfterSeconds":1}"#)
        // Due from midnight: the report is due as soon as the daemon starts.
        let daemon = try DaemonUnderTest(
            name: "report-sending", uploadingTo: receiver, extraConfig: "[report]\ndaily_at = 00:00\n")
        let station = "station-test-report-sending"
        let today = CalendarDate(vietnamDayOf: Date())
        let id = "daily-\(today.iso)"
        try daemon.start()
        defer { daemon.stop() }

        // Produced, tried, refused by the link: waiting, nothing at the central.
        #expect(
            try eventually(30) {
                (try receiver.admin("/admin/stats") as? [String: Any])?["injected503"] as? Int ?? 0 >= 1
            })
        let waiting = try #require(try reports(daemon))
        #expect(waiting.date == today.iso && waiting.state == .waiting && waiting.producedAt != nil)
        #expect(waiting.sentAt == nil && waiting.waiting >= 1)
        let text = try daemon.stationctl(["status", "--lang", "en"]).output
        #expect(text.contains("Today's report (\(today.iso)) for the central: waiting"), "\(text)")
        #expect(try listing(receiver, station).isEmpty)

        // The daemon restarts while the report waits; the link comes back.
        daemon.stop()
        try setFaults(receiver, "{}")
        try daemon.start()
        #expect(try eventually(60) { try reports(daemon)?.state == .sent }, "\(daemon.log)")
        let sent = try #require(try reports(daemon))
        #expect(sent.sentAt != nil && sent.waiting == 0 && sent.producedAt == waiting.producedAt)
        let vietnamese = try daemon.stationctl(["status"]).output
        #expect(vietnamese.contains("Báo cáo ngày \(today.iso) gửi trung tâm: đã gửi lúc"), "\(vietnamese)")

        // Exactly once at the central, holding what the report route answers (the frozen figures).
        let listed = try listing(receiver, station)
        #expect(listed.filter { $0.reportID == id }.count == 1)
        #expect(Set(listed.map(\.reportID)).count == listed.count)
        let content = try #require(listed.first { $0.reportID == id }.flatMap { Data(base64Encoded: $0.content) })
        let report = try ControlJSON.decoder().decode(ReportWire.self, from: content)
        #expect(report.period == "daily" && report.from == today.iso && report.through == today.iso)

        // Another restart and upload: nothing produced or sent again.
        daemon.stop()
        try daemon.start()
        let upload = try daemon.stationctl(["upload", "--wait"], timeout: 60)
        #expect(upload.status == 0, "\(upload.output)")
        #expect(try listing(receiver, station).filter { $0.reportID == id }.count == 1)
        #expect(try reports(daemon)?.sentAt == sent.sentAt)
    }
}
