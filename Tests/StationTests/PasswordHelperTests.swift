import ControlAPI
import Foundation
import Messages
import StationTestKit
import Testing

@testable import Station

#if canImport(Glibc)
    import Glibc
#endif

/// The console's login for a daemon that is not root: the daemon asks the password helper (`stationd pam-helper`,
/// a root service on a 0600 socket) instead of running PAM itself. Here the daemon is told to use the helper
/// (`listener.pam_helper = PATH`), and the real helper runs PAM against a test account.
@Suite(.serialized)
struct PasswordHelperTests {
    @Test func configuredModes() {
        #expect(PasswordCheckMode(configured: "") == .automatic)
        #expect(PasswordCheckMode(configured: "auto") == .automatic)
        #expect(PasswordCheckMode(configured: "in-process") == .inProcess)
        #expect(PasswordCheckMode(configured: "/run/x.sock") == .helper(socket: "/run/x.sock"))
        #expect(PasswordCheckMode(configured: "run/x.sock") == nil)
        #expect(PasswordCheckMode.automatic.check(effectiveUID: 0) is InProcessPAM)
        let unprivileged = PasswordCheckMode.automatic.check(effectiveUID: 998) as? PasswordHelperClient
        #expect(unprivileged?.socketPath == PasswordHelper.defaultSocket)
    }

    @Test(.timeLimit(.minutes(2))) func aDaemonUsingTheHelperLogsOfficersInThroughIt() throws {
        let account = try ConsoleBrowserTests.TestAccount(gid: TestGroups.operators, suffix: "h")
        let socket = "/tmp/stn-pam-\(getpid()).sock"
        defer { unlink(socket) }
        let daemon = try DaemonUnderTest(
            name: "pam-helper", extraConfig: "[listener]\nenabled = true\nport = 0\npam_helper = \(socket)\n")
        try daemon.start()
        defer { _ = daemon.stop() }
        let listener = try ControlJSON.decoder().decode(
            ListenerWire.self, from: Data(try daemon.curl("GET", ControlPaths.listener).1.utf8))
        let login = "http://127.0.0.1:\(listener.port)" + ControlPaths.consoleLogin
        let cookies = daemon.directory.appendingPathComponent("cookies").path
        func attempt(_ password: String) throws -> (status: Int, body: String) {
            try ConsoleBrowserTests.curl(
                "POST", login, body: #"{"account":"\#(account.name)","password":"\#(password)"}"#, cookies: cookies,
                in: daemon.directory)
        }

        // No helper yet: 503, in words the officer can pass on, and not a failed attempt.
        for _ in 0..<6 {
            let down = try attempt(account.password)
            #expect(down.status == 503, "\(down.body)")
            #expect(errorCode(down.body) == ConsoleErrorCode.passwordCheckUnavailable.rawValue, "\(down.body)")
            #expect(down.body.contains(MessageKey.consolePasswordCheckUnavailable.text(.vietnamese)))
        }

        let helper = try ManagedProcess(
            "pam-helper", executable: try Binaries.path("stationd"),
            arguments: ["pam-helper", "--socket", socket, "--allow-uid", "\(getuid())"],
            logFile: daemon.directory.appendingPathComponent("pam-helper.log"))
        defer { helper.stop() }
        var status = stat()
        for _ in 0..<100 where lstat(socket, &status) != 0 { usleep(50_000) }
        #expect(status.st_mode & 0o777 == 0o600 && status.st_uid == getuid(), "\(helper.output)")

        // Through the helper: a wrong password refused, the right one opens the officer's session (six 503s
        // before did not lock the account).
        let wrong = try attempt(account.password + "x")
        #expect(wrong.status == 401 && errorCode(wrong.body) == ConsoleErrorCode.loginFailed.rawValue, "\(wrong.body)")
        let right = try attempt(account.password)
        #expect(right.status == 200, "\(right.body)\n\(helper.output)")
        let session = try? ControlJSON.decoder().decode(ConsoleSessionWire.self, from: Data(right.body.utf8))
        #expect(session?.account == account.name && session?.role == "operator")
        #expect(helper.output.contains("checked a password: refused"))
        #expect(helper.output.contains("checked a password: accepted"))

        // A caller the helper does not allow is refused by the kernel's word, even past the socket's mode.
        chmod(socket, 0o666)
        let probe = """
            import socket
            s = socket.socket(socket.AF_UNIX); s.connect("\(socket)")
            try: s.sendall(b'{"account":"\(account.name)","password":"x"}\\n')
            except (BrokenPipeError, ConnectionResetError): pass  # the helper may answer and close before reading
            print(s.recv(100).decode().strip())
            """
        let stranger = try runTool(
            "/usr/bin/setpriv", ["--reuid=65534", "--regid=65534", "--clear-groups", "/usr/bin/python3", "-c", probe])
        #expect(stranger.output.contains(#"{"result":"peer_refused"}"#), "\(stranger.output)")
        #expect(helper.output.contains("refused a caller that is not allowed (uid 65534)"))

        // Malformed requests get an answer, never a check.
        let fd = try TestSockets.unix(socket)
        defer { close(fd) }
        TestSockets.setReceiveTimeout(fd, seconds: 5)
        _ = "{\"account\":\"-x\",\"password\":\"y\"}\n".withCString { send(fd, $0, strlen($0), 0) }
        var buffer = [UInt8](repeating: 0, count: 100)
        let count = recv(fd, &buffer, buffer.count, 0)
        #expect(String(decoding: buffer.prefix(max(0, count)), as: UTF8.self) == "{\"result\":\"malformed\"}\n")

        // Neither log holds the password.
        #expect(!helper.output.contains(account.password) && !daemon.log.contains(account.password))
    }
}
