import ControlAPI
import Foundation
import Intake
import Queue
import StationTestKit
import Testing

/// The console's supervisor screens, the station screen's figures and the English switch, in Debian's Chromium
/// (`Tests/Browser/console_supervisor.py`) against the real daemon with the TCP listener, two accounts made here
/// (an operator and a supervisor, logged in through PAM) and two applications taken today in commune 16000, whose
/// daily quota is 120; the station enrolled with a central that is gone since (the stall line, an export to a
/// folder). Screenshots in `.build/artifacts/console/`. Part of `ConsoleBrowserTests`, whose tests run
/// one at a time: they make local accounts and groups of the same names.
extension ConsoleBrowserTests {
    static let supervisorDriver = LivePCSC.packageRoot.appendingPathComponent("Tests/Browser/console_supervisor.py")
        .path
    static let surveyHeader =
        "commune_code,commune_name,as_of,citizens_14_plus,level1_activated,level1_pending,"
        + "level2_activated,level2_pending"

    @Test(.timeLimit(.minutes(4))) func aSupervisorUsesTheSupervisorScreenAndAnOperatorCannot() throws {
        #expect(
            FileManager.default.isExecutableFile(atPath: Self.python),
            "Selenium is not installed: run `make selenium`")
        let receiver = try CentralReceiverProcess.forStation()
        let daemon = try DaemonUnderTest(
            name: "console-supervisor", uploadingTo: receiver,
            extraConfig: "[listener]\nenabled = true\nport = 0\n[quota]\ncommune_daily = 120\n")
        // Enrolled while the central answers (the first cycle has nothing to send), then the central is gone.
        try daemon.start()
        let enrolled = Date()
        while try UploadStatusProbe.read(daemon)?.state != "idle" && Date().timeIntervalSince(enrolled) < 20 {
            usleep(100_000)
        }
        #expect(daemon.stop() == 0)
        receiver.process.stop()
        let root = daemon.directory.path
        var ids: [String] = []
        do {
            try FileManager.default.createDirectory(atPath: root + "/state", withIntermediateDirectories: true)
            let queue = try ApplicationQueue(
                configuration: .init(databasePath: root + "/state/queue.sqlite", keyFilePath: root + "/state/queue.key")
            )
            for index in 0..<2 {
                let application = SampleApplications.application(
                    capturedAt: Date() - Double(index) * 60, operatorID: "canbo-\(index)",
                    point: RegistrationPoint(communeCode: "16000", kind: .fixed, placeName: "Trụ sở công an xã"))
                try queue.commit(application, by: .system)
                ids.append(application.id.text)
            }
        }
        try daemon.start()
        defer { _ = daemon.stop() }
        let survey = daemon.directory.appendingPathComponent("survey.csv")
        try Data((Self.surveyHeader + "\n16000,Thị Trấn Chũ,2026-01-05,13067,62,27,507,2901\n").utf8).write(to: survey)
        let imported = try daemon.stationctl(["survey", "import", survey.path])
        #expect(imported.status == 0, "\(imported.output)")
        let port = try daemon.listenerPort()

        let operatorAccount = try TestAccount(gid: TestGroups.operators, suffix: "o")
        let supervisorAccount = try TestAccount(gid: TestGroups.supervisors, suffix: "v")
        let passwords = daemon.directory.appendingPathComponent("passwords.json")
        try JSONSerialization.data(
            withJSONObject: ["operator": operatorAccount.password, "supervisor": supervisorAccount.password]
        ).write(to: passwords)
        chmod(passwords.path, 0o600)
        let run = try runTool(
            Self.python,
            [
                Self.supervisorDriver, "http://127.0.0.1:\(port)", operatorAccount.name, supervisorAccount.name,
                passwords.path,
                Self.artifacts, ids[0], root + "/usb",
            ], timeout: 200)
        print("console supervisor: \(run.output)")
        #expect(run.status == 0, "\(run.output)\n\(daemon.log)")
        let line = run.output.split(separator: "\n").last { $0.hasPrefix("{") }.map(String.init) ?? "{}"
        let seen = try #require(jsonObject(line))

