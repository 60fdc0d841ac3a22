import ControlAPI
import Foundation
import Intake
import StationBenchmarks
import StationTestKit

/// `station-bench report`: the supervisor's reports over a production-sized store (issue 22's goals: with 100,000
/// applications and 60 days of history, a daily report in every format p99 < 200 ms, a campaign report < 1 s, the
/// HTML file < 300 KB).
///
/// First the store's own figures in process (`ReportBenchmark`), then `stationd run` over that store and
/// `stationctl report` end to end, process spawn included, each beside two floors from the same run: spawning
/// `/bin/true`, and the daemon's answer to `GET /v1/reports/daily` in process (every format is made by `stationctl`
/// from that one answer).
enum ReportBench {
    static func run(applications: Int, runs: Int) async throws {
        say(
            "== Reports with \(applications) applications, 60 days (goals: daily report in every format p99 < 200 ms, "
                + "campaign < 1 s, HTML < 300 KB)")
        let directory = LivePCSC.packageRoot.appendingPathComponent(".build/station-bench/report-\(getpid())")
        defer { try? FileManager.default.removeItem(at: directory) }
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        say(try ReportBenchmark.run(directory: directory.path, applications: applications).description)

        // Two campaign phases over the store's 60 days and the next 30, and a commune quota: the campaign report and
        // "to do today" have something to compute.
        let today = CalendarDate(vietnamDayOf: Date())
        let quotas = """
            [quota]
            commune_daily = 60
            phases = gd1:\(today.adding(days: -60).iso)..\(today.adding(days: -31).iso):30000; \
            gd2:\(today.adding(days: -30).iso)..\(today.adding(days: 30).iso):60000

            """
        let lease = try await LivePCSC.acquire()
        let daemon = try BenchDaemon(
            directory: directory, harness: lease.harness, executable: try Binaries.path("stationd"), uplink: nil,
            extraConfig: quotas)
        defer { daemon.stop() }
        let stationctl = try Binaries.path("stationctl")
        let socket = daemon.socketPath

        let floor = try spawnTimes("/bin/true", [], runs: runs)
        let client = ControlClient(socketPath: socket)
        var answers: [Double] = []
        for i in 0..<(runs + 3) {
            let start = now()
            let answer = try client.request("GET", ControlPaths.reports + "/daily")
            if i >= 3 { answers.append(now() - start) }
            guard answer.status == 200 else { throw HarnessError("GET /v1/reports/daily answered \(answer.status)") }
        }
        let daemonShare = Statistics(answers)
        func ms(_ seconds: Double) -> String { String(format: "%.1f ms", seconds * 1000) }
        func goal(_ p99: Double, _ limit: Double) -> String { p99 < limit ? "goal met" : "GOAL NOT MET" }
        say("floor: spawn /bin/true                       p50 \(ms(floor.median))  p99 \(ms(floor.p99))")
        say(
            "daemon: GET /v1/reports/daily in process     p50 \(ms(daemonShare.median))  p99 \(ms(daemonShare.p99))"
                + "  (every format is made by stationctl from this answer)")

        var sizes: [String: Int] = [:]
        for (period, format, limit) in [
            ("daily", "table", 0.2), ("daily", "csv", 0.2), ("daily", "json", 0.2), ("daily", "html", 0.2),
            ("campaign", "html", 1.0),
        ] {
            let file = directory.appendingPathComponent("report-\(period).\(format)").path
            let times = try spawnTimes(
                stationctl, ["report", period, "--format", format, "--out", file, "--socket", socket], runs: runs)
            sizes["\(period).\(format)"] =
                (try? FileManager.default.attributesOfItem(atPath: file)[.size] as? Int)
                ?? 0
            say(
                "stationctl report \(period) --format \(format)".padding(toLength: 45, withPad: " ", startingAt: 0)
                    + "p50 \(ms(times.median))  p99 \(ms(times.p99))  "
                    + String(format: "= %.1f× the daemon's answer (p50)", times.median / daemonShare.median)
                    + "  [\(goal(times.p99, limit)): p99 < \(Int(limit * 1000)) ms]")
        }
        for name in ["daily.html", "campaign.html"] {
            let bytes = sizes[name] ?? 0
            say(
                String(format: "HTML file (%@): %.1f KB", name, Double(bytes) / 1024)
                    + "  [\(bytes < 300 * 1024 ? "goal met" : "GOAL NOT MET"): < 300 KB]")
        }
        // PDF: the same page printed by headless Chromium, whose start alone is far above 200 ms.
        if FileManager.default.isExecutableFile(atPath: "/usr/bin/chromium") {
            let file = directory.appendingPathComponent("report-daily.pdf").path
            let pdf = try spawnTimes(
                stationctl, ["report", "daily", "--format", "pdf", "--out", file, "--socket", socket], runs: 5,
                warmUp: 1)
            let blank = try spawnTimes(
                "/usr/bin/chromium",
                [
                    "--headless=new", "--disable-gpu", "--no-first-run", "--disable-extensions",
                    "--no-pdf-header-footer", "--user-data-dir=\(directory.path)/chromium-profile",
                    "--print-to-pdf=\(directory.path)/blank.pdf", "about:blank",
                ] + (getuid() == 0 ? ["--no-sandbox"] : []), runs: 5, warmUp: 1)
            say(
                "stationctl report daily --format pdf          p50 \(ms(pdf.median))  max \(ms(pdf.samples.last!))  "
                    + "(5 runs); floor: Chromium printing a blank page p50 \(ms(blank.median)) = "
                    + String(format: "%.2f×", pdf.median / blank.median) + " the floor")
        } else {
            say("stationctl report --format pdf: not measured (no /usr/bin/chromium)")
        }
    }
}

/// Spawns `executable` `runs` times (after `warmUp` runs) and times each whole life; a failed run stops the bench.
func spawnTimes(_ executable: String, _ arguments: [String], runs: Int, warmUp: Int = 5) throws -> Statistics {
    let environment = ProcessInfo.processInfo.environment
    for _ in 0..<warmUp { _ = try spawnAndRead(executable, arguments, environment: environment) }
    return Statistics(
        try (0..<runs).map { _ in
            let start = now()
            let output = try spawnAndRead(executable, arguments, environment: environment)
            let elapsed = now() - start
            guard output.status == 0 else {
                throw HarnessError(
                    "\(executable) \(arguments.first ?? "") exited \(output.status): "
                        + String(decoding: output.output.suffix(500), as: UTF8.self))
            }
            return elapsed
        })
}
