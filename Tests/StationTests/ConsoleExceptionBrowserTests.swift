import ControlAPI
import Foundation
import Intake
import Messages
import Queue
import StationTestKit
import Testing

/// A supervisor confirms a finger exception on the console (issue 21 item 5, issue 19 item 5), in Debian's Chromium
/// (`Tests/Browser/console_exceptions.py`) against the real daemon with the TCP listener, pcscd → vpcd → the
/// simulated CCCD and the simulated fingerprint module; an operator and a supervisor account made here. Screenshots
/// in `.build/artifacts/console/`. Part of `ConsoleBrowserTests`, whose tests run one at a time.
extension ConsoleBrowserTests {
    static let exceptionsDriver = LivePCSC.packageRoot.appendingPathComponent("Tests/Browser/console_exceptions.py")
        .path

    @Test(.timeLimit(.minutes(4))) func aSupervisorConfirmsAFingerExceptionOnTheConsole() async throws {
        #expect(
            FileManager.default.isExecutableFile(atPath: Self.python),
            "Selenium is not installed: run `make selenium`")
        let rig = try await ConsoleIntake("console-exception", dataset: Self.an)
        let supervisor = try TestAccount(gid: TestGroups.supervisors, suffix: "v")
        let secrets = rig.daemon.directory.appendingPathComponent("exception-secrets.json")
        try JSONSerialization.data(
            withJSONObject: [
                "operator": rig.account.password, "supervisor": supervisor.password, "can": "012345",
                "phone": "0912345678",
            ]
        ).write(to: secrets)
        chmod(secrets.path, 0o600)
        let run = try runTool(
            Self.python,
            [
                Self.exceptionsDriver, "http://127.0.0.1:\(rig.port)", rig.account.name, supervisor.name, secrets.path,
                Self.artifacts,
            ], timeout: 200)
        print("console exception: \(run.output)")
        #expect(run.status == 0, "\(run.output)\n\(rig.daemon.log)")
        let line = run.output.split(separator: "\n").last { $0.hasPrefix("{") }.map(String.init) ?? "{}"
        let seen = try #require(jsonObject(line))
        let vietnamese = try Self.consoleTerms(port: rig.port, language: "vi")
        func word(_ family: String, _ value: String) -> String {
            vietnamese[family]?.first { $0.value == value }?.name ?? "?"
        }

        // The operator asked; the page says it waits for a supervisor, the session stays in the fingers' step.
        #expect(seen["exceptionBoxShown"] as? Bool == true)
        #expect(seen["kindOptions"] as? [String] == ["missingFinger", "injury", "unreadable"])
        #expect((seen["pendingText"] as? String)?.contains("đang chờ tổ trưởng xác nhận") == true, "\(seen)")
        #expect((seen["pendingText"] as? String)?.contains(word("exception", "injury")) == true)
        #expect(seen["pendingNotice"] as? String == MessageKey.intakeExceptionAwaitsSupervisor.text(.vietnamese))
        #expect((seen["stateWhilePending"] as? String)?.contains(word("session", "biometrics")) == true)

        // The operator cannot reach the supervisor's actions: nothing drawn, the API refuses.
        #expect(seen["operatorScreensShown"] as? Bool == false)
        #expect(seen["operatorExceptionButtons"] as? Int == 0)
        #expect(seen["operatorListStatus"] as? Int == 403)
        #expect(seen["operatorConfirmStatus"] as? Int == 403)

        // The supervisor saw one request: the officer, the citizen masked, the finger by name, the kind, the note.
        #expect(seen["supervisorRows"] as? Int == 1)
        let row = seen["supervisorRow"] as? [String] ?? []
        #expect(row.count == 6, "\(row)")
        #expect(row.dropFirst().first == rig.account.name)
        #expect(row.dropFirst(2).first == "*********345 N.V.A.", "\(row)")
        #expect(row.dropFirst(3).first == "ngón trỏ tay trái")
        #expect(row.dropFirst(4).first == word("exception", "injury"))
        #expect(row.dropFirst(5).first == "ngón trỏ trái băng bó sau tai nạn")
        #expect(seen["supervisorEmpty"] as? String == word("text", "exceptionsEmpty"))

        // Declined first: the operator's page said so, with the supervisor's reason.
        let declined = seen["declinedText"] as? String ?? ""
        #expect(declined.contains(supervisor.name) && declined.contains("lau khô tay rồi thử lại"), "\(seen)")
        #expect(declined.contains("lấy vân tay ngón này"), "\(declined)")
        // The operator's page showed the decision without a reload; the read-back and the stored application
        // carry the exception.
        #expect((seen["confirmedText"] as? String)?.contains(supervisor.name) == true, "\(seen)")
        #expect((seen["readBack"] as? String)?.contains(word("text", "rbException")) == true, "\(seen)")
        let id = try #require(seen["applicationID"] as? String)
        #expect(rig.daemon.stop() == 0)
        let queue = try ApplicationQueue(
            configuration: .init(
                databasePath: rig.daemon.directory.path + "/state/queue.sqlite",
                keyFilePath: rig.daemon.directory.path + "/state/queue.key"))
        let stored = try queue.application(try #require(ApplicationID(id)))
        #expect(stored.fingerprints.first { $0.position == .leftIndex }?.outcome == .exception(.injury))
        #expect(stored.operatorID.rawValue == rig.account.name)
        #expect(
            try queue.auditTrail(for: nil).contains {
                $0.action == "finger_exception_declined" && $0.actor == supervisor.name
            })
        #expect(
            try queue.auditTrail(for: nil).contains {
                $0.action == "finger_exception_confirmed" && $0.actor == supervisor.name
                    && $0.reasonCode == "application:\(id);finger:7;exception:injury"
            })
        for name in [
            "1-operator-pending", "2-operator-on-supervisor-screen", "3-supervisor-list",
            "4-operator-declined", "4-supervisor-confirmed", "5-operator-confirmed", "6-read-back",
        ] {
            #expect(FileManager.default.fileExists(atPath: Self.artifacts + "/console-exception-\(name).png"))
        }
        #expect(!rig.daemon.log.contains("băng bó") && !rig.daemon.log.contains(supervisor.password))
    }
}