        // The catalog's words, in both languages, as the pages must show them.
        let vietnamese = try Self.consoleTerms(port: port, language: "vi")
        let english = try Self.consoleTerms(port: port, language: "en")
        func word(_ names: [String: [ConsoleTermWire]], _ family: String, _ value: String) -> String? {
            names[family]?.first { $0.value == value }?.name
        }

        // The station screen: today's two applications in 16000 against its quota of 120; no freeze rule broken.
        #expect(seen["figuresCommune"] as? String == "16000")
        #expect((seen["figures"] as? [[String]])?.first.map { Array($0.suffix(2)) } == ["2", "120"])
        #expect(seen["uploadState"] as? String == "uploading")
        #expect(seen["uploadStateText"] as? String == word(vietnamese, "upload", "uploading"))
        #expect(seen["freeze"] as? String == word(vietnamese, "text", "freezeNone"))

        // The operator: no link, nothing of the supervisor's drawn, and the API refuses the forged calls.
        #expect(seen["operatorSupervisorLink"] as? Bool == false)
        #expect(seen["operatorScreensShown"] as? Bool == false)
        #expect(seen["operatorButtons"] as? Int == 0)
        #expect(seen["operatorNotice"] as? String == word(vietnamese, "text", "needsSupervisor"))
        #expect(seen["operatorCancelStatus"] as? Int == 403)
        #expect(seen["operatorAddStatus"] as? Int == 403)
        #expect(seen["operatorClientsStatus"] as? Int == 403)

        // The supervisor: today's applications, one cancelled with a reason; the report in its sandboxed frame.
        #expect(seen["reviewRows"] as? Int == 2)
        #expect((seen["supervisorButtons"] as? [String]).map { Set($0).isSuperset(of: ["hold", "cancel"]) } == true)
        #expect(seen["cancelledText"] as? String == word(vietnamese, "local", "cancelled"))
        #expect((seen["reportSrc"] as? String)?.contains("/v1/reports/daily/html?lang=vi") == true)
        #expect(seen["reportSandbox"] as? String == "")
        #expect((seen["reportHeading"] as? String)?.isEmpty == false)
        #expect((seen["reportFields"] as? Int ?? 0) > 0)
        #expect((seen["unnamedControls"] as? [String]) == [])
        let shown = try daemon.curl("GET", ControlPaths.queue + "/" + ids[0])
        let detail = try ControlJSON.decoder().decode(ApplicationDetailWire.self, from: Data(shown.1.utf8))
        #expect(detail.item.local == "cancelled")
        #expect(detail.history?.contains { $0.actor.contains(supervisorAccount.name) } == true, "\(shown.1)")

