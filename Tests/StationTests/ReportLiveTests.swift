import ControlAPI
import Foundation
import Intake
import Queue
import StationTestKit
import Testing

/// `stationctl survey import` and `stationctl report` against a running daemon: the seed's table in table, JSON and
/// CSV form, refusals with line and column, the Saturday–Friday week.
@Suite(.serialized) struct ReportLiveTests {
    static let header =
        "commune_code,commune_name,as_of,citizens_14_plus,level1_activated,level1_pending,"
        + "level2_activated,level2_pending"

    /// A file readable by `nobody` (setpriv callers).
    func write(_ data: Data, _ name: String) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("report-\(getpid())-\(name)").path
        try data.write(to: URL(fileURLWithPath: path))
        chmod(path, 0o644)
        return path
    }

    @Test func surveyImportThenTheSeedTableInEveryFormat() throws {
        // The machine's zone is not Vietnam's: days are still Asia/Ho_Chi_Minh days.
        var environment = ProcessInfo.processInfo.environment
        environment["TZ"] = "America/Los_Angeles"
        let daemon = try DaemonUnderTest(name: "reports", environment: environment)
        try daemon.start()
        defer { _ = daemon.stop() }
        let survey = Data(
            ([0xEF, 0xBB, 0xBF] as [UInt8])
                + Array(
                    (Self.header + "\r\n" + "16000,Thị Trấn Chũ,2026-11-23,13067,62,27,507,2901\r\n"
                        + "16001,\"Xã Cẩm Sơn, Lục Ngạn\",2026-11-23,4067,7,7,36,604\r\n").utf8))
        let file = try write(survey, "good.csv")
        defer { try? FileManager.default.removeItem(atPath: file) }
        // An officer may not import; a supervisor may.
        let officer = try daemon.stationctl(
            ["survey", "import", file], asGroups: [TestGroups.socket, TestGroups.operators])
        #expect(officer.status == 3, "\(officer.output)")
        let imported = try daemon.stationctl(
            ["survey", "import", file, "--lang", "en"], asGroups: [TestGroups.socket, TestGroups.supervisors])
        #expect(imported.status == 0, "\(imported.output)")
        #expect(imported.output.contains("Imported 2 communes (2 new"))

        // A Windows-1258 file changing a figure: refused with line and column, nothing imported.
        var legacy = Data((Self.header + "\n16000,Th").utf8)
        legacy.append(contentsOf: [0xD2, 0x20])  // "Thị" in Windows-1258 is not UTF-8
        legacy.append(Data("Tran Chu,2026-11-23,99999,1,1,1,1\n".utf8))
        let bad = try write(legacy, "legacy.csv")
        defer { try? FileManager.default.removeItem(atPath: bad) }
        let refused = try daemon.stationctl(["survey", "import", bad])
        #expect(refused.status == 6)
        #expect(refused.output.contains("dòng 2, cột 9 [survey.encoding]"), "\(refused.output)")
        #expect(refused.output.contains("[survey.invalid]"))
        let badNumber = try write(Data((Self.header + "\n16000,Chũ,2026-11-23,13067,62,27,507,2.901\n").utf8), "n.csv")
        defer { try? FileManager.default.removeItem(atPath: badNumber) }
        let refusedNumber = try daemon.stationctl(["survey", "import", badNumber, "--lang", "en"])
        #expect(refusedNumber.output.contains("line 2, column 8 [survey.number]"), "\(refusedNumber.output)")

        // JSON: the seed's columns, remaining computed; the intake lines still there.
        let json = try daemon.stationctl(["report", "daily", "--date", "2026-11-24", "--format", "json"])
        let object = try #require(jsonObject(json.output))
        #expect(object["lines"] is [Any])
        let seed = try #require(object["seedTable"] as? [[String: Any]])
        #expect(seed.count == 2)
        #expect(seed.first?["communeName"] as? String == "Thị Trấn Chũ")
        #expect(seed.first?["citizens14Plus"] as? Int == 13067)  // the refused import changed nothing
        #expect(seed.map { $0["remaining"] as? Int } == [9570, 3413])  // the seed's own figures

        // CSV for Excel: BOM, the seed's header exactly, Vietnamese intact.
        let csvPath = daemon.directory.appendingPathComponent("daily.csv").path
        let csv = try daemon.stationctl(
            ["report", "daily", "--date", "2026-11-24", "--format", "csv", "--out", csvPath])
        #expect(csv.status == 0, "\(csv.output)")
        let bytes = try Data(contentsOf: URL(fileURLWithPath: csvPath))
        #expect(Array(bytes.prefix(3)) == [0xEF, 0xBB, 0xBF])
        let text = try #require(String(data: bytes.dropFirst(3), encoding: .utf8))
        let rows = text.components(separatedBy: "\r\n")
        #expect(
            rows[0]
                == "Mã xã,Tên xã,Tổng số công dân trên 14 tuổi,Số đã kích hoạt mức 1,Số chờ kích hoạt mức 1,"
                + "Số đã kích hoạt mức 2,Số chờ kích hoạt mức 2,Số còn lại phải vận động kích hoạt,"
                + "Tổng số phải thực hiện trong ngày")
        #expect(rows[1] == "16000,Thị Trấn Chũ,13067,62,27,507,2901,9570,")
        #expect(rows[2] == "16001,\"Xã Cẩm Sơn, Lục Ngạn\",4067,7,7,36,604,3413,")

        // HTML: one page, opened from the file in headless Chromium with no server: no script, no network
        // request, no console error; the seed's figures read back from the page; a PNG of it kept.
        let htmlPath = daemon.directory.appendingPathComponent("daily.html").path
        let html = try daemon.stationctl(
            ["report", "daily", "--date", "2026-11-24", "--format", "html", "--out", htmlPath])
        #expect(html.status == 0, "\(html.output)")
        let page = try Data(contentsOf: URL(fileURLWithPath: htmlPath))
        #expect(page.count < 300_000, "\(page.count) B")
        print("report page: \(page.count) B")
        let artifacts = LivePCSC.packageRoot.appendingPathComponent(".build/artifacts/reports").path
        try FileManager.default.createDirectory(atPath: artifacts, withIntermediateDirectories: true)
        let browser = try runTool(
            ConsoleBrowserTests.python,
            [
                LivePCSC.packageRoot.appendingPathComponent("Tests/Browser/report_page.py").path, htmlPath,
                artifacts + "/report-daily.png",
            ], timeout: 120)
        #expect(browser.status == 0, "\(browser.output)")
        let line = browser.output.split(separator: "\n").last { $0.hasPrefix("{") }.map(String.init) ?? "{}"
        let shown = try #require(jsonObject(line))
        let seedShown = try #require(shown["seed"] as? [String: [String: String]])
        #expect(seedShown["16000"]?["remaining"] == "9570" && seedShown["16001"]?["remaining"] == "3413")
        #expect(seedShown["16000"]?["citizens14Plus"] == "13067")
        #expect((shown["trendDays"] as? [String])?.count == 14)
        #expect((shown["trendDays"] as? [String])?.last == "2026-11-24")
        #expect(shown["coverageBars"] as? Int == 2)
        #expect(shown["lang"] as? String == "vi")
        #expect(FileManager.default.fileExists(atPath: artifacts + "/report-daily.png"))
        // PDF of the same page, printed by Chromium.
        let pdfPath = daemon.directory.appendingPathComponent("daily.pdf").path
        let pdf = try daemon.stationctl(
            ["report", "daily", "--date", "2026-11-24", "--format", "pdf", "--out", pdfPath], timeout: 120)
        #expect(pdf.status == 0, "\(pdf.output)")
        let printed = (try? Data(contentsOf: URL(fileURLWithPath: pdfPath))) ?? Data()
        #expect(printed.starts(with: Data("%PDF".utf8)) && printed.count > 2_000)
        let noOut = try daemon.stationctl(["report", "daily", "--format", "pdf"])
        #expect(noOut.status != 0 && noOut.output.contains("--out"))

        // Terminal table: Vietnamese headers; numbers right-aligned under "Số còn lại…" by display width.
        let table = try daemon.stationctl(["report", "daily", "--date", "2026-11-24"])
        #expect(table.status == 0)
        let lines = table.output.split(separator: "\n").map(String.init)
        let headerLine = try #require(lines.first { $0.hasPrefix("Mã xã") })
        let remainingHeader = "Số còn lại phải vận động kích hoạt"
        let headerEnd = try #require(headerLine.range(of: remainingHeader)).upperBound
        let column = headerLine[..<headerEnd].count  // graphemes = terminal columns for Vietnamese
        for prefix in ["16000", "16001", "Tổng"] {
            let row = try #require(lines.first { $0.hasPrefix(prefix) })
            #expect(row.count == column, "\(row)")  // ends with the right-aligned remaining (to-do empty)
        }
        #expect(lines.first { $0.hasPrefix("Tổng") }?.hasSuffix(" 12983") == true)
        let english = try daemon.stationctl(["report", "daily", "--date", "2026-11-24", "--lang", "en"])
        #expect(english.output.contains("Remaining to activate"))

        // The week is Saturday to Friday, ending on the Friday on or after the date.
        let week = try daemon.stationctl(["report", "weekly", "--date", "2026-11-25", "--json"])
        #expect(jsonObject(week.output)?["from"] as? String == "2026-11-21")
        #expect(jsonObject(week.output)?["through"] as? String == "2026-11-27")
        let friday = try daemon.stationctl(["report", "weekly", "--date", "2026-11-27", "--json"])
        #expect(jsonObject(friday.output)?["from"] as? String == "2026-11-21")
        let saturday = try daemon.stationctl(["report", "weekly", "--date", "2026-11-28", "--json"])
        #expect(jsonObject(saturday.output)?["through"] as? String == "2026-12-04")
        // Before the survey's day: no line.
        let before = try daemon.stationctl(["report", "daily", "--date", "2026-11-22", "--json"])
        #expect((jsonObject(before.output)?["seedTable"] as? [Any])?.isEmpty == true)
    }

    @Test func quotasGiveToDoTodayAndTheCampaignProgress() throws {
        let daemon = try DaemonUnderTest(
            name: "quotas",
            extraConfig: """
                [quota]
                commune_daily = 120
                commune_daily_by_code = 16001:40
                phases = gd1:2026-11-01..2026-11-30:500; gd2:2026-12-01..2026-12-31:900

                """)
        try daemon.start()
        defer { _ = daemon.stop() }
        let file = try write(
            Data(
                (Self.header + "\n16000,Thị Trấn Chũ,2026-11-23,13067,62,27,507,2901\n"
                    + "16001,Xã Cẩm Sơn,2026-11-23,4067,7,7,36,604\n").utf8), "quota.csv")
        defer { try? FileManager.default.removeItem(atPath: file) }
        #expect(try daemon.stationctl(["survey", "import", file]).status == 0)
        let report = try daemon.stationctl(["report", "daily", "--date", "2026-11-24", "--json"])
        let json = try #require(jsonObject(report.output))
        let seed = try #require(json["seedTable"] as? [[String: Any]])
        #expect(seed.map { $0["toDoToday"] as? Int } == [120, 40])
        let campaign = try #require(json["campaign"] as? [String: Any])
        #expect(campaign["phase"] as? String == "gd1")
        #expect(campaign["achieved"] as? Int == 0 && campaign["remaining"] as? Int == 500)
        #expect(campaign["daysLeft"] as? Int == 6 && campaign["perDayNeeded"] as? Int == 84)
        let csvPath = daemon.directory.appendingPathComponent("q.csv").path
        let csv = try daemon.stationctl(
            ["report", "daily", "--date", "2026-11-24", "--format", "csv", "--out", csvPath])
        #expect(csv.status == 0)
        let text = String(decoding: try Data(contentsOf: URL(fileURLWithPath: csvPath)).dropFirst(3), as: UTF8.self)
        #expect(text.components(separatedBy: "\r\n")[1] == "16000,Thị Trấn Chũ,13067,62,27,507,2901,9570,120")
        let table = try daemon.stationctl(["report", "daily", "--date", "2026-11-24"])
        #expect(table.output.contains("Đợt gd1 (2026-11-01…2026-11-30): đã kích hoạt 0/500, còn 500, cần 84/ngày"))
        #expect(table.output.split(separator: "\n").contains { $0.hasPrefix("Tổng") && $0.hasSuffix(" 160") })
        // Outside every phase: no campaign block.
        let laterReport = try daemon.stationctl(["report", "daily", "--date", "2027-01-02", "--json"])
        let later = try #require(jsonObject(laterReport.output))
        #expect(later["campaign"] == nil)
    }
    /// #22 items 2, 4, 6: the breakdowns, the quotas per official and team and the campaign report through
    /// `stationctl report`, from a store filled before the daemon starts (the machine's zone not Vietnam's).
    @Test func breakdownsQuotasAndTheCampaignInEveryFormat() throws {
        var environment = ProcessInfo.processInfo.environment
        environment["TZ"] = "America/Los_Angeles"
        let daemon = try DaemonUnderTest(
            name: "breakdowns",
            extraConfig: """
                [quota]
                officer_daily = 20..50
                team_daily = 60
                phases = gd1:2026-11-20..2026-11-29:100; gd2:2026-11-30..2026-12-10:200

                """, environment: environment)
        let root = daemon.directory.path
        do {
            try FileManager.default.createDirectory(atPath: root + "/state", withIntermediateDirectories: true)
            final class Now: @unchecked Sendable { var date = Date() }
            let now = Now()
            let queue = try ApplicationQueue(
                configuration: .init(
                    databasePath: root + "/state/queue.sqlite", keyFilePath: root + "/state/queue.key",
                    now: { now.date }))
            let boss = QueueActor.supervisor(OperatorID("supervisor-1"))
            for account in ["nva", "ttb"] {
                try queue.addOperator(
                    OperatorRecord(
                        account: account, staffNumber: "CA-\(account)", fullName: "Cán bộ \(account)",
                        unit: "CA xã Cẩm Sơn", team: "Tổ 1", communeCode: "16001"), by: boss)
            }
            // 2026-11-24 00:00 in Hà Nội = 2026-11-23 17:00 UTC.
            let tuesday = Date(timeIntervalSince1970: 1_795_453_200)
            func take(_ account: String, _ hours: Double, _ bundle: ServiceBundle, _ end: [(Double, CentralState)])
                throws
            {
                now.date = tuesday + hours * 3600
                var application = SampleApplications.application(
                    capturedAt: now.date, fingerprints: SampleApplications.indexFingers(recordBytes: 50),
                    priorityGroup: .students, operatorID: account,
                    point: RegistrationPoint(communeCode: "16001", kind: .fixed, placeName: "Nhà văn hóa"))
                application.bundle = bundle
                try queue.commit(application, by: .officer(OperatorID(account)))
                for local: LocalState in [.ready, .batched, .uploaded] {
                    try queue.transition(
                        application.id, to: ApplicationStatus(local: local, central: .unknown), by: .system)
                }
                for (at, central) in end {
                    now.date = tuesday + at * 3600
                    try queue.transition(
                        application.id, to: ApplicationStatus(local: .uploaded, central: central), by: .system)
                }
            }
            try take("nva", 9, .utility, [(10, .accepted)])
            try take("nva", 10, .twoInOne, [(16.99, .rejected(reason: "photo"))])  // 16:59 Hà Nội
            try take("nva", 11, .utility, [(12, .accepted), (23.5, .activated)])
            try take("ttb", -0.5, .utility, [(-0.4, .accepted), (0.5, .activated)])  // Monday 23:30, activated Tuesday
            try queue.recordEligibility(
                EligibilityRecord(
                    idNumber: SampleApplications.randomCitizenID(), eligibility: .ineligible(.illness), note: "",
                    recordedBy: OperatorID("nva"), recordedOn: CalendarDate(iso: "2026-11-24")!,
                    confirmedByLocalAuthority: true), communeCode: "16001", by: .officer(OperatorID("nva")))
        }
        try daemon.start()
        defer { _ = daemon.stop() }

        // JSON holds everything: the breakdowns, the quotas per official and team.
        let json = try #require(
            jsonObject(try daemon.stationctl(["report", "daily", "--date", "2026-11-24", "--format", "json"]).output))
        let bundles = try #require(json["bundles"] as? [[String: Any]])
        #expect(bundles.map { $0["key"] as? String } == ["2in1", "utility"])
        #expect(bundles.map { $0["taken"] as? Int } == [1, 2])
        #expect(bundles.map { $0["activatedReported"] as? Int } == [0, 2])  // ttb's Monday application counts Tuesday
        #expect((json["rejections"] as? [[String: Any]])?.first?["key"] as? String == "photo")
        let officers = try #require(json["officers"] as? [[String: Any]])
        let quotas = officers.map { $0["quota"] as? [String: Any] }
        #expect(quotas.map { $0?["quota"] as? Int } == [20, 20])
        #expect(quotas.map { $0?["mostPerDay"] as? Int } == [50, 50])
        #expect(quotas.map { $0?["remaining"] as? Int } == [17, 20])
        #expect(quotas.map { $0?["perDayToFinishPhase"] as? Int } == [40, 40])  // (200-3)/5, (200-1)/5 rounded up
        let team = try #require((json["teams"] as? [[String: Any]])?.first?["quota"] as? [String: Any])
        #expect(
            team["quota"] as? Int == 60 && team["remaining"] as? Int == 57 && team["perDayToFinishPhase"] as? Int == 120
        )

        // --table NAME in CSV: UTF-8 with BOM, Vietnamese headers from the catalog, Vietnamese intact.
        func csv(_ arguments: [String]) throws -> [String] {
            let path = daemon.directory.appendingPathComponent("t.csv").path
            let run = try daemon.stationctl(["report"] + arguments + ["--format", "csv", "--out", path])
            #expect(run.status == 0, "\(run.output)")
            let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
            #expect(Array(bytes.prefix(3)) == [0xEF, 0xBB, 0xBF])
            return try #require(String(data: bytes.dropFirst(3), encoding: .utf8)).components(separatedBy: "\r\n")
        }
        let bundleRows = try csv(["daily", "--date", "2026-11-24", "--table", "bundles"])
        #expect(bundleRows[0] == "Gói dịch vụ,Tiếp nhận,Chờ,Duyệt,Kích hoạt,Từ chối,Kích hoạt trong kỳ")
        #expect(bundleRows[1] == "2 trong 1 (CCCD + định danh),1,0,0,0,1,0")
        #expect(bundleRows[2] == "1 tiện ích (định danh điện tử),2,0,1,1,0,2")
        let refusalRows = try csv(["daily", "--date", "2026-11-24", "--table", "refusals"])
        #expect(refusalRows[0] == "Phân loại,Lý do,Số công dân,Đã được địa phương xác nhận")
        #expect(refusalRows[1] == "Không đủ điều kiện,\"ốm đau, bệnh nặng\",1,1")
        let officerRows = try csv(["daily", "--date", "2026-11-24", "--table", "officers"])
        #expect(officerRows[0].hasSuffix(",Chỉ tiêu kỳ,Còn thiếu,Cần mỗi ngày"))
        #expect(officerRows[1] == "nva,CA-nva,Cán bộ nva,Tổ 1,3,0,1,1,1,20,17,40")
        let phaseRows = try csv(["campaign", "--date", "2026-12-02", "--table", "phases"])
        #expect(phaseRows[0] == "Giai đoạn,Từ ngày,Đến ngày,Chỉ tiêu,Đã đạt,Còn lại,Số ngày còn lại,Cần mỗi ngày")
        #expect(phaseRows[1] == "gd1,2026-11-20,2026-11-29,100,2,98,0,0")
        #expect(phaseRows[2] == "gd2,2026-11-30,2026-12-10,200,0,200,8,25")
        // The terminal table: the seed's table by default; a breakdown by name, with its total.
        let table = try daemon.stationctl(["report", "daily", "--date", "2026-11-24", "--table", "priority"])
        #expect(table.output.contains("Theo nhóm ưu tiên — báo cáo ngày 2026-11-24…2026-11-24"), "\(table.output)")
        #expect(table.output.contains("học sinh sinh 2005–2009"))
        let campaign = try #require(
            jsonObject(try daemon.stationctl(["report", "campaign", "--date", "2026-12-02", "--json"]).output))
        #expect(campaign["from"] as? String == "2026-11-20" && campaign["through"] as? String == "2026-12-02")
        #expect((campaign["bundles"] as? [[String: Any]])?.map { $0["taken"] as? Int } == [1, 3])

        // HTML: the new sections in the page, read back from the DOM in headless Chromium.
        let htmlPath = daemon.directory.appendingPathComponent("campaign.html").path
        let html = try daemon.stationctl(
            ["report", "campaign", "--date", "2026-12-02", "--format", "html", "--out", htmlPath])
        #expect(html.status == 0, "\(html.output)")
        let artifacts = LivePCSC.packageRoot.appendingPathComponent(".build/artifacts/reports").path
        try FileManager.default.createDirectory(atPath: artifacts, withIntermediateDirectories: true)
        let browser = try runTool(
            ConsoleBrowserTests.python,
            [
                LivePCSC.packageRoot.appendingPathComponent("Tests/Browser/report_page.py").path, htmlPath,
                artifacts + "/report-campaign.png",
            ], timeout: 120)
        #expect(browser.status == 0, "\(browser.output)")
        let line = browser.output.split(separator: "\n").last { $0.hasPrefix("{") }.map(String.init) ?? "{}"
        let shown = try #require(jsonObject(line)?["tables"] as? [String: [String: [String: String]]])
        #expect(shown["bundles-table"]?["utility"]?["activatedReported"] == "2")
        #expect(shown["bundles-table"]?["utility"]?["taken"] == "3")
        #expect(shown["refusals-table"]?["illness"]?["confirmed"] == "1")
        #expect(shown["rejections-table"]?["photo"]?["count"] == "1")
        #expect(shown["officers-table"]?["nva"]?["quota"] == String(20 * 13))
        #expect(shown["phases-table"]?["gd2"]?["perDayNeeded"] == "25")
        #expect(shown["phases-table"]?["gd1"]?["achieved"] == "2")
    }
}
