import ControlAPI
import Foundation
import Intake
import Queue
import Simulation
import StationTestKit
import Testing

/// The web console through the real daemon with the TCP listener on: a test account made here (`useradd`, a
/// password, in the operators' group the daemon's configuration names), logged in through PAM.
///
/// - In Debian's Chromium (headless, `chromium-driver`, Selenium from PyPI in `.build/selenium`: `make selenium`):
///   a wrong password refused in Vietnamese, the right one reaching the station screen with the officer and the
///   queue counts, the session cookie invisible to scripts, logout; any CSP violation or console error fails it;
///   screenshots in `.build/artifacts/console/`.
/// - Over curl: a state-changing request without the CSRF token is refused; five failures lock the account
///   (even the right password is refused), both audited in the store's log.
@Suite(.serialized)
struct ConsoleBrowserTests {
    static let python = LivePCSC.packageRoot.appendingPathComponent(".build/selenium/bin/python").path
    static let driver = LivePCSC.packageRoot.appendingPathComponent("Tests/Browser/console_login.py").path
    static let artifacts = LivePCSC.packageRoot.appendingPathComponent(".build/artifacts/console").path

    /// A local account in the operators' or supervisors' group, removed at the end (StationTestKit).
    typealias TestAccount = LocalAccount

    /// `curl` against the listener; the body from a file (passwords stay off the command line).
    static func curl(
        _ method: String, _ url: String, body: String? = nil, cookies: String, headers: [String] = [],
        in directory: URL
    ) throws -> (status: Int, body: String) {
        var arguments = ["-s", "-o", "-", "-w", "\n%{http_code}", "-X", method, "-b", cookies, "-c", cookies, url]
        if let body {
            let file = directory.appendingPathComponent("body-\(UUID().uuidString).json")
            try body.write(to: file, atomically: true, encoding: .utf8)
            chmod(file.path, 0o600)
            arguments += ["-H", "Content-Type: application/json", "--data-binary", "@\(file.path)"]
        }
        for header in headers { arguments += ["-H", header] }
        let result = try runTool("/usr/bin/curl", arguments)
        let lines = result.output.split(separator: "\n", omittingEmptySubsequences: false)
        return (Int(lines.last ?? "") ?? 0, lines.dropLast().joined(separator: "\n"))
    }

    /// The daemon with the listener, the simulated CCCD `dataset` through pcscd → vpcd, an operator's account, and
    /// `console_intake.py` driven against them (the password, CAN and phone from a 0600 file, never argv).
    final class ConsoleIntake {
        let lease: LivePCSC.Lease
        let account: TestAccount
        let daemon: DaemonUnderTest
        let card: ManagedProcess
        let port: Int

        init(_ name: String, dataset: URL, extraConfig: String = "") async throws {
            lease = try await LivePCSC.acquire()
            account = try TestAccount(gid: TestGroups.operators)
            daemon = try DaemonUnderTest(
                name: name, extraConfig: "[listener]\nenabled = true\nport = 0\n" + extraConfig,
                environment: lease.harness.clientEnvironment)
            try daemon.start()
            let pki = LivePCSC.packageRoot.appendingPathComponent("Devices/cards/pki").path
            card = try lease.harness.startCardReported(arguments: ["--dataset", dataset.path, "--pki", pki])
            port = try ControlJSON.decoder().decode(
                ListenerWire.self, from: Data(try daemon.curl("GET", ControlPaths.listener).1.utf8)
            ).port
        }

        deinit {
            card.stop()
            _ = daemon.stop()
        }

        /// Runs the driver; returns its exit status, output and the JSON line it printed.
        func drive(can: String, mode: [String] = [], identity: [String: String]? = nil) throws
            -> (status: Int32, output: String, result: [String: Any])
        {
            let secrets = daemon.directory.appendingPathComponent("secrets.json")
            var values: [String: Any] = ["password": account.password, "can": can, "phone": "0912345678"]
            values["identity"] = identity
            try JSONSerialization.data(withJSONObject: values).write(to: secrets)
            chmod(secrets.path, 0o600)
            let browser = try runTool(
                ConsoleBrowserTests.python,
                [
                    ConsoleBrowserTests.intakeDriver, "http://127.0.0.1:\(port)", account.name, secrets.path,
                    ConsoleBrowserTests.artifacts,
                ] + mode,
                timeout: 200)
            let line = browser.output.split(separator: "\n").last { $0.hasPrefix("{") }.map(String.init) ?? "{}"
            return (browser.status, browser.output, jsonObject(line) ?? [:])
        }
    }

