import Foundation
import StationTestKit

/// The daemon part of the demo: `central-receiver` (data in `.demo/central`), `stationd run` with a configuration
/// under `.demo/` (store, uplink keys, logs) and no CSCA installed, a complete intake through `stationctl` as a plain
/// operator (`verifiedOffline`), `stationctl upload --wait` (the receiver, holding the test CSCA, marks the packet
/// `chipVerified`, and its status answer delivers the test master list), a second operator intake (`genuine`),
/// then `stationctl status` and `stationctl queue ls`. Every process is stopped by PID.
@MainActor
enum StationRunDemo {
    static func run(harness: PCSCHarness) throws {
        let manager = FileManager.default
        for folder in ["central", "store", "uplink", "run"] {
            try? manager.removeItem(at: demoDirectory.appendingPathComponent(folder))
        }
        let central = demoDirectory.appendingPathComponent("central")
        try manager.createDirectory(at: central, withIntermediateDirectories: true)

        say(
            "Khởi động máy chủ nhận hồ sơ mô phỏng C06 (central-receiver)",
            "Starting the simulated C06 central (central-receiver)")
        let token = "demo-\(UUID().uuidString.prefix(8))"
        let receiver = try ManagedProcess(
            "central-receiver", executable: try Binaries.path("central-receiver"),
            arguments: [
                "serve", "--data", central.appendingPathComponent("data").path, "--port", "0", "--token", token,
                "--population", root.appendingPathComponent("Devices/central/population.csv").path,
                "--approval-delay", "0.3", "--activation-delay", "0.3", "--activation-rate", "0",
                // The central holds the TEST CSCA: it re-verifies each packet's chip evidence, and delivers the
                // test master list to the station with its status answers.
                "--trust", root.appendingPathComponent("Devices/cards/pki/trust").path,
                "--deliver-masterlist", root.appendingPathComponent("Devices/cards/pki/masterlist-TEST-ONLY.ml").path,
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

        say(
            "Khởi động stationd run (vân tay mô phỏng, cấu hình trong .demo/stationd.conf)",
            "Starting stationd run (simulated fingerprint scanner, configuration in .demo/stationd.conf)")
        // The intake runs as a plain operator (another user, in the operators group only): its socket and files
        // live where that user can reach them.
        let shared = URL(fileURLWithPath: "/tmp/station-demo-\(getuid())")
        try? manager.removeItem(at: shared)
        try manager.createDirectory(at: shared, withIntermediateDirectories: true)
        chmod(shared.path, 0o755)
        let socket = shared.appendingPathComponent("run/control.sock").path
        let configPath = demoDirectory.appendingPathComponent("stationd.conf").path
        let demo = demoDirectory.path
        try """
        # written by station-demo
        [control]
        socket = \(socket)
        socket_group = \(Operator.socketGroup)
        [auth]
        operators_group = \(Operator.operatorsGroup)
        supervisors_group = \(Operator.supervisorsGroup)
        [store]
        database = \(demo)/store/queue.sqlite
        key_file = \(demo)/store/queue.key
        minimum_free_mib = 1
        [point]
        commune_code = 26734
        name = "Điểm đăng ký trình diễn"
        [trust]
        # No CSCA installed, as in the field: cards read `verifiedOffline` until the central delivers a list.
        folder =
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
        [listener]
        # The web console and HIS clients: loopback only, a free port (stationctl listener show).
        enabled = true
        port = 0
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

        say(
            "Đặt thẻ CCCD mô phỏng của công dân Nguyễn Văn An lên đầu đọc",
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

        say(
            "Tiếp nhận hồ sơ bởi một người vận hành (không phải quản trị, không phải giám sát): đọc chip (trạm chưa có"
                + " CSCA: verifiedOffline), lấy 2 ngón trỏ, ảnh chân dung, kiểm tra, lưu (stationctl intake)",
            "Intake by a plain operator (not root, not a supervisor): chip read (the station has no CSCA:"
                + " verifiedOffline), two index fingers, portrait, validation, commit (stationctl intake)")
        let portrait = shared.appendingPathComponent("portrait.jpg")
        try syntheticPortrait().write(to: portrait)
        chmod(portrait.path, 0o644)
        // Personal values never go on a command line (readable by every local user through /proc): the CAN on
        // standard input, the phone number in a file only its owner (the operator) reads.
        let phoneFile = shared.appendingPathComponent("phone")
        try Data("0912345678\n".utf8).write(to: phoneFile)
        chmod(phoneFile.path, 0o600)
        _ = chown(phoneFile.path, Operator.uid, Operator.gid)
        let first = try intake(can: can, phoneFile: phoneFile, portrait: portrait, environment: environment)
        // The enrolment's first status sync may already have brought the central's master list (it runs a second
        // after the start, while the card is placed): then this card too reads genuine.
        try expectVerdict(first, ["verifiedOffline", "genuine"], environment: environment)

        say(
            "Truyền hồ sơ lên trung tâm (stationctl upload --wait)",
            "Uploading to the central (stationctl upload --wait)")
        try stationctl(["upload", "--wait"], environment: environment, timeout: 60)
        Thread.sleep(forTimeInterval: 0.8)
        say(
            "Đồng bộ trạng thái sau khi C06 duyệt (stationctl upload --wait)",
            "Syncing statuses after C06's approval (stationctl upload --wait)")
        try stationctl(["upload", "--wait"], environment: environment, timeout: 60)

        let synced = try runTool(
            try Binaries.path("stationctl"), ["status", "--json"], environment: environment, timeout: 20)
        let uplink = (try? JSONSerialization.jsonObject(with: Data(synced.output.utf8)) as? [String: Any])?["uplink"]
        guard ((uplink as? [String: Any])?["chipVerified"] as? Int ?? 0) >= 1 else {
            throw HarnessError("the central did not report the packet chipVerified: \(synced.output)")
        }
        say(
            "Đọc thẻ thứ hai: trung tâm đã gửi danh sách CSCA khi đồng bộ, nên thẻ được chứng minh là thật (genuine)",
            "A second card: the central delivered its CSCA master list with the status sync, so it reads genuine")
        card.stop()
        let secondURL = root.appendingPathComponent("Devices/cards/pham-van-duc-no-expiry.json")
        let second = try JSONSerialization.jsonObject(with: Data(contentsOf: secondURL)) as? [String: Any]
        let secondCard = try harness.startCard(
            slot: 0, arguments: ["--dataset", secondURL.path], label: "demo-intake-card-2")
        defer { secondCard.stop() }
        try waitUntil("second card present", seconds: 10, process: daemon) {
            let result = try? runTool(
                try Binaries.path("stationctl"), ["devices", "--json"], environment: environment, timeout: 5)
            return result?.output.contains(#""cardPresent":true"#) == true
        }
        let secondID = try intake(
            can: String((second?["idNumber"] as? String ?? "").suffix(6)), phoneFile: phoneFile, portrait: portrait,
            environment: environment)
        try expectVerdict(secondID, ["genuine"], environment: environment)

        say(
            "Trạm như người vận hành thấy (stationctl status, stationctl queue ls)",
            "The station as the operator sees it (stationctl status, stationctl queue ls)")
        try stationctl(["status"], environment: environment, timeout: 20)
        try stationctl(["queue", "ls"], environment: environment, timeout: 20)

        let console = try consoleURL(environment: environment)
        say("Bàn điều khiển web (trình duyệt): \(console)", "The web console (a browser): \(console)")
        if keepRunning {
            let accounts = ConsoleAccounts.make(groups: Operator.self)
            defer { accounts?.remove() }
            if let accounts {
                try accounts.checkLogin(console: console)
                accounts.show()
            } else {
                say(
                    "Đăng nhập bàn điều khiển cần tài khoản trên máy: chạy make demo-up bằng root (sudo) để tạo tài"
                        + " khoản trình diễn.",
                    "Console login needs local accounts: run make demo-up as root (sudo) to make the demo accounts.")
            }
            try stayUp(
                socket: socket, pcscSocket: harness.clientEnvironment["PCSCLITE_CSOCK_NAME"] ?? "", can: can,
                console: console, accounts: accounts,
                pids: [("central-receiver", receiver.pid), ("stationd", daemon.pid), ("card", card.pid)])
        }
        card.stop()
        daemon.stop(signal: SIGTERM, timeout: 10)
        receiver.stop()
        print("stationd exit status \(daemon.exitStatus.map(String.init) ?? "?"); central-receiver stopped")
    }

    /// `make demo-up`: everything stays running until Ctrl-C (SIGINT) or SIGTERM; `.demo/env` sets up another
    /// terminal (socket paths, PATH to the built tools) and the commands to try are printed.
    static func stayUp(
        socket: String, pcscSocket: String, can: String, console: String, accounts: ConsoleAccounts?,
        pids: [(String, Int32)]
    ) throws {
        let bin = root.appendingPathComponent(".build/debug").path
        let env = demoDirectory.appendingPathComponent("env")
        // Account names only: the passwords are printed on the demo's terminal, never written to a file.
        let names = accounts.map {
            "export STATION_CONSOLE_OPERATOR=\($0.operatorAccount.name)\n"
                + "export STATION_CONSOLE_SUPERVISOR=\($0.supervisorAccount.name)\n"
        }
        try """
        # written by station-demo --up: source it in another terminal (. .demo/env)
        export STATIOND_SOCKET=\(socket)
        export PCSCLITE_CSOCK_NAME=\(pcscSocket)
        export STATION_LANG=\(lang)
        export STATION_CONSOLE_URL=\(console)
        \(names ?? "")export PATH=\(bin):$PATH

        """.write(to: env, atomically: true, encoding: .utf8)
        let trust = root.appendingPathComponent("Devices/cards/pki/trust").path
        say("Trạm đang chạy. Mở terminal khác, rồi thử:", "The station is up. In another terminal, try:")
        let canHint =
            english
            ? "Each asks for the card's CAN, \(can) (not echoed; or --can-file FILE, --can-file - for standard input)"
            : "Mỗi lệnh hỏi số CAN của thẻ, \(can) (không hiện khi gõ; hoặc --can-file TỆP, --can-file - từ đầu vào chuẩn)"
        print(
            """
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
                \(english ? "Open in a browser" : "Mở bằng trình duyệt"): $STATION_CONSOLE_URL (\(console))
            """)
        for (name, pid) in pids { print("  \(name): pid \(pid)") }
        print(
            english
                ? "Ctrl-C stops everything (by PID); the state stays in .demo/."
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

    /// The plain operator the intakes run as (when the demo runs as root): `nobody`, in the socket and operators
    /// groups only (numeric groups, as the tests use; no account needs creating).
    enum Operator {
        static let socketGroup: UInt32 = 64_201
        static let operatorsGroup: UInt32 = 64_202
        static let supervisorsGroup: UInt32 = 64_203
        static let uid: uid_t = 65_534
        static let gid: gid_t = 65_534
    }

    /// One intake through `stationctl intake` as the plain operator; returns the committed application's id.
    static func intake(can: String, phoneFile: URL, portrait: URL, environment: [String: String]) throws -> String {
        let output = try stationctl(
            [
                "intake", "--can-file", "-", "--phone-file", phoneFile.path, "--portrait", portrait.path, "--yes",
                "--json",
            ], input: ("CAN", can), environment: environment, timeout: 90, asOperator: getuid() == 0)
        let line = output.split(separator: "\n").last { $0.hasPrefix("{") }.map(String.init) ?? ""
        let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
        guard let id = object?["applicationID"] as? String else { throw HarnessError("the intake did not commit") }
        return id
    }

    /// Fails the demo unless the application was committed with `verdict`.
    static func expectVerdict(_ id: String, _ verdicts: Set<String>, environment: [String: String]) throws {
        let shown = try runTool(
            try Binaries.path("stationctl"), ["queue", "show", id, "--json"], environment: environment, timeout: 20)
        let object = try? JSONSerialization.jsonObject(with: Data(shown.output.utf8)) as? [String: Any]
        let authenticity = object?["authenticity"] as? String ?? "?"
        print(english ? "authenticity: \(authenticity)" : "xác thực thẻ: \(authenticity)")
        guard verdicts.contains(authenticity) else {
            throw HarnessError("application \(id) committed as \(authenticity), expected \(verdicts.sorted())")
        }
    }

    /// Runs `stationctl` with the demo's socket and language, printing the command and what it shows.
    @discardableResult
    static func stationctl(
        _ arguments: [String], input: (label: String, value: String)? = nil, environment: [String: String],
        timeout: Double, asOperator: Bool = false
    ) throws -> String {
        let setpriv = [
            "--reuid=\(Operator.uid)", "--regid=\(Operator.gid)",
            "--groups=\(Operator.socketGroup),\(Operator.operatorsGroup)", "--",
        ]
        print(
            "$ " + (input.map { "echo $\($0.label) | " } ?? "")
                + (asOperator ? "setpriv " + setpriv.joined(separator: " ") + " " : "")
                + "stationctl \(arguments.map { $0.contains(" ") ? "\"\($0)\"" : $0 }.joined(separator: " "))")
        let tool = try Binaries.path("stationctl")
        let result = try runTool(
            asOperator ? "/usr/bin/setpriv" : tool, asOperator ? setpriv + [tool] + arguments : arguments,
            input: input.map { $0.value + "\n" }, environment: environment, timeout: timeout)
        print(
            result.output.replacingOccurrences(of: "\r", with: "\n").split(separator: "\n").suffix(40)
                .joined(separator: "\n"))
        guard result.status == 0 else {
            throw HarnessError("stationctl \(arguments.first ?? "") failed with exit status \(result.status)")
        }
        return result.output
    }

    /// The console's address on the daemon's TCP listener (`stationctl listener show --json`).
    static func consoleURL(environment: [String: String]) throws -> String {
        let shown = try runTool(
            try Binaries.path("stationctl"), ["listener", "show", "--json"], environment: environment, timeout: 20)
        let object = try? JSONSerialization.jsonObject(with: Data(shown.output.utf8)) as? [String: Any]
        guard let port = object?["port"] as? Int, object?["enabled"] as? Bool == true else {
            throw HarnessError("the TCP listener is not on: \(shown.output)")
        }
        return "http://127.0.0.1:\(port)/console/"
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

    /// A real 480×640 JPEG photo (`SamplePhoto`): the daemon decodes and normalises portraits.
    static func syntheticPortrait() -> Data {
        SamplePhoto(width: 480, height: 640).jpeg()
    }
}
