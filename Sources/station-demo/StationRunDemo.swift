import Foundation
import StationTestKit

/// The daemon part of the demo: `central-receiver` (data in `.demo/central`), `stationd run` with a configuration
/// under `.demo/` (store, uplink keys, logs), a complete intake through `stationctl`, `stationctl upload --wait`,
/// then `stationctl status` and `stationctl queue ls` as an operator sees them. Every process is stopped by PID.
@MainActor
enum StationRunDemo {
    static func run(harness: PCSCHarness) throws {
        let manager = FileManager.default
        for folder in ["central", "store", "uplink", "run"] {
            try? manager.removeItem(at: demoDirectory.appendingPathComponent(folder))
        }
        let central = demoDirectory.appendingPathComponent("central")
        try manager.createDirectory(at: central, withIntermediateDirectories: true)

        say("Khởi động máy chủ nhận hồ sơ mô phỏng C06 (central-receiver)",
            "Starting the simulated C06 central (central-receiver)")
        let token = "demo-\(UUID().uuidString.prefix(8))"
        let receiver = try ManagedProcess(
            "central-receiver", executable: try Binaries.path("central-receiver"),
            arguments: [
                "serve", "--data", central.appendingPathComponent("data").path, "--port", "0", "--token", token,
                "--population", root.appendingPathComponent("Devices/central/population.csv").path,
                "--approval-delay", "0.3", "--activation-delay", "0.3", "--activation-rate", "0",
            ],
            logFile: central.appendingPathComponent("receiver.log"))
        defer { receiver.stop() }
        let port = try waitForPort(receiver)
        print("central-receiver (pid \(receiver.pid)) listening on 127.0.0.1:\(port)")
        // The technician reads the fingerprint the central printed and confirms it: the station pins the central's
        // keys only if they match (uplink.central_fingerprint below, or `stationctl enroll --central-fingerprint`).
        let fingerprint =
            receiver.output.split(separator: "\n").first { $0.hasPrefix("central fingerprint: ") }
            .map { String($0.dropFirst("central fingerprint: ".count)) } ?? ""
        print("central fingerprint: \(fingerprint)")

        say("Khởi động stationd run (vân tay mô phỏng, cấu hình trong .demo/stationd.conf)",
            "Starting stationd run (simulated fingerprint scanner, configuration in .demo/stationd.conf)")
        let socket = demoDirectory.appendingPathComponent("run/control.sock").path
        let configPath = demoDirectory.appendingPathComponent("stationd.conf").path
        let demo = demoDirectory.path
        try """
            # written by station-demo
            [control]
            socket = \(socket)
            socket_group =
            [store]
            database = \(demo)/store/queue.sqlite
            key_file = \(demo)/store/queue.key
            minimum_free_mib = 1
            [point]
            commune_code = 26734
            name = "Điểm đăng ký trình diễn"
            [trust]
            # The TEST ONLY CSCA that signs the simulated cards: the daemon proves each card genuine against it.
            folder = \(root.appendingPathComponent("Devices/cards/pki/trust").path)
            [biometrics]
            usb = false
            poll_seconds = 1
            [uplink]
            url = http://127.0.0.1:\(port)
            token = \(token)
            central_fingerprint = \(fingerprint)
            state = \(demo)/uplink
            station_id = station-demo-26734
            interval_seconds = 3600
            [freeze]
            min_free_mib = 1
            [log]
            level = notice

            """.write(toFile: configPath, atomically: true, encoding: .utf8)
        var environment = harness.clientEnvironment
        environment["STATION_FINGERPRINT_SIMULATOR"] = "good"
        environment["STATIOND_SOCKET"] = socket
        environment["STATION_LANG"] = lang
        let daemon = try ManagedProcess(
            "stationd", executable: try Binaries.path("stationd"), arguments: ["run", "--config", configPath],
            logFile: demoDirectory.appendingPathComponent("stationd.log"), environment: environment)
        defer { daemon.stop(signal: SIGTERM, timeout: 10) }
        print("stationd run (pid \(daemon.pid)), log .demo/stationd.log")
        try waitUntil("stationd ready and enrolled", seconds: 25, process: daemon) {
            let result = try? runTool(
                try Binaries.path("stationctl"), ["upload", "--status", "--json"], environment: environment,
                timeout: 5)
            return result?.status == 0 && result?.output.contains(#""state":"idle""#) == true
        }

        say("Đặt thẻ CCCD mô phỏng của công dân Nguyễn Văn An lên đầu đọc",
            "Placing the simulated CCCD of citizen Nguyễn Văn An on the reader")
        let datasetURL = root.appendingPathComponent("Devices/cards/nguyen-van-an.json")
        let dataset = try JSONSerialization.jsonObject(with: Data(contentsOf: datasetURL)) as? [String: Any]
        guard let idNumber = dataset?["idNumber"] as? String else {
            throw HarnessError("the card data set has no idNumber")
        }
        let can = String(idNumber.suffix(6))  // a CCCD's CAN: the last 6 digits of the ID number
        let card = try harness.startCard(
            slot: 0, arguments: ["--dataset", datasetURL.path], label: "demo-intake-card")
        defer { card.stop() }
        try waitUntil("card present", seconds: 10, process: daemon) {
            let result = try? runTool(
                try Binaries.path("stationctl"), ["devices", "--json"], environment: environment, timeout: 5)
            return result?.output.contains(#""cardPresent":true"#) == true
        }

        say("Tiếp nhận hồ sơ: đọc chip (xác thực thẻ thật), lấy 2 ngón trỏ, ảnh chân dung, kiểm tra, lưu (stationctl intake)",
            "Intake: chip read (proven genuine), two index fingers, portrait, validation, commit (stationctl intake)")
        let portrait = demoDirectory.appendingPathComponent("portrait.jpg")
        try syntheticPortrait().write(to: portrait)
        // Personal values never go on a command line (readable by every local user through /proc): the CAN on
        // standard input, the phone number in a file only its owner reads.
        let phoneFile = demoDirectory.appendingPathComponent("phone")
        try Data("0912345678\n".utf8).write(to: phoneFile)
        chmod(phoneFile.path, 0o600)
        try stationctl(
            [
                "intake", "--can-file", "-", "--phone-file", phoneFile.path, "--portrait", portrait.path, "--yes",
            ], input: ("CAN", can), environment: environment, timeout: 60)

        say(
            "Truyền hồ sơ lên trung tâm (stationctl upload --wait)",
            "Uploading to the central (stationctl upload --wait)")
        try stationctl(["upload", "--wait"], environment: environment, timeout: 60)
        Thread.sleep(forTimeInterval: 0.8)
        say("Đồng bộ trạng thái sau khi C06 duyệt (stationctl upload --wait)",
            "Syncing statuses after C06's approval (stationctl upload --wait)")
        try stationctl(["upload", "--wait"], environment: environment, timeout: 60)

        say("Trạm như người vận hành thấy (stationctl status, stationctl queue ls)",
            "The station as the operator sees it (stationctl status, stationctl queue ls)")
        try stationctl(["status"], environment: environment, timeout: 20)
        try stationctl(["queue", "ls"], environment: environment, timeout: 20)

        if keepRunning {
            try stayUp(
                socket: socket, pcscSocket: harness.clientEnvironment["PCSCLITE_CSOCK_NAME"] ?? "", can: can,
                pids: [("central-receiver", receiver.pid), ("stationd", daemon.pid), ("card", card.pid)])
        }
        card.stop()
        daemon.stop(signal: SIGTERM, timeout: 10)
        receiver.stop()
        print("stationd exit status \(daemon.exitStatus.map(String.init) ?? "?"); central-receiver stopped")
    }

    /// `make demo-up`: everything stays running until Ctrl-C (SIGINT) or SIGTERM; `.demo/env` sets up another
    /// terminal (socket paths, PATH to the built tools) and the commands to try are printed.
    static func stayUp(socket: String, pcscSocket: String, can: String, pids: [(String, Int32)]) throws {
        let bin = root.appendingPathComponent(".build/debug").path
        let env = demoDirectory.appendingPathComponent("env")
        try """
            # written by station-demo --up: source it in another terminal (. .demo/env)
            export STATIOND_SOCKET=\(socket)
            export PCSCLITE_CSOCK_NAME=\(pcscSocket)
            export STATION_LANG=\(lang)
            export PATH=\(bin):$PATH

            """.write(to: env, atomically: true, encoding: .utf8)
        let trust = root.appendingPathComponent("Devices/cards/pki/trust").path
        say("Trạm đang chạy. Mở terminal khác, rồi thử:", "The station is up. In another terminal, try:")
        let canHint =
            english
            ? "Each asks for the card's CAN, \(can) (not echoed; or --can-file FILE, --can-file - for standard input)"
            : "Mỗi lệnh hỏi số CAN của thẻ, \(can) (không hiện khi gõ; hoặc --can-file TỆP, --can-file - từ đầu vào chuẩn)"
        print("""
                . .demo/env
                stationctl status
                stationctl queue ls
                stationctl watch                                   # \(english ? "live events" : "sự kiện trực tiếp")
                stationctl verify                                  # \(english ? "health check-in" : "kiểm tra tại cơ sở y tế")
                stationctl intake                                  # \(english ? "refused: duplicate of the first" : "bị từ chối: trùng hồ sơ đầu")
                stationctl report daily
                stationd card read --trust \(trust)
              \(canHint)
                curl --unix-socket $STATIOND_SOCKET http://station/v1/status
                curl --unix-socket $STATIOND_SOCKET -N http://station/v1/events
                curl --unix-socket $STATIOND_SOCKET http://station/metrics
            """)
        for (name, pid) in pids { print("  \(name): pid \(pid)") }
        print(english ? "Ctrl-C stops everything (by PID); the state stays in .demo/."
                      : "Ctrl-C dừng tất cả (theo PID); dữ liệu vẫn ở .demo/.")
        fflush(nil)
        var signals = sigset_t()
        sigemptyset(&signals)
        sigaddset(&signals, SIGINT)
        sigaddset(&signals, SIGTERM)
        sigprocmask(SIG_BLOCK, &signals, nil)
        var received: Int32 = 0
        sigwait(&signals, &received)
        say("Đang dừng…", "Stopping…")
    }

    /// Runs `stationctl` with the demo's socket and language, printing the command and what it shows.
    @discardableResult
    static func stationctl(
        _ arguments: [String], input: (label: String, value: String)? = nil, environment: [String: String],
        timeout: Double
    ) throws -> String {
        print("$ " + (input.map { "echo $\($0.label) | " } ?? "")
              + "stationctl \(arguments.map { $0.contains(" ") ? "\"\($0)\"" : $0 }.joined(separator: " "))")
        let result = try runTool(
            try Binaries.path("stationctl"), arguments, input: input.map { $0.value + "\n" },
            environment: environment, timeout: timeout)
        print(result.output.replacingOccurrences(of: "\r", with: "\n").split(separator: "\n").suffix(40)
            .joined(separator: "\n"))
        guard result.status == 0 else {
            throw HarnessError("stationctl \(arguments.first ?? "") failed with exit status \(result.status)")
        }
        return result.output
    }

    static func waitForPort(_ receiver: ManagedProcess) throws -> Int {
        if let port = receiver.listeningPort() { return port }
        throw HarnessError("central-receiver did not start: \(receiver.output)")
    }

    static func waitUntil(
        _ what: String, seconds: Double, process: ManagedProcess, _ condition: () throws -> Bool
    ) throws {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            guard process.isRunning else { throw HarnessError("stationd exited: \(process.output)") }
            if try condition() { return }
            Thread.sleep(forTimeInterval: 0.2)
        }
        throw HarnessError("timed out waiting for \(what)\n\(process.output)")
    }

    /// A structurally valid JPEG (SOI, comment padding, SOF0 480×640, EOI): enough for the intake's checks.
    static func syntheticPortrait() -> Data {
        SyntheticJPEG.headers(width: 480, height: 640, size: 3_027, fill: .byte(0x20), commentFirst: true)
    }
}
