import ControlAPI
import Foundation
import StationTestKit

#if canImport(Glibc)
    import Glibc
#endif

/// `station-bench console`: the web console's figures in Debian's headless Chromium (issue 21's goals: the intake
/// screen's first paint p95 < 300 ms; card read → identity on the screen ≤ the read + 50 ms; finger captured →
/// quality shown ≤ 100 ms after the decision; the daemon's idle RSS with the console served < 40 MB).
///
/// `stationd run` with the listener on loopback, pcscd → vpcd → the simulated CCCD, the simulated fingerprint module,
/// and a local operator's account made for the run (removed after). `Tests/Browser/console_bench.py` drives the
/// pages and reads their own clock (Performance API, MutationObserver): the card's and the capture's HTTP exchange
/// with the daemon is the floor each screen figure is set against.
enum ConsoleBench {
    static func run(loads: Int, rounds: Int) async throws {
        say(
            "== Console in headless Chromium (goals: intake screen first paint p95 < 300 ms; identity on the screen "
                + "≤ card read + 50 ms; finger quality ≤ 100 ms after the scanner's decision; idle RSS < 40 MB)")
        let python = LivePCSC.packageRoot.appendingPathComponent(".build/selenium/bin/python").path
        let script = LivePCSC.packageRoot.appendingPathComponent("Tests/Browser/console_bench.py").path
        guard FileManager.default.isExecutableFile(atPath: python),
            FileManager.default.isExecutableFile(atPath: "/usr/bin/chromedriver")
        else {
            say("console: not measured (needs `make selenium` and Debian's chromium-driver)")
            return
        }
        guard getuid() == 0 else {
            say("console: not measured (the run makes a local operator account: run as root)")
            return
        }
        let directory = LivePCSC.packageRoot.appendingPathComponent(".build/station-bench/console-\(getpid())")
        defer { try? FileManager.default.removeItem(at: directory) }
        let lease = try await LivePCSC.acquire()
        let account = try LocalAccount(gid: TestGroups.operators, suffix: "b")
        var base = DaemonBase.bench
        base.operatorGroups = true
        base.fingerprintSimulator = "good"
        let daemon = try DaemonUnderTest(
            directory: directory, base: base, extraConfig: "[listener]\nenabled = true\nport = 0\n",
            environment: lease.harness.clientEnvironment)
        daemon.executable = try Binaries.path("stationd")
        try daemon.start(readyTimeout: 30)
        defer { daemon.stop(timeout: 15) }
        let pki = LivePCSC.packageRoot.appendingPathComponent("Devices/cards/pki").path
        let dataset = LivePCSC.packageRoot.appendingPathComponent("Devices/cards/nguyen-van-an.json").path
        let card = try lease.harness.startCardReported(arguments: ["--dataset", dataset, "--pki", pki])
        defer { card.stop() }
        let port = try daemon.listenerPort()
        try await Task.sleep(for: .seconds(2))
        let idle = daemon.memory("VmRSS") ?? 0

        let secrets = directory.appendingPathComponent("secrets.json")
        _ = FileManager.default.createFile(
            atPath: secrets.path,
            contents: try JSONSerialization.data(withJSONObject: ["password": account.password, "can": "012345"]),
            attributes: [.posixPermissions: 0o600])
        let browser = try runTool(
            python, [script, "http://127.0.0.1:\(port)", account.name, secrets.path, "\(loads)", "\(rounds)"],
            timeout: 600)
        guard browser.status == 0,
            let line = browser.output.split(separator: "\n").last(where: { $0.hasPrefix("{") }),
            let figures = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: [Double]]
        else {
            say("console: the browser run failed: \(browser.output.suffix(2000))")
            return
        }
        let after = daemon.memory("VmRSS") ?? 0
        func stats(_ name: String) -> Statistics { Statistics((figures[name] ?? []).map { $0 / 1000 }) }
        func ms(_ seconds: Double) -> String { String(format: "%.1f ms", seconds * 1000) }
        func p95(_ s: Statistics) -> Double { s.percentile(0.95) }
        let paint = stats("firstPaint")
        say(
            "intake screen first contentful paint ×\(paint.samples.count): p50 \(ms(paint.median))  p95 "
                + "\(ms(p95(paint)))  [\(p95(paint) < 0.3 ? "goal met" : "GOAL NOT MET"): p95 < 300 ms]")
        let cardShown = stats("cardShown")
        let cardExchange = stats("cardExchange")
        let cardAdded = cardShown.median - cardExchange.median
        say(
            "card: click → identity on the screen ×\(cardShown.samples.count) p50 \(ms(cardShown.median)) p95 "
                + "\(ms(p95(cardShown))); the read's exchange with the daemon p50 \(ms(cardExchange.median)); the "
                + "page adds \(ms(cardAdded)) [\(cardAdded <= 0.05 ? "goal met" : "GOAL NOT MET"): ≤ 50 ms]")
        let fingerShown = stats("fingerShown")
        let fingerExchange = stats("fingerExchange")
        let fingerLive = stats("fingerDecisionShown")
        say(
            "finger: the scanner's decision → quality on the screen (capture.attempt event) ×"
                + "\(fingerLive.samples.count) p50 \(ms(fingerLive.median)) p95 \(ms(p95(fingerLive))) "
                + "[\(p95(fingerLive) <= 0.1 && fingerLive.samples.count > 0 ? "goal met" : "GOAL NOT MET"): ≤ 100 ms]")
        say(
            "finger: capture answered → taken on the screen ×\(fingerShown.samples.count) p50 "
                + "\(ms(fingerShown.median)) p95 \(ms(p95(fingerShown))) (the capture's exchange p50 "
                + "\(ms(fingerExchange.median)), the scanner's time and the record's encoding)")
        say(
            String(
                format: "daemon RSS with the console served: idle %.1f MB, after the browser run %.1f MB "
                    + "[%@: idle < 40 MB]", idle, after, idle < 40 ? "goal met" : "GOAL NOT MET"))
    }
}