    static let intakeDriver = LivePCSC.packageRoot.appendingPathComponent("Tests/Browser/console_intake.py").path
    static let an = LivePCSC.packageRoot.appendingPathComponent("Devices/cards/nguyen-van-an.json")
    static let queueDriver = LivePCSC.packageRoot.appendingPathComponent("Tests/Browser/console_queue.py").path

    /// A complete intake in the browser, through pcscd → vpcd → the simulated CCCD and the simulated fingerprint
    /// module, the portrait from Chromium's fake camera: the card's verdict shown, both index fingers, the photo,
    /// the phone, the read-back confirmed, the commit and the receipt. The application is in the queue under the
    /// logged-in officer; the intake session belongs to the officer (not to one of the browser's connections).
    @Test(.timeLimit(.minutes(10))) func officerTakesAnIntakeInChromium() async throws {
        #expect(
            FileManager.default.isExecutableFile(atPath: Self.python),
            "Selenium is not installed: run `make selenium`")
        let rig = try await ConsoleIntake("console-intake", dataset: Self.an)
        let (status, output, result) = try rig.drive(can: "012345")
        print("console intake: \(output)")
        #expect(status == 0, "\(output)\n\(rig.daemon.log)")
        // No CSCA configured: the station proves what it can (verifiedOffline), which an operator commits alone.
        #expect(result["verdict"] as? String == "verifiedOffline")
        #expect((result["verdictText"] as? String)?.isEmpty == false)
        #expect((result["readBack"] as? String)?.contains("Nguyễn Văn An") == true)
        #expect(result["receiptOfficer"] as? String == rig.account.name)
        let id = try #require(result["applicationID"] as? String)
        // The short reference under "Mã hồ sơ" names the same application.
        let reference = try #require(result["reference"] as? String)
        #expect(ShortReference(parsing: reference)?.description == reference)
        let (byReference, _) = try rig.daemon.curl("GET", ControlPaths.queue + "/" + reference)
        #expect(byReference == 200)
        for name in ["1-card", "2-card-read", "3-fingers", "4-portrait", "5-read-back", "6-receipt"] {
            #expect(FileManager.default.fileExists(atPath: Self.artifacts + "/console-intake-\(name).png"))
        }

