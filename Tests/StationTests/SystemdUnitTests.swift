import Foundation
import Station
import StationTestKit
import Testing

#if canImport(Glibc)
    import Glibc
#endif

@Suite struct SystemdUnitTests {
    /// `systemd-analyze verify` on copies of the units whose ExecStart points at the built binary; any output on
    /// stderr (unknown keys and bad values are only warnings with exit 0) fails the test.
    @Test func unitsVerifyCleanly() throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/systemd-analyze") else {
            print("systemd-analyze not installed: skipped")
            return
        }
        let root = LivePCSC.packageRoot.appendingPathComponent("systemd")
        let directory = URL(fileURLWithPath: "/tmp/stationd-units-\(getpid())")
        try? FileManager.default.removeItem(at: directory)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let binary = try Binaries.path("stationd")
        let service = try String(
            contentsOf: root.appendingPathComponent("stationd.service"), encoding: .utf8)
        #expect(service.contains("ExecStart=/usr/bin/stationd run"))
        #expect(service.contains("Type=notify"))
        #expect(service.contains("WatchdogSec="))
        try service.replacingOccurrences(of: "ExecStart=/usr/bin/stationd", with: "ExecStart=\(binary)")
            .write(
                to: directory.appendingPathComponent("stationd.service"), atomically: true, encoding: .utf8)
        let socketUnit = try String(
            contentsOf: root.appendingPathComponent("stationd.socket"), encoding: .utf8)
        #expect(socketUnit.contains("SocketMode=0660"))
        try socketUnit.write(
            to: directory.appendingPathComponent("stationd.socket"), atomically: true, encoding: .utf8)
        // The console's password helper: root, for user stationd only, on a 0600 socket of theirs.
        let helper = try String(contentsOf: root.appendingPathComponent("stationd-pam.service"), encoding: .utf8)
        #expect(helper.contains("ExecStart=/usr/bin/stationd pam-helper --allow-user stationd"))
        try helper.replacingOccurrences(of: "ExecStart=/usr/bin/stationd", with: "ExecStart=\(binary)")
            .write(to: directory.appendingPathComponent("stationd-pam.service"), atomically: true, encoding: .utf8)
        let helperSocket = try String(contentsOf: root.appendingPathComponent("stationd-pam.socket"), encoding: .utf8)
        #expect(helperSocket.contains("SocketUser=stationd") && helperSocket.contains("SocketMode=0600"))
        #expect(helperSocket.contains("ListenStream=\(PasswordHelper.defaultSocket)"))
        try helperSocket.write(
            to: directory.appendingPathComponent("stationd-pam.socket"), atomically: true, encoding: .utf8)
        for unit in ["stationd.service", "stationd.socket", "stationd-pam.service", "stationd-pam.socket"] {
            let stderrFile = directory.appendingPathComponent("\(unit).err").path
            let result = try runTool(
                "/bin/sh",
                [
                    "-c", "systemd-analyze verify \"$0\" 2>\"$1\"",
                    directory.appendingPathComponent(unit).path,
                    stderrFile,
                ])
            let errors = (try? String(contentsOfFile: stderrFile, encoding: .utf8)) ?? ""
            #expect(result.status == 0, "\(unit): \(errors)")
            #expect(errors.isEmpty, "\(unit): \(errors)")
        }
        // The socket unit's group is the one the daemon's default configuration uses, and sysusers creates it.
        let configuration = try StationConfiguration.load(file: nil, environment: [:])
        #expect(socketUnit.contains("SocketGroup=\(configuration.socketGroup ?? "-")"))
        let sysusers = try String(
            contentsOf: root.appendingPathComponent("stationd.sysusers.conf"), encoding: .utf8)
        for group in [
            configuration.socketGroup, configuration.operatorsGroup, configuration.supervisorsGroup,
        ] {
            #expect(sysusers.contains("g \(group ?? "-") "), "\(group ?? "")")
        }
    }

    /// The notifier speaks the datagram protocol, including the abstract namespace.
    @Test func notifierSendsDatagrams() throws {
        let directory = URL(fileURLWithPath: "/tmp/stationd-notify-\(getpid())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let listener = try NotifyListener(directory: directory)
        let notifier = SystemdNotifier(environment: [
            "NOTIFY_SOCKET": listener.path, "WATCHDOG_USEC": "2000000",
        ])
        #expect(notifier.watchdogInterval == .seconds(2))
        notifier.status("probing")
        notifier.ready(status: "ready")
        let messages = listener.waitFor("READY=1", timeout: 2)
        #expect(messages == ["STATUS=probing", "READY=1\nSTATUS=ready"])
        #expect(!SystemdNotifier(environment: [:]).send("READY=1"))
        let foreign = SystemdNotifier(environment: ["WATCHDOG_USEC": "1000", "WATCHDOG_PID": "1"])
        #expect(foreign.watchdogInterval == nil)
    }
}
