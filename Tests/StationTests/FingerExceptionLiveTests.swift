import ControlAPI
import Foundation
import Intake
import Queue
import StationTestKit
import Testing

/// A finger exception through the real daemon (issue 19 item 5): the operator holds the intake session through the
/// web console's login (an account made here, over curl on the TCP listener), the supervisor is another person at
/// a terminal (root on the control socket, `stationctl exceptions`). A citizen without a card (typed identity) and
/// the simulated fingerprint module: no PC/SC needed. Part of `ConsoleBrowserTests`, whose tests run one at a time
/// (they make local accounts of the same names).
extension ConsoleBrowserTests {
    /// The console over curl as the logged-in officer: JSON or a file as the body, the CSRF token on writes.
    struct Officer {
        let base: String
        let cookies: String
        let csrf: String
        let directory: URL

        func call(_ method: String, _ path: String, json: String? = nil, file: URL? = nil, type: String? = nil)
            throws -> (status: Int, body: String)
        {
            var arguments = ["-s", "-o", "-", "-w", "\n%{http_code}", "-X", method, "-b", cookies, "-c", cookies]
            arguments += ["-H", "X-CSRF-Token: \(csrf)", base + path]
            var body = file
            if let json {
                let written = directory.appendingPathComponent("body-\(UUID().uuidString).json")
                try json.write(to: written, atomically: true, encoding: .utf8)
                body = written
            }
            if let body {
                arguments += ["-H", "Content-Type: \(type ?? "application/json")", "--data-binary", "@\(body.path)"]
            }
            let result = try runTool("/usr/bin/curl", arguments)
            let lines = result.output.split(separator: "\n", omittingEmptySubsequences: false)
            return (Int(lines.last ?? "") ?? 0, lines.dropLast().joined(separator: "\n"))
        }

        func session(_ text: String) throws -> IntakeSessionWire {
            try ControlJSON.decoder().decode(IntakeSessionWire.self, from: Data(text.utf8))
        }
    }