        // The officer's record and the client token, made and ended from the page.
        #expect((seen["officerAdded"] as? String)?.contains("canbo-moi") == true)
        #expect(seen["officerDisabled"] as? Bool == true)
        let officers = try ControlJSON.decoder().decode(
            [OperatorWire].self, from: Data(try daemon.curl("GET", ControlPaths.operators).1.utf8))
        #expect(
            officers.first { $0.account == "canbo-moi" }.map { $0.disabled && $0.fullName == "Trần Thị Bình" } == true)
        #expect(officers.first { $0.account == "canbo-moi" }?.createdBy.contains(supervisorAccount.name) == true)
        #expect((seen["tokenShown"] as? String)?.contains("quay-y-te-1") == true)
        #expect(seen["tokenRevoked"] as? Bool == true)
        let clients = try ControlJSON.decoder().decode(
            [ClientWire].self, from: Data(try daemon.curl("GET", ControlPaths.clients).1.utf8))
        #expect(clients.first { $0.name == "quay-y-te-1" }?.revokedBy?.contains(supervisorAccount.name) == true)

        // The English switch: the catalog's English words on this page and, kept, on the next ones.
        #expect(seen["htmlLangVi"] as? String == "vi")
        #expect(seen["stationTitleVi"] as? String == word(vietnamese, "text", "devicesHeading"))
        #expect(seen["supervisorTitleVi"] as? String == word(vietnamese, "text", "reviewHeading"))
        #expect(seen["supervisorTitleEn"] as? String == word(english, "text", "reviewHeading"))
        #expect(seen["supervisorTitleEn"] as? String != seen["supervisorTitleVi"] as? String)
        #expect(seen["cancelledTextEn"] as? String == word(english, "local", "cancelled"))
        #expect(seen["languageButtonEn"] as? String == word(english, "text", "languageSwitch"))
        #expect(seen["stationLangEn"] as? String == "en")
        #expect(seen["stationTitleEn"] as? String == word(english, "text", "devicesHeading"))
        #expect((seen["countdownEn"] as? String)?.contains("min") == true)
        #expect(seen["queueCaptionEn"] as? String == word(english, "text", "queueCaption"))
        // The central gone: the stall line, worded by the daemon; the export of what was left (one application, the
        // other cancelled) followed to its end.
        let stall = seen["stallEn"] as? String ?? ""
        #expect(
            stall.range(
                of: #"^No answer from the central for \d+ s, (retrying in \d+ s|retrying now)\.$"#,
                options: .regularExpression) != nil, "\(stall)")
        let exported = seen["exportEn"] as? String ?? ""
        #expect(
            exported.range(
                of: #"^Export done: 1/1 applications, 3 files \(\d+ KB\) to .*/usb\.$"#, options: .regularExpression)
                != nil, "\(exported)")
        let left = try daemon.curl("GET", ControlPaths.queue + "/" + ids[1])
        let leftDetail = try ControlJSON.decoder().decode(ApplicationDetailWire.self, from: Data(left.1.utf8))
        #expect(leftDetail.item.local == "exported")
        for name in [
            "station-operator", "supervisor-as-operator", "supervisor", "supervisor-english", "station-english",
        ] {
            #expect(FileManager.default.fileExists(atPath: Self.artifacts + "/console-\(name).png"))
        }
        #expect(!daemon.log.contains(operatorAccount.password) && !daemon.log.contains(supervisorAccount.password))
    }

    /// The report page route: the same HTML as `stationctl report --format html`, with a CSP that loads nothing
    /// and lets only the station's own pages frame it; `lang` chooses the language, anything else is refused.
    @Test func theReportPageIsTheReportHTMLWithNothingToLoad() throws {
        let daemon = try DaemonUnderTest(name: "report-page")
        try daemon.start()
        defer { _ = daemon.stop() }
        let page = try runTool(
            "/usr/bin/curl",
            [
                "-s", "-D", "-", "--unix-socket", daemon.socketPath,
                "http://station\(ControlPaths.reports)/daily/html?date=2026-11-24&lang=en",
            ])
        #expect(page.output.contains("Content-Security-Policy: default-src 'none'; style-src 'unsafe-inline'"))
        #expect(page.output.contains("frame-ancestors 'self'"))
        #expect(page.output.lowercased().contains("content-type: text/html; charset=utf-8"))
        #expect(page.output.contains("<html lang=\"en\">"))
        #expect(!page.output.contains("<script"))
        let cli = try daemon.stationctl(["report", "daily", "--lang", "en", "--date", "2026-11-24", "--format", "html"])
        let heading = cli.output.split(separator: "\n").first { $0.hasPrefix("<h1>") }
        #expect(heading != nil && page.output.contains(String(heading ?? "")))
        let vietnamese = try daemon.curl("GET", ControlPaths.reports + "/daily/html?date=2026-11-24")
        #expect(vietnamese.0 == 200 && vietnamese.1.contains("<html lang=\"vi\">"))
        let refused = try daemon.curl("GET", ControlPaths.reports + "/daily/html?lang=fr")
        #expect(refused.0 == 400 && errorCode(refused.1) == "control.bad_request", "\(refused)")
        let outsider = try daemon.curl("GET", ControlPaths.reports + "/daily/html", asGroups: [TestGroups.socket])
        #expect(outsider.0 == 403)
        let freeze = try daemon.curl("GET", ControlPaths.freeze, headers: ["Accept-Language: en"])
        #expect(freeze.0 == 200 && freeze.1.trimmingCharacters(in: .whitespacesAndNewlines) == "[]", "\(freeze)")
    }

    static func consoleTerms(port: Int, language: String) throws -> [String: [ConsoleTermWire]] {
        let answer = try runTool(
            "/usr/bin/curl",
            ["-s", "-H", "Accept-Language: \(language)", "http://127.0.0.1:\(port)" + ControlPaths.consoleTerms])
        return try JSONDecoder().decode([String: [ConsoleTermWire]].self, from: Data(answer.output.utf8))
    }
}
