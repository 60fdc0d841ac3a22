import ControlAPI
import Foundation
import StationTestKit
import Testing

/// One commune per session, not per install (issue 19 item 7), through the real daemon, the simulated card and
/// `stationctl`: the configured communes and hamlets are offered, a session started for the second commune and a
/// hamlet commits an application counted there in the report (issue 22's table by hamlet), and a commune the station
/// is not configured for is refused with its code and the allowed communes.
@Suite(.serialized)
struct PlacesLiveTests {
    let lease: LivePCSC.Lease
    var harness: PCSCHarness { lease.harness }
    init() async throws { lease = try await LivePCSC.acquire() }

    @Test(.timeLimit(.minutes(10))) func aSessionForASecondCommuneAndHamletIsCountedThere() async throws {
        let daemon = try DaemonUnderTest(
            name: "places",
            extraConfig: "[point]\ncommune_code = 26734\ncommunes = 26734, 26737\nhamlets = 26737: Xóm 1, Xóm Bãi\n",
            environment: harness.clientEnvironment)
        try daemon.start()
        defer { _ = daemon.stop() }

        let (status, body) = try daemon.curl("GET", "/v1/places", asGroups: OperatorIdentityTests.operators)
        #expect(status == 200, "\(body)")
        let places = try ControlJSON.decoder().decode(PlacesWire.self, from: Data(body.utf8))
        #expect(
            places
                == PlacesWire(
                    defaultCommune: "26734",
                    communes: [.init(code: "26734", hamlets: []), .init(code: "26737", hamlets: ["Xóm 1", "Xóm Bãi"])]))

        // A commune the station does not serve: refused before anything starts, naming the allowed ones.
        let refused = try daemon.stationctl(
            ["intake", "--commune", "99999", "--can", "123456", "--phone", "0912345678"],
            asGroups: OperatorIdentityTests.operators)
        #expect(refused.status != 0)
        #expect(
            refused.output.contains(
                "Trạm không được cấu hình để tiếp nhận cho xã 99999. Chọn một trong các xã: 26734, 26737. "
                    + "[intake.commune_not_served]"), "\(refused.output)")
        let (code, english) = try daemon.curl(
            "POST", "/v1/intake", body: #"{"commune":"26737","hamlet":"Thôn Đông"}"#,
            headers: ["Accept-Language: en"])
        #expect(code == 400 && errorCode(english) == "intake.hamlet_not_served", "\(english)")
        #expect(english.contains("Choose one of: Xóm 1, Xóm Bãi"), "\(english)")

        // The second commune and a hamlet, typed as people type it: committed there.
        let portrait = daemon.directory.appendingPathComponent("portrait.jpg")
        try IntakeLiveTests.syntheticJPEG(width: 480, height: 640).write(to: portrait)
        let committed = try await operatorIntakeAnswer(
            "nguyen-van-an.json", daemon: daemon, harness: harness, portrait: portrait,
            options: ["--commune", "26737", "--hamlet", "xóm bãi"])
        #expect(committed.state == "committed" && committed.communeCode == "26737" && committed.hamlet == "Xóm Bãi")
        let id = try #require(committed.applicationID)
        let shown = try daemon.stationctl(["queue", "ls", "--json"])
        let page = try ControlJSON.decoder().decode(QueuePageWire.self, from: Data(shown.output.utf8))
        #expect(page.items.first { $0.id == id }?.communeCode == "26737")

        // Counted under that commune and hamlet, in JSON and in the terminal table.
        let json = try daemon.stationctl(["report", "daily", "--format", "json"])
        let report = try ControlJSON.decoder().decode(ReportWire.self, from: Data(json.output.utf8))
        #expect(
            report.hamlets
                == [
                    HamletLineWire(
                        communeCode: "26737", hamlet: "Xóm Bãi", taken: 1, uploaded: 0, accepted: 0, activated: 0,
                        rejected: 0, activatedReported: 0)
                ])
        #expect(report.lines.map(\.communeCode) == ["26737"])
        let table = try daemon.stationctl(["report", "daily", "--table", "hamlets"])
        #expect(table.status == 0, "\(table.output)")
        #expect(table.output.contains("Thôn/xóm") && table.output.contains("Xóm Bãi"), "\(table.output)")
        // The supervisor's page: the table by hamlet, its numbers by data-field.
        let htmlPath = daemon.directory.appendingPathComponent("daily.html").path
        let html = try daemon.stationctl(["report", "daily", "--format", "html", "--out", htmlPath])
        #expect(html.status == 0, "\(html.output)")
        let shownPage = try String(contentsOfFile: htmlPath, encoding: .utf8)
        #expect(shownPage.contains("<h2>Theo thôn/xóm</h2>\n<table id=\"hamlets-table\">"), "\(shownPage)")
        #expect(
            shownPage.contains(
                "<tr data-key=\"26737/Xóm Bãi\"><td>26737</td><td>Xóm Bãi</td><td class=\"n\" data-field=\"taken\">1</td>"
            ), "\(shownPage)")
    }
}