    @Test(.timeLimit(.minutes(3))) func aSupervisorAtAnotherTerminalConfirmsAnOperatorsFingerException() throws {
        let account = try TestAccount(gid: TestGroups.operators, suffix: "x")
        let daemon = try DaemonUnderTest(
            name: "finger-exception", extraConfig: "[listener]\nenabled = true\nport = 0\n")
        try daemon.start()
        defer { _ = daemon.stop() }
        let base = "http://127.0.0.1:\(try daemon.listenerPort())"
        let cookies = daemon.directory.appendingPathComponent("cookies").path
        let login = try Self.curl(
            "POST", base + ControlPaths.consoleLogin,
            body: #"{"account":"\#(account.name)","password":"\#(account.password)"}"#, cookies: cookies,
            in: daemon.directory)
        #expect(login.status == 200, "\(login.body)")
        let console = try ControlJSON.decoder().decode(ConsoleSessionWire.self, from: Data(login.body.utf8))
        let officer = Officer(base: base, cookies: cookies, csrf: console.csrfToken, directory: daemon.directory)

        // The officer's session: a citizen without a card, the right index finger captured.
        let started = try officer.call("POST", ControlPaths.intake, json: "{}")
        #expect(started.status == 201, "\(started.body)")
        let id = try officer.session(started.body).id
        let typed = try officer.call(
            "POST", "\(ControlPaths.intake)/\(id)/identity",
            json: #"{"idNumber":"001307012345","fullName":"Nguyễn Thị Lan","dateOfBirth":"2007-03-02","sex":"F"}"#)
        #expect(typed.status == 200, "\(typed.body)")
        let right = try officer.call("POST", "\(ControlPaths.intake)/\(id)/fingers", json: #"{"finger":2}"#)
        #expect(right.status == 200, "\(right.body)")

        // The left index cannot be captured: the officer asks; it waits for a supervisor, the session goes on.
        let ask = #"{"finger":7,"exception":"injury","exceptionReason":"băng bó sau tai nạn"}"#
        let asked = try officer.call("POST", "\(ControlPaths.intake)/\(id)/fingers", json: ask)
        #expect(asked.status == 202, "\(asked.body)")
        let waiting = try officer.session(asked.body)
        #expect(waiting.state == "biometrics" && waiting.fingers == [2])
        #expect(waiting.notice?.code == "intake.notice.exceptionAwaitsSupervisor")
        #expect(waiting.notice?.message.contains("đang chờ tổ trưởng xác nhận") == true)
        #expect(waiting.exceptionRequests?.first?.status == "pending")
        #expect(waiting.exceptionRequests?.first?.requestedBy == account.name)

        // The operator cannot list or decide, neither on the console nor on the socket.
        let listed = try officer.call("GET", ControlPaths.exceptions)
        #expect(listed.status == 403 && errorCode(listed.body) == ControlErrorCode.forbidden.rawValue, "\(listed)")
        let selfConfirmed = try officer.call(
            "POST", "\(ControlPaths.exceptions)/\(id)/7/confirm", json: #"{"reason":"tự xác nhận"}"#)
        #expect(selfConfirmed.status == 403, "\(selfConfirmed)")
        let operators = [TestGroups.socket, TestGroups.operators]
        #expect(try daemon.curl("GET", ControlPaths.exceptions, asGroups: operators).0 == 403)
        #expect(try daemon.stationctl(["exceptions", "ls"], asGroups: operators).status == 3)

        // The supervisor lists it: the finger by name, the kind, the note, the citizen masked, Vietnamese first.
        let list = try daemon.stationctl(["exceptions", "ls"])
        #expect(list.status == 0, "\(list.output)")
        for shown in [
            "ngón trỏ tay trái", "bị thương", "băng bó sau tai nạn", "*********345 N.T.L.", account.name, id,
            "Ngón tay",
        ] {
            #expect(list.output.contains(shown), "\(shown) missing: \(list.output)")
        }
        #expect(!list.output.contains("Nguyễn Thị Lan") && !list.output.contains("001307012345"))
        let json = try daemon.curl("GET", ControlPaths.exceptions, headers: ["Accept-Language: en"])
        let items = try ControlJSON.decoder().decode([FingerExceptionWire].self, from: Data(json.1.utf8))
        #expect(items.count == 1 && items.first?.fingerName == "left index finger" && items.first?.session == id)

        // Declined with a blank reason: 422; with a reason: the officer is told, the finger stays to capture.
        let blank = try daemon.curl("POST", "\(ControlPaths.exceptions)/\(id)/7/decline", body: #"{"reason":"  "}"#)
        #expect(blank.0 == 422 && errorCode(blank.1) == "intake.refused.exceptionReasonMissing", "\(blank)")
        // At the terminal, the reason from a file (never on the command line); the finger by its number.
        let reasonFile = daemon.directory.appendingPathComponent("reason.txt")
        try "lau khô rồi thử lại\n".write(to: reasonFile, atomically: true, encoding: .utf8)
        let declined = try daemon.stationctl(["exceptions", "decline", id, "7", "--reason-file", reasonFile.path])
        #expect(declined.status == 0, "\(declined.output)")
        #expect(declined.output.contains("Đã từ chối ngoại lệ ngón trỏ tay trái"), "\(declined.output)")
        let unknown = try daemon.stationctl(["exceptions", "decline", id, "ngón-cái", "--reason", "x"])
        #expect(unknown.status == 64 && unknown.output.contains("Không rõ ngón tay"), "\(unknown.output)")
        let told = try officer.session(try officer.call("GET", "\(ControlPaths.intake)/\(id)").body)
        #expect(told.exceptionRequests?.first?.status == "declined")
        #expect(told.exceptionRequests?.first?.decisionReason == "lau khô rồi thử lại")
        #expect(told.exceptionRequests?.first?.decidedBy == "root" && told.fingers == [2])
        let long = String(repeating: "a", count: 501)
        let tooLong = try daemon.curl(
            "POST", "\(ControlPaths.exceptions)/\(id)/7/confirm", body: #"{"reason":"\#(long)"}"#)
        #expect(tooLong.0 == 400 && errorCode(tooLong.1) == "intake.exception_text_too_long", "\(tooLong)")
        let again = try daemon.curl("POST", "\(ControlPaths.exceptions)/\(id)/7/confirm", body: #"{"reason":"x"}"#)
        #expect(again.0 == 409 && errorCode(again.1) == "intake.refused.exceptionDecided", "\(again)")

        // Asked again, withdrawn (nothing left to decide: 404), asked once more and confirmed at the terminal.
        #expect(try officer.call("POST", "\(ControlPaths.intake)/\(id)/fingers", json: ask).status == 202)
        let withdrawn = try officer.call("DELETE", "\(ControlPaths.intake)/\(id)/exceptions/7")
        let afterWithdrawal = try officer.session(withdrawn.body)
        #expect(withdrawn.status == 200 && afterWithdrawal.exceptionRequests == nil)
        let gone = try daemon.curl("POST", "\(ControlPaths.exceptions)/\(id)/7/confirm", body: #"{"reason":"x"}"#)
        #expect(gone.0 == 404 && errorCode(gone.1) == "intake.refused.noExceptionRequest", "\(gone)")
        #expect(try officer.call("POST", "\(ControlPaths.intake)/\(id)/fingers", json: ask).status == 202)
        let confirmed = try daemon.stationctl(
            ["exceptions", "confirm", id, "left-index", "--reason", "đã xem vết thương"])
        #expect(confirmed.status == 0, "\(confirmed.output)")
        #expect(confirmed.output.contains("Đã xác nhận ngoại lệ ngón trỏ tay trái (bị thương)"), "\(confirmed.output)")
        #expect(try daemon.stationctl(["exceptions", "ls"]).output.contains("Không có ngoại lệ ngón tay nào"))

        // The officer finishes: the read-back and the stored application carry the exception.
        let photo = daemon.directory.appendingPathComponent("portrait.jpg")
        try IntakeLiveTests.syntheticJPEG(width: 480, height: 640).write(to: photo)
        #expect(
            try officer.call("PUT", "\(ControlPaths.intake)/\(id)/portrait", file: photo, type: "image/jpeg").status
                == 200)
        let details = try officer.call(
            "PUT", "\(ControlPaths.intake)/\(id)/details", json: #"{"phone":"0912345678","bundle":"2in1"}"#)
        #expect(details.status == 200, "\(details.body)")
        let review = try officer.session(try officer.call("POST", "\(ControlPaths.intake)/\(id)/review").body)
        #expect(review.problems == [], "\(review)")
        #expect(review.readBack?.fingers.first { $0.position == 7 }?.exception == "injury")
        let commit = try officer.call(
            "POST", "\(ControlPaths.intake)/\(id)/commit",
            json: #"{"readBackRevision":\#(review.readBack?.revision ?? 0)}"#)
        let done = try officer.session(commit.body)
        #expect(done.state == "committed", "\(commit.body)")
        let application = try #require(done.applicationID)
        #expect(daemon.stop() == 0)
        let queue = try ApplicationQueue(
            configuration: .init(
                databasePath: daemon.directory.path + "/state/queue.sqlite",
                keyFilePath: daemon.directory.path + "/state/queue.key"))
        let stored = try queue.application(try #require(ApplicationID(application)))
        #expect(stored.fingerprints.first { $0.position == .leftIndex }?.outcome == .exception(.injury))
        #expect(stored.operatorID.rawValue == account.name)
        // Audited: the decline and the confirmation, by the supervisor, without the officers' words.
        let audit = try queue.auditTrail(for: nil)
        let reasonCode = "application:\(application);finger:7;exception:injury"
        #expect(audit.contains { $0.action == "finger_exception_declined" && $0.actor == "root" })
        #expect(audit.contains { $0.action == "finger_exception_confirmed" && $0.reasonCode == reasonCode })
        #expect(!audit.contains { ($0.reasonCode ?? "").contains("băng") || ($0.reasonCode ?? "").contains("vết") })
        #expect(!daemon.log.contains("băng bó") && !daemon.log.contains("vết thương"))
    }
}
