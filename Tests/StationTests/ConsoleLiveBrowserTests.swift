import ControlAPI
import Foundation
import Simulation
import StationTestKit
import Testing

/// The intake screen driven by the station's events (issue 21 item 3, issue 19 item 5), in Debian's headless
/// Chromium against the real daemon: pcscd → vpcd → the simulated CCCD placed and pulled by this test while the
/// page is open, the simulated fingerprint module scripted poor-then-good. `Tests/Browser/console_live.py` asks for
/// the card to be placed and pulled (files in a signal folder) and checks what the page shows: the CAN asked for
/// by itself when the card is placed, each capture attempt live with the finger's name, quality and advice (the poor
/// one before the capture's request answered), the pulled card said at once; then the daemon restarts and the page
/// goes to the login by itself (logins live in the daemon's memory) and, logged in again, shows the session's
/// state. Any CSP violation or console error fails it (but the restart's lost connection and refusals);
/// screenshots in `.build/artifacts/console/console-live-*.png`.
@Suite(.serialized)
struct ConsoleLiveBrowserTests {
    @Test(.timeLimit(.minutes(10))) func theIntakeScreenFollowsTheStationsEvents() async throws {
        #expect(
            FileManager.default.isExecutableFile(atPath: ConsoleBrowserTests.python),
            "Selenium is not installed: run `make selenium`")
        let lease = try await LivePCSC.acquire()
        let account = try LocalAccount(gid: TestGroups.operators)
        let daemon = try DaemonUnderTest(
            name: "console-live", extraConfig: "[listener]\nenabled = true\nport = 0\n",
            environment: lease.harness.clientEnvironment)
        daemon.base.fingerprintSimulator = "partial,good"
        try daemon.start()
        defer { _ = daemon.stop() }
        let port = try daemon.listenerPort()
        let dataset = LivePCSC.packageRoot.appendingPathComponent("Devices/cards/nguyen-van-an.json")
        let pki = LivePCSC.packageRoot.appendingPathComponent("Devices/cards/pki").path

        let secrets = daemon.directory.appendingPathComponent("secrets.json")
        try JSONSerialization.data(withJSONObject: ["password": account.password, "can": "012345"]).write(to: secrets)
        chmod(secrets.path, 0o600)
        let signals = daemon.directory.appendingPathComponent("signals")
        try FileManager.default.createDirectory(at: signals, withIntermediateDirectories: true)
        let script = LivePCSC.packageRoot.appendingPathComponent("Tests/Browser/console_live.py").path
        let browser = try ManagedProcess(
            "console live", executable: ConsoleBrowserTests.python,
            arguments: [
                script, "http://127.0.0.1:\(port)", account.name, secrets.path, ConsoleBrowserTests.artifacts,
                signals.path,
            ],
            logFile: daemon.directory.appendingPathComponent("console-live.log"))
        defer { browser.stop() }

        /// Waits for the driver's signal `name` (false: the driver ended or the time ran out first).
        func asked(_ name: String, within seconds: Double) async throws -> Bool {
            let deadline = Date(timeIntervalSinceNow: seconds)
            while Date() < deadline && browser.isRunning {
                if FileManager.default.fileExists(atPath: signals.appendingPathComponent(name).path) { return true }
                try await Task.sleep(for: .milliseconds(50))
            }
            return false
        }
        var card: ManagedProcess?
        defer { card?.stop() }
        if try await asked("place", within: 60) {
            card = try lease.harness.startCardReported(arguments: ["--dataset", dataset.path, "--pki", pki])
        }
        if try await asked("pull", within: 150) { card?.stop() }
        // The daemon restarts on the same port (the page's address).
        if try await asked("restart", within: 90) {
            let stopping = Date()
            // Stopped gracefully although the page's event stream is open (not killed after the timeout).
            #expect(daemon.stop() == 0, "\(daemon.log.suffix(2000))")
            let stopped = Date()
            daemon.extraConfig = "[listener]\nenabled = true\nport = \(port)\n"
            try daemon.start()
            print(
                "daemon restart: stopped in \(stopped.timeIntervalSince(stopping)) s, ready again in "
                    + "\(Date().timeIntervalSince(stopped)) s")
        }
        let status = browser.wait(timeout: 150)
        let output = browser.output
        print("console live: \(output)")
        #expect(status == 0, "\(output)\n\(daemon.log)")

        let line = output.split(separator: "\n").last { $0.hasPrefix("{") }.map(String.init) ?? "{}"
        let result = try #require(jsonObject(line))
        #expect(result["placed"] as? String == "Đã đặt thẻ: nhập CAN", "\(result)")
        #expect(result["focused"] as? String == "can")
        let attempts = try #require(result["attempts"] as? [[String: Any]])
        #expect(attempts.count == 2, "\(attempts)")
        #expect(attempts.map { $0["accepted"] as? String } == ["false", "true"])
        #expect(attempts.allSatisfy { $0["finger"] as? String == "2" })
        let poor = try #require(attempts.first)
        let poorText = try #require(poor["text"] as? String)
        // The finger by name, the quality, the advice; no number or code on the screen.
        #expect(poorText.hasPrefix("ngón trỏ tay phải: lần 1, chất lượng "), "\(poorText)")
        #expect(poorText.contains("— đặt ngón tay vào giữa máy quét"), "\(poorText)")
        #expect((poor["advice"] as? String)?.contains("move-to-centre") == true)
        #expect(!poorText.contains("move-to-centre") && !poorText.contains("finger"))
        #expect((attempts.last?["text"] as? String)?.hasSuffix("— đạt") == true)
        #expect(result["attemptShownBeforeAnswer"] as? Bool == true, "\(result)")
        #expect(result["pulled"] as? String == "Thẻ đã bị rút ra: đặt lại thẻ để tiếp tục.", "\(result)")
        // After the restart: the login, then the intake screen with the session as the new daemon has it (the old
        // daemon's session ended with it).
        #expect((result["afterRestart"] as? String)?.hasSuffix("/console/") == true, "\(result)")
        #expect(result["stateAfterRestart"] as? String == "idle", "\(result)")
        #expect((result["stateTextAfterRestart"] as? String)?.contains("chờ thẻ") == true, "\(result)")
        for name in ["1-card-placed", "2-capture-advice", "3-card-pulled", "4-paused", "5-after-restart"] {
            #expect(FileManager.default.fileExists(atPath: ConsoleBrowserTests.artifacts + "/console-live-\(name).png"))
        }
        // Each attempt reached the screen soon after the scanner's decision (issue 21: ≤ 100 ms; a loaded machine
        // is given some room here, the bench measures it).
        let delays = attempts.compactMap { $0["shownAfterDecisionMs"] as? Double }
        #expect(delays.count == 2 && delays.allSatisfy { $0 >= 0 && $0 < 1000 }, "\(delays)")
    }
}
