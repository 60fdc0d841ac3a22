import ControlAPI
import Foundation
import Simulation
import StationTestKit
import Testing

/// Issue 16, items 7 and 8: CANs, ID numbers, dates of birth, phones and free-text notes reach `stationctl` and
/// `stationd card read` from files, standard input or a prompt, never from their command lines (readable by every
/// local user through `/proc/PID/cmdline`); hold/cancel notes are sealed in the store, reason codes a closed set.
/// Real pcscd + vpcd + the simulated CCCD, the real daemon, the tools as processes.
@Suite(.serialized)
struct SecretInputLiveTests {
    let lease: LivePCSC.Lease
    var harness: PCSCHarness { lease.harness }
    init() async throws { lease = try await LivePCSC.acquire() }

    static let dataSet = LivePCSC.packageRoot.appendingPathComponent("Devices/cards/nguyen-van-an.json")

    @Test("stationctl: CAN on stdin, phone and notes in files, CAN at a prompt without echo; notes sealed")
    func stationctlReadsSecretsWithoutArguments() async throws {
        let set = try CitizenDataSet.load(Self.dataSet)
        let trust = TrustAnchorConfigurationTests.pki.appendingPathComponent("trust").path
        let daemon = try DaemonUnderTest(
            name: "secrets", extraConfig: "[trust]\nfolder = \(trust)\n[point]\ncommune_code = 26734\n",
            environment: harness.clientEnvironment)
        try daemon.start()
        let card = try harness.startCard(arguments: ["--dataset", Self.dataSet.path])
        defer { card.stop() }
        try await waitForCard(daemon)
        let stationctl = try Binaries.path("stationctl")
        let socket = ["--socket", daemon.socketPath]

        let phone = "0987654321"
        let phoneFile = try secretFile(daemon.directory, "phone", phone + "\n")
        let portrait = daemon.directory.appendingPathComponent("portrait.jpg")
        try IntakeLiveTests.syntheticJPEG(width: 480, height: 640).write(to: portrait)

        // The demo's form: the CAN on standard input (it waits there), the phone in a file.
        let input = try WaitingInput(daemon.directory.appendingPathComponent("intake.in"))
        let intake = try ManagedProcess(
            "stationctl intake", executable: stationctl,
            arguments: ["intake"] + socket + [
                "--can-file", "-", "--phone-file", phoneFile.path, "--portrait", portrait.path, "--yes", "--json",
            ],
            logFile: daemon.directory.appendingPathComponent("intake.log"), environment: daemon.environment,
            input: input.url)
        defer { intake.stop() }
        try await Task.sleep(for: .milliseconds(500))
        #expect(intake.isRunning, "\(intake.output)")
        let intakeLine = try commandLine(intake.pid)
        #expect(intakeLine.contains("--can-file") && intakeLine.contains("--phone-file"))
        #expect(!intakeLine.contains(set.can), "the CAN is on the command line: \(intakeLine)")
        #expect(!intakeLine.contains(phone), "the phone is on the command line")
        // Values are read before the session starts: nothing is held open while it waits.
        #expect(try daemon.curl("GET", "/v1/status").1.contains(#""active":false"#))
        input.write(set.can + "\n")
        #expect(intake.wait(timeout: 90) == 0, "\(intake.output)\n\(daemon.log.suffix(3000))")
        let line = intake.output.split(separator: "\n").last { $0.hasPrefix("{") }.map(String.init) ?? ""
        let session = try ControlJSON.decoder().decode(IntakeSessionWire.self, from: Data(line.utf8))
        #expect(session.state == "committed")
        let id = try #require(session.applicationID)
        let unmasked = try daemon.stationctl(["queue", "show", id, "--unmasked", "--json"])
        let detail = try ControlJSON.decoder().decode(ApplicationDetailWire.self, from: Data(unmasked.output.utf8))
        #expect(detail.phone == phone, "the phone read from its file")
        #expect(detail.idNumber == set.idNumber)

        // verify: the CAN typed at a prompt on a terminal, not echoed; never on the command line.
        let terminal = try PseudoTerminal()
        let prompted = try ManagedProcess(
            "stationctl verify", executable: stationctl, arguments: ["verify"] + socket + ["--json", "--lang", "en"],
            logFile: daemon.directory.appendingPathComponent("verify.log"), environment: daemon.environment,
            input: URL(fileURLWithPath: terminal.deviceName))
        defer { prompted.stop() }
        try await waitFor("the CAN prompt", seconds: 45) { prompted.output.contains("CAN") || !prompted.isRunning }
        #expect(prompted.isRunning, "\(prompted.output)")
        #expect(!(try commandLine(prompted.pid)).contains(set.can))
        terminal.write(set.can + "\n")
        try await Task.sleep(for: .milliseconds(300))
        let echoed = terminal.readAvailable()
        #expect(!echoed.contains(set.can), "the CAN was echoed: \(echoed)")
        #expect(prompted.wait(timeout: 60) == 0, "\(prompted.output)")
        let verdict = try #require(jsonObject(String(prompted.output.split(separator: "\n").last ?? "")))
        #expect(verdict["verdict"] as? String == "accept", "\(prompted.output)")

        // The CAN from a file; and what cannot be read is refused with 64 and the reason, before any card read.
        let canFile = try secretFile(daemon.directory, "can", set.can + "\n")
        let fromFile = try daemon.stationctl(["verify", "--can-file", canFile.path, "--json"], timeout: 60)
        #expect(fromFile.status == 0, "\(fromFile.output)")
        #expect(jsonObject(fromFile.output)?["verdict"] as? String == "accept")
        let noTerminal = try daemon.stationctl(["verify", "--lang", "en"])
        #expect(noTerminal.status == 64 && noTerminal.output.contains("input.missing"), "\(noTerminal.output)")
        #expect(noTerminal.output.contains("--can-file"))
        let both = try daemon.stationctl(["verify", "--can", set.can, "--can-file", canFile.path])
        #expect(both.status == 64 && both.output.contains("input.both_forms"), "\(both.output)")
        let absent = try daemon.stationctl(["verify", "--can-file", "/nonexistent/can"])
        #expect(absent.status == 64 && absent.output.contains("input.unreadable"), "\(absent.output)")
        let empty = try secretFile(daemon.directory, "empty", "\n")
        let nothing = try daemon.stationctl(["intake", "--can-file", empty.path, "--phone-file", phoneFile.path])
        #expect(nothing.status == 64 && nothing.output.contains("input.empty"), "\(nothing.output)")
        #expect(try daemon.curl("GET", "/v1/status").1.contains(#""active":false"#))

        // Hold/cancel: a closed set of reason codes in clear; free text only as a note, sealed.
        let holdNote = "Bà Trần Thị Bình gọi 0911222333: chờ sửa tên"
        let cancelNote = "Công dân Lê Văn Cường chuyển hộ khẩu"
        let freeReason = "Nguyen Van An asked to wait"
        let refused = try daemon.stationctl(["queue", "hold", id, "--reason", freeReason, "--lang", "en"])
        #expect(refused.status != 0 && refused.output.contains("queue.unknown_reason"), "\(refused.output)")
        #expect(!refused.output.contains(freeReason))
        let (status, body) = try daemon.curl(
            "POST", "/v1/queue/\(id)/hold", body: #"{"reason":"\#(freeReason)"}"#)
        #expect(status == 422 && errorCode(body) == "queue.unknown_reason", "\(status) \(body)")
        let noteFile = try secretFile(daemon.directory, "note", holdNote + "\n")
        let held = try daemon.stationctl(
            ["queue", "hold", id, "--reason", "citizenRequest", "--note-file", noteFile.path, "--lang", "en"])
        #expect(held.output.contains("held/"), "\(held.output)")
        #expect(try daemon.stationctl(["queue", "release", id, "--lang", "en"]).output.contains("captured/"))
        let cancelled = try runTool(
            stationctl, ["queue", "cancel", id] + socket + ["--reason", "other", "--note-file", "-", "--lang", "en"],
            input: cancelNote + "\n", environment: daemon.environment, timeout: 30)
        #expect(cancelled.output.contains("cancelled/"), "\(cancelled.output)")

        // The store's files read directly: no note (nor the refused free text) in clear.
        let database = daemon.directory.appendingPathComponent("state/queue.sqlite").path
        var checked = 0
        for file in [database, database + "-wal"] {
            guard let bytes = FileManager.default.contents(atPath: file) else { continue }
            checked += 1
            for text in [holdNote, cancelNote, "0911222333", "Lê Văn Cường", freeReason] {
                #expect(bytes.range(of: Data(text.utf8)) == nil, "\(text) in clear in \(file)")
            }
        }
        #expect(checked >= 1)
        // Operators see the codes and that a note exists; a supervisor's unmasked view (audited) shows the notes.
        let operators = [TestGroups.socket, TestGroups.operators]
        let (shown, masked) = try daemon.curl("GET", "/v1/queue/\(id)", asGroups: operators)
        #expect(shown == 200)
        #expect(!masked.contains("Trần Thị Bình") && !masked.contains("Lê Văn Cường"))
        let operatorView = try ControlJSON.decoder().decode(ApplicationDetailWire.self, from: Data(masked.utf8))
        let notedForOperator = (operatorView.history ?? []).filter { $0.action == "hold" || $0.action == "cancel" }
        #expect(notedForOperator.map(\.reason) == ["citizenRequest", "other"])
        #expect(notedForOperator.map(\.hasNote) == [true, true])
        #expect(notedForOperator.allSatisfy { $0.note == nil })
        let supervisorShow = try daemon.stationctl(["queue", "show", id, "--unmasked", "--json"])
        let supervisorView = try ControlJSON.decoder().decode(
            ApplicationDetailWire.self, from: Data(supervisorShow.output.utf8))
        let notes = (supervisorView.history ?? []).filter { $0.action == "hold" || $0.action == "cancel" }
        #expect(notes.map(\.note) == [holdNote, cancelNote])
    }

    @Test("stationd card read: the key from a file, stdin, a prompt without echo; never on the command line")
    func cardReadReadsKeysWithoutArguments() async throws {
        let set = try CitizenDataSet.load(Self.dataSet)
        let card = try harness.startCard(arguments: ["--dataset", Self.dataSet.path])
        defer { card.stop() }
        let stationd = try Binaries.path("stationd")
        let environment = harness.clientEnvironment
        let reader = ["--reader", harness.readerName(), "--json"]
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("secret-read-\(getpid())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        func identity(_ output: String) -> String? {
            let line = output.split(separator: "\n").last { $0.hasPrefix("{") }.map(String.init) ?? ""
            return (jsonObject(line)?["citizen"] as? [String: Any])?["idNumber"] as? String
        }

        // The CAN from a file (first read: give the reader a moment to see the card).
        let canFile = try secretFile(directory, "can", set.can + "\n")
        var fromFile = try runTool(
            stationd, ["card", "read", "--can-file", canFile.path] + reader, environment: environment, timeout: 60)
        for _ in 0..<20 where fromFile.status == 2 {
            try await Task.sleep(for: .milliseconds(250))
            fromFile = try runTool(
                stationd, ["card", "read", "--can-file", canFile.path] + reader, environment: environment,
                timeout: 60)
        }
        #expect(fromFile.status == 3, "\(fromFile.output)")  // read, no trust anchor given: not confirmed
        #expect(identity(fromFile.output) == set.idNumber)

        // The CAN on standard input: while the tool waits for it, its command line holds no key.
        let input = try WaitingInput(directory.appendingPathComponent("read.in"))
        let waiting = try ManagedProcess(
            "stationd card read", executable: stationd, arguments: ["card", "read", "--can-file", "-"] + reader,
            logFile: directory.appendingPathComponent("read.log"), environment: environment, input: input.url)
        defer { waiting.stop() }
        try await Task.sleep(for: .milliseconds(400))
        #expect(waiting.isRunning, "\(waiting.output)")
        let line = try commandLine(waiting.pid)
        #expect(line.contains("--can-file") && !line.contains(set.can), "\(line)")
        input.write(set.can + "\n")
        #expect(waiting.wait(timeout: 60) == 3, "\(waiting.output)")
        #expect(identity(waiting.output) == set.idNumber)

        // ID number and date of birth on standard input (one line each, in option order), expiry from a file.
        let expiryFile = try secretFile(directory, "expiry", set.dateOfExpiryYYMMDD)
        let mrzKey = try runTool(
            stationd,
            ["card", "read", "--id-file", "-", "--dob-file", "-", "--expiry-file", expiryFile.path] + reader,
            input: "\(set.idNumber)\n\(set.dateOfBirthYYMMDD)\n", environment: environment, timeout: 60)
        #expect(mrzKey.status == 3, "\(mrzKey.output)")
        #expect(identity(mrzKey.output) == set.idNumber)

        // The MRZ (three lines) from a file, and from standard input (the whole input).
        let mrzText = CCCDMRZ.lines(for: set).joined(separator: "\n") + "\n"
        let mrzFile = try secretFile(directory, "mrz", mrzText)
        let mrzFromFile = try runTool(
            stationd, ["card", "read", "--mrz-file", mrzFile.path] + reader, environment: environment, timeout: 60)
        #expect(mrzFromFile.status == 3, "\(mrzFromFile.output)")
        #expect(identity(mrzFromFile.output) == set.idNumber)
        let mrzFromInput = try runTool(
            stationd, ["card", "read", "--mrz-file", "-"] + reader, input: mrzText, environment: environment,
            timeout: 60)
        #expect(mrzFromInput.status == 3, "\(mrzFromInput.output)")

        // No key given, on a terminal: the CAN is asked for, without echo.
        let terminal = try PseudoTerminal()
        let prompted = try ManagedProcess(
            "stationd card read", executable: stationd, arguments: ["card", "read", "--lang", "en"] + reader,
            logFile: directory.appendingPathComponent("prompt.log"), environment: environment,
            input: URL(fileURLWithPath: terminal.deviceName))
        defer { prompted.stop() }
        try await waitFor("the CAN prompt", seconds: 45) { prompted.output.contains("CAN") || !prompted.isRunning }
        terminal.write(set.can + "\n")
        try await Task.sleep(for: .milliseconds(300))
        #expect(!terminal.readAvailable().contains(set.can), "the CAN was echoed")
        #expect(prompted.wait(timeout: 60) == 3, "\(prompted.output)")
        #expect(identity(prompted.output) == set.idNumber)

        // `--can-file -` when standard input is the terminal: the same prompt, no echo.
        let dashTerminal = try PseudoTerminal()
        let dash = try ManagedProcess(
            "stationd card read", executable: stationd, arguments: ["card", "read", "--can-file", "-"] + reader,
            logFile: directory.appendingPathComponent("dash.log"), environment: environment,
            input: URL(fileURLWithPath: dashTerminal.deviceName))
        defer { dash.stop() }
        try await waitFor("the CAN prompt", seconds: 45) { dash.output.contains("CAN") || !dash.isRunning }
        dashTerminal.write(set.can + "\n")
        try await Task.sleep(for: .milliseconds(300))
        #expect(!dashTerminal.readAvailable().contains(set.can), "the CAN was echoed")
        #expect(dash.wait(timeout: 60) == 3, "\(dash.output)")
        #expect(identity(dash.output) == set.idNumber)

        // No key and no terminal, two forms at once, an unreadable or empty file: 64 with the reason.
        let cases: [([String], String)] = [
            ([], "input.missing"),
            (["--can", set.can, "--can-file", canFile.path], "input.both_forms"),
            (["--can-file", directory.appendingPathComponent("absent").path], "input.unreadable"),
            (["--can-file", try secretFile(directory, "blank", " \n").path], "input.empty"),
        ]
        for (arguments, code) in cases {
            let result = try runTool(
                stationd, ["card", "read", "--lang", "en"] + arguments + reader, environment: environment,
                timeout: 30)
            #expect(result.status == 64 && result.output.contains(code), "\(arguments): \(result.output)")
        }
    }

    // MARK: - Helpers

    func waitForCard(_ daemon: DaemonUnderTest) async throws {
        try await waitFor("the daemon to see the card", seconds: 45) {
            (try? daemon.curl("GET", "/v1/readers").1.contains(#""cardPresent":true"#)) == true
        }
    }

    func waitFor(_ what: String, seconds: Double, _ condition: () throws -> Bool) async throws {
        let deadline = Date(timeIntervalSinceNow: seconds)
        while Date() < deadline {
            if try condition() { return }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw HarnessError("timed out waiting for \(what)")
    }

    /// What every local user can read of a process's command line (`/proc/PID/cmdline`, NULs as spaces).
    func commandLine(_ pid: pid_t) throws -> String {
        guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline"), !data.isEmpty else {
            throw HarnessError("no /proc/\(pid)/cmdline")
        }
        return String(decoding: data.map { $0 == 0 ? 0x20 : $0 }, as: UTF8.self)
    }

    /// A file holding a value, mode 0600.
    func secretFile(_ directory: URL, _ name: String, _ text: String) throws -> URL {
        let url = directory.appendingPathComponent("secret-\(name)")
        try Data(text.utf8).write(to: url)
        chmod(url.path, 0o600)
        return url
    }
}

/// A FIFO a child reads as its standard input: it waits there until the test writes (the test keeps the FIFO open
/// for reading and writing, so the child's open does not block).
final class WaitingInput {
    let url: URL
    private let fd: Int32

    init(_ url: URL) throws {
        self.url = url
        unlink(url.path)
        guard mkfifo(url.path, 0o600) == 0 else { throw HarnessError("mkfifo \(url.path) failed") }
        fd = open(url.path, O_RDWR)
        guard fd >= 0 else { throw HarnessError("cannot open \(url.path)") }
    }

    func write(_ text: String) {
        let bytes = Array(text.utf8)
        _ = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
    }

    deinit {
        close(fd)
        unlink(url.path)
    }
}

/// A pseudo-terminal: the child's standard input is the terminal device, the test types on the other side and
/// reads back what the terminal echoes.
final class PseudoTerminal {
    let deviceName: String
    private let controller: Int32

    init() throws {
        // posix_openpt/unlockpt/ptsname by hand (Glibc's Swift module leaves them out): /dev/ptmx, TIOCSPTLCK 0,
        // TIOCGPTN.
        controller = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC)  // never inherited by a child
        var unlock: Int32 = 0
        var number: UInt32 = 0
        guard controller >= 0, ioctl(controller, 0x4004_5431, &unlock) == 0,
            ioctl(controller, 0x8004_5430, &number) == 0
        else { throw HarnessError("no pseudo-terminal") }
        deviceName = "/dev/pts/\(number)"
        _ = fcntl(controller, F_SETFL, fcntl(controller, F_GETFL) | O_NONBLOCK)
    }

    func write(_ text: String) {
        let bytes = Array(text.utf8)
        _ = bytes.withUnsafeBytes { Glibc.write(controller, $0.baseAddress, $0.count) }
    }

    /// What the terminal has sent back so far (its echo).
    func readAvailable() -> String {
        var collected = [UInt8]()
        var buffer = [UInt8](repeating: 0, count: 1024)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(controller, $0.baseAddress, $0.count) }
            if count <= 0 { break }
            collected += buffer[0..<count]
        }
        return String(decoding: collected, as: UTF8.self)
    }