        // In the queue, under the officer who logged in; the vocabulary came from the one catalog.
        let (shownStatus, shown) = try rig.daemon.curl("GET", ControlPaths.queue + "/" + id)
        #expect(shownStatus == 200, "\(shown)")
        let detail = try ControlJSON.decoder().decode(ApplicationDetailWire.self, from: Data(shown.utf8))
        #expect(detail.item.operatorID == rig.account.name)
        #expect(detail.authenticity == "verifiedOffline")
        let terms = try runTool("/usr/bin/curl", ["-s", "http://127.0.0.1:\(rig.port)" + ControlPaths.consoleTerms])
        let names = try JSONDecoder().decode([String: [ConsoleTermWire]].self, from: Data(terms.output.utf8))
        #expect(
            names["authenticity"]?.first { $0.value == "verifiedOffline" }?.name == result["verdictText"] as? String)
        #expect(names["refusal"]?.map(\.value).first == "under14")
        #expect(!rig.daemon.log.contains("0912345678") && !rig.daemon.log.contains(rig.account.password))

        // The queue screen: the operator sees the application and no supervisor action (the API refuses one);
        // a supervisor holds it with a reason, then releases it.
        let supervisor = try TestAccount(gid: TestGroups.supervisors, suffix: "s")
        let passwords = rig.daemon.directory.appendingPathComponent("passwords.json")
        try JSONSerialization.data(
            withJSONObject: ["operator": rig.account.password, "supervisor": supervisor.password]
        ).write(to: passwords)
        chmod(passwords.path, 0o600)
        let queue = try runTool(
            Self.python,
            [
                Self.queueDriver, "http://127.0.0.1:\(rig.port)", rig.account.name, supervisor.name, passwords.path,
                Self.artifacts, id,
            ], timeout: 200)
        print("console queue: \(queue.output)")
        #expect(queue.status == 0, "\(queue.output)\n\(rig.daemon.log)")
        let line = queue.output.split(separator: "\n").last { $0.hasPrefix("{") }.map(String.init) ?? "{}"
        let screens = try #require(jsonObject(line))
        #expect(screens["operatorState"] as? String == "captured")
        #expect(screens["operatorStateText"] as? String == names["local"]?.first { $0.value == "captured" }?.name)
        #expect((screens["operatorButtons"] as? [String])?.contains { ["hold", "cancel"].contains($0) } == false)
        #expect(screens["operatorHoldStatus"] as? Int == 403)
        #expect((screens["supervisorButtons"] as? [String]).map { Set($0).isSuperset(of: ["hold", "cancel"]) } == true)
        #expect((screens["heldButtons"] as? [String])?.contains("release") == true)
        #expect(screens["releasedState"] as? String == "captured")
    }

    /// Every bundle on the console (issue 19 item 6): the officer picks a 4-in-1, the bank from the station's list
    /// and a benefit; without the citizen's consent the page shows the daemon's refusal; with it, the read-back names
    /// the bank and the application is a 4-in-1.
    @Test(.timeLimit(.minutes(10))) func anOfficerTakesAFourInOneOnTheConsole() async throws {
        let rig = try await ConsoleIntake("console-bundle", dataset: Self.an)
        let (status, output, result) = try rig.drive(can: "012345", mode: ["bundle"])
        print("console bundle: \(output)")
        #expect(status == 0, "\(output)\n\(rig.daemon.log)")
        #expect((result["bankOptions"] as? [String])?.count == BankDirectory.all.count)
        #expect((result["bundleRefusal"] as? String)?.contains("chưa đồng ý") == true, "\(result)")
        #expect((result["readBack"] as? String)?.contains("VBSP") == true, "\(result)")
        let id = try #require(result["applicationID"] as? String)
        let (_, shown) = try rig.daemon.curl("GET", ControlPaths.queue + "/" + id)
        let detail = try ControlJSON.decoder().decode(ApplicationDetailWire.self, from: Data(shown.utf8))
        #expect(detail.item.bundle == "4in1")
    }

    /// A citizen without a card on the console (issue 19 item 6): the officer types the identity, the page offers
    /// the fingers at once and suggests the student group; the 2-in-1 is committed `noCard`.
    @Test(.timeLimit(.minutes(10))) func aCitizenWithoutACardOnTheConsole() async throws {
        let rig = try await ConsoleIntake("console-no-card", dataset: Self.an)
        let (status, output, result) = try rig.drive(
            can: "", mode: ["nocard"],
            identity: [
                "idNumber": "001307012345", "fullName": "Nguyễn Thị Lan", "dateOfBirth": "2007-03-02", "sex": "F",
            ])
        print("console no card: \(output)")
        #expect(status == 0, "\(output)\n\(rig.daemon.log)")
        #expect(result["verdict"] as? String == "noCard" && result["maskedID"] as? String == "*********345")
        #expect((result["suggestion"] as? String)?.contains("học sinh sinh 2005–2009") == true, "\(result)")
        let id = try #require(result["applicationID"] as? String)
        let (_, shown) = try rig.daemon.curl("GET", ControlPaths.queue + "/" + id)
        let detail = try ControlJSON.decoder().decode(ApplicationDetailWire.self, from: Data(shown.utf8))
        #expect(detail.authenticity == "noCard" && detail.item.bundle == "2in1" && detail.priorityGroup == nil)
    }

    /// A ten-year-old's card: the page says at once why the citizen cannot be registered (no finger asked), and
    /// the officer records the refusal in one step; the eligibility list holds it under the officer, and no
    /// application is stored.
    @Test(.timeLimit(.minutes(10))) func aTurnedAwayCitizenIsRecordedFromTheConsole() async throws {
        let child = try IntakeCoordinatorTests.childDataSet()
        defer { try? FileManager.default.removeItem(at: child) }
        let set = try CitizenDataSet.load(child)
        let rig = try await ConsoleIntake("console-refusal", dataset: child)
        let (status, output, result) = try rig.drive(can: set.can, mode: ["refusal"])
        print("console refusal: \(output)")
        #expect(status == 0, "\(output)\n\(rig.daemon.log)")
        #expect((result["problems"] as? [String])?.contains("intake.under_age") == true)
        #expect((result["ended"] as? String)?.contains("chưa đủ điều kiện") == true)
        #expect(rig.daemon.stop() == 0)
        let queue = try ApplicationQueue(
            configuration: .init(
                databasePath: rig.daemon.directory.path + "/state/queue.sqlite",
                keyFilePath: rig.daemon.directory.path + "/state/queue.key"))
        let citizen = try #require(CitizenID(set.idNumber))
        let record = try #require(try queue.eligibility(of: citizen))
        #expect(record.eligibility == .notYetEligible(.under14))
        #expect(record.recordedBy.rawValue == rig.account.name)
        #expect(try queue.summary().total == 0)
        #expect(try queue.auditTrail(for: nil).contains { $0.action == "eligibility" && $0.actor == rig.account.name })
    }

    /// A station serving several communes (issue 19 item 7): the officer chooses the session's commune and hamlet
    /// before the card, and the refusal is recorded there.
    @Test(.timeLimit(.minutes(10))) func theOfficerChoosesTheSessionsPlaceOnTheConsole() async throws {
        let child = try IntakeCoordinatorTests.childDataSet()
        defer { try? FileManager.default.removeItem(at: child) }
        let set = try CitizenDataSet.load(child)
        let rig = try await ConsoleIntake(
            "console-place", dataset: child,
            extraConfig: "[point]\ncommune_code = 26734\ncommunes = 26734, 26737\nhamlets = 26737: Xóm 1, Xóm 2\n")
        let (status, output, result) = try rig.drive(can: set.can, mode: ["place", "refusal"])
        print("console place: \(output)")
        #expect(status == 0, "\(output)\n\(rig.daemon.log)")
        #expect(
            result["placeOptions"] as? [String]
                == ["26734 — (không chọn thôn/xóm)", "26737 — (không chọn thôn/xóm)", "26737 — Xóm 1", "26737 — Xóm 2"])
        #expect(result["place"] as? [String] == ["26737", "Xóm 1"])
        #expect(rig.daemon.stop() == 0)
        let queue = try ApplicationQueue(
            configuration: .init(
                databasePath: rig.daemon.directory.path + "/state/queue.sqlite",
                keyFilePath: rig.daemon.directory.path + "/state/queue.key"))
        #expect(try queue.eligibilityCounts().keys.sorted() == ["26737"])
    }

    @Test(.timeLimit(.minutes(10))) func officerLogsInInChromium() throws {
        #expect(
            FileManager.default.isExecutableFile(atPath: Self.python),
            "Selenium is not installed: run `make selenium`")
        #expect(
            FileManager.default.isExecutableFile(atPath: "/usr/bin/chromedriver"), "apt-get install chromium-driver")
        let account = try TestAccount(gid: TestGroups.operators)
        let daemon = try DaemonUnderTest(
            name: "console", extraConfig: "[listener]\nenabled = true\nport = 0\n")
        try daemon.start()
        defer { _ = daemon.stop() }
        let listener = try ControlJSON.decoder().decode(
            ListenerWire.self, from: Data(try daemon.curl("GET", ControlPaths.listener).1.utf8))
        let base = "http://127.0.0.1:\(listener.port)"

        // The browser: wrong password, right password, the station screen, logout; CSP and console errors.
        let passwordFile = daemon.directory.appendingPathComponent("password")
        try account.password.write(to: passwordFile, atomically: true, encoding: .utf8)
        chmod(passwordFile.path, 0o600)
        let browser = try runTool(
            Self.python, [Self.driver, base, account.name, passwordFile.path, Self.artifacts], timeout: 150)
        #expect(browser.status == 0, "\(browser.output)\n\(daemon.log)")
        #expect(FileManager.default.fileExists(atPath: Self.artifacts + "/console-station.png"))
        print("console browser: \(browser.output)")

        // The static files: a strict CSP, revalidated caching (304 to the ETag).
        let page = try runTool("/usr/bin/curl", ["-s", "-D", "-", "-o", "/dev/null", base + "/console/"])
        #expect(page.output.contains("Content-Security-Policy: default-src 'self'; script-src 'self'"))
        let etag = try #require(
            page.output.split(separator: "\r\n").first { $0.lowercased().hasPrefix("etag:") }?
                .dropFirst(5).trimmingCharacters(in: .whitespaces))
        let again = try runTool(
            "/usr/bin/curl",
            [
                "-s", "-o", "/dev/null", "-w", "%{http_code}", "-H", "If-None-Match: \(etag)",
                base + "/console/",
            ])
        #expect(again.output == "304")

        // Over curl: the session is the officer's; a write without the CSRF token is refused, with it accepted.
        let cookies = daemon.directory.appendingPathComponent("cookies").path
        let login = try Self.curl(
            "POST", base + ControlPaths.consoleLogin,
            body: #"{"account":"\#(account.name)","password":"\#(account.password)"}"#, cookies: cookies,
            in: daemon.directory)
        #expect(login.status == 200, "\(login.body)")
        let session = try ControlJSON.decoder().decode(ConsoleSessionWire.self, from: Data(login.body.utf8))
        #expect(session.role == "operator" && session.account == account.name)
        #expect(try Self.curl("GET", base + ControlPaths.queue, cookies: cookies, in: daemon.directory).status == 200)
        let forged = try Self.curl("POST", base + ControlPaths.consoleLogout, cookies: cookies, in: daemon.directory)
        #expect(
            forged.status == 403 && errorCode(forged.body) == ConsoleErrorCode.csrfMissing.rawValue, "\(forged.body)")
        let logout = try Self.curl(
            "POST", base + ControlPaths.consoleLogout, cookies: cookies,
            headers: ["X-CSRF-Token: \(session.csrfToken)"], in: daemon.directory)
        #expect(logout.status == 204)
        let after = try Self.curl("GET", base + ControlPaths.queue, cookies: cookies, in: daemon.directory)
        #expect(after.status == 401)

        // Five wrong passwords lock the account: the right one is refused until the lock ends.
        for attempt in 1...5 {
            let wrong = try Self.curl(
                "POST", base + ControlPaths.consoleLogin,
                body: #"{"account":"\#(account.name)","password":"wrong-\#(attempt)"}"#, cookies: cookies,
                in: daemon.directory)
            #expect(
                wrong.status == 401 && errorCode(wrong.body) == ConsoleErrorCode.loginFailed.rawValue, "\(wrong.body)")
        }
        let locked = try Self.curl(
            "POST", base + ControlPaths.consoleLogin,
            body: #"{"account":"\#(account.name)","password":"\#(account.password)"}"#, cookies: cookies,
            in: daemon.directory)
        #expect(locked.status == 403 && errorCode(locked.body) == ConsoleErrorCode.locked.rawValue, "\(locked.body)")
        #expect(!daemon.log.contains(account.password))

        #expect(daemon.stop() == 0)
        let queue = try ApplicationQueue(
            configuration: .init(
                databasePath: daemon.directory.path + "/state/queue.sqlite",
                keyFilePath: daemon.directory.path + "/state/queue.key"))
        let trail = try queue.auditTrail(for: nil)
        #expect(trail.contains { $0.action == "console_login" && $0.actor == account.name })
        #expect(trail.filter { $0.action == "console_locked" && $0.actor == account.name }.count == 1)
    }
}