    deinit { close(controller) }
}

/// The argument forms stay for scripts, and their help says why not to use them.
@Suite struct SecretInputHelpTests {
    @Test("every argument form of a secret value warns about /proc and names its file form")
    func argumentFormsWarn() throws {
        let commands: [(String, [String], [String])] = [
            ("stationctl", ["intake", "--help"], ["can", "mrz", "phone", "override-reason"]),
            ("stationctl", ["verify", "--help"], ["can", "mrz"]),
            ("stationctl", ["queue", "hold", "--help"], ["note"]),
            ("stationctl", ["queue", "cancel", "--help"], ["note"]),
            ("stationd", ["card", "read", "--help"], ["can", "mrz", "id", "dob", "expiry"]),
            ("stationd", ["simulate", "card", "--help"], ["can", "mrz"]),
        ]
        for (tool, arguments, options) in commands {
            let result = try runTool(try Binaries.path(tool), arguments, environment: ["COLUMNS": "400"])
            #expect(result.status == 0, "\(arguments): \(result.output)")
            // An option's help is on its line, or on the next one when the name is long.
            let lines = result.output.split(separator: "\n").map(String.init)
            for option in options {
                let index = lines.firstIndex { $0.hasPrefix("  --\(option) <") }
                let argument = index.map { lines[$0] + (lines.indices.contains($0 + 1) ? lines[$0 + 1] : "") }
                #expect(
                    argument?.contains("Visible to other local users via /proc; prefer --\(option)-file") == true,
                    "\(tool) \(arguments.joined(separator: " ")): --\(option): \(argument ?? "missing")")
                #expect(lines.contains { $0.hasPrefix("  --\(option)-file <") }, "\(tool): --\(option)-file missing")
            }
        }
    }
}
