import ControlAPI
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Group ids the tests give callers with `setpriv --groups` (no /etc/group entries needed: the daemon's
/// configuration names them by number).
public enum TestGroups {
    /// The control socket's group.
    public static let socket: UInt32 = 64_201
    /// Operators.
    public static let operators: UInt32 = 64_202
    /// Supervisors.
    public static let supervisors: UInt32 = 64_203
}

/// Receives sd_notify datagrams on a private `NOTIFY_SOCKET`.
public final class NotifyListener: @unchecked Sendable {
    /// The socket's path (the daemon's `NOTIFY_SOCKET`).
    public let path: String
    private let fd: Int32
    private let lock = NSLock()
    private var received: [String] = []

    /// Binds `notify.sock` in `directory`.
    public init(directory: URL) throws {
        path = directory.appendingPathComponent("notify.sock").path
        unlink(path)
        fd = try TestSockets.unix(path, type: Int32(SOCK_DGRAM.rawValue), bind: true)
        TestSockets.setReceiveTimeout(fd, seconds: 0.1)
    }

    deinit {
        close(fd)
        unlink(path)
    }

    /// Forgets what was received (before a restart).
    public func reset() { lock.withLock { received.removeAll() } }

    /// Reads datagrams until one contains `text` or `timeout` passes; returns all messages so far.
    public func waitFor(_ text: String, timeout: Double) -> [String] {
        let deadline = Date(timeIntervalSinceNow: timeout)
        var buffer = [UInt8](repeating: 0, count: 4096)
        while Date() < deadline {
            if lock.withLock({ received.contains { $0.contains(text) } }) { break }
            let count = recv(fd, &buffer, buffer.count, 0)
            if count > 0 {
                let message = String(decoding: buffer[0..<count], as: UTF8.self)
                lock.withLock { received.append(message) }
            }
        }
        return lock.withLock { received }
    }
}

/// The sections a daemon under test starts from; `DaemonUnderTest.extraConfig` adds the rest.
public struct DaemonBase: Sendable {
    /// `[control] socket_group` (nil: none, the socket is root's alone).
    public var socketGroup: UInt32?
    /// `[auth]` with `TestGroups`' operators and supervisors (false: no `[auth]` section).
    public var operatorGroups: Bool
    /// The store's database and key file (nil: `state/queue.sqlite` and `state/queue.key` in the daemon's folder).
    public var store: (database: String, keyFile: String)?
    /// `[biometrics] simulator` (nil: no simulated fingerprint module).
    public var fingerprintSimulator: String?
    /// `[biometrics] poll_seconds` (nil: the daemon's default).
    public var biometricsPollSeconds: Int?
    /// `[log] level`.
    public var logLevel: String

    /// Builds a base.
    public init(
        socketGroup: UInt32?, operatorGroups: Bool, store: (database: String, keyFile: String)? = nil,
        fingerprintSimulator: String?, biometricsPollSeconds: Int? = nil, logLevel: String
    ) {
        self.socketGroup = socketGroup
        self.operatorGroups = operatorGroups
        self.store = store
        self.fingerprintSimulator = fingerprintSimulator
        self.biometricsPollSeconds = biometricsPollSeconds
        self.logLevel = logLevel
    }

    /// The tests' daemon: `TestGroups` on the socket and in `[auth]`, a good simulated fingerprint module polled
    /// every second, debug log.
    public static let tests = DaemonBase(
        socketGroup: TestGroups.socket, operatorGroups: true, fingerprintSimulator: "good", biometricsPollSeconds: 1,
        logLevel: "debug")

    /// A bench's daemon: the socket root's alone, no `[auth]`, no fingerprint module, notice log (the measured
    /// paths log nothing).
    public static let bench = DaemonBase(
        socketGroup: nil, operatorGroups: false, fingerprintSimulator: nil, logLevel: "notice")

    /// The sections, for a daemon in `directory` with its socket at `socketPath`.
    func text(directory: URL, socketPath: String) -> String {
        var lines = ["[control]", "socket = \(socketPath)", "socket_group =" + (socketGroup.map { " \($0)" } ?? "")]
        if operatorGroups {
            lines += [
                "[auth]", "operators_group = \(TestGroups.operators)", "supervisors_group = \(TestGroups.supervisors)",
            ]
        }
        let store = store ?? ("\(directory.path)/state/queue.sqlite", "\(directory.path)/state/queue.key")
        lines += ["[store]", "database = \(store.database)", "key_file = \(store.keyFile)", "minimum_free_mib = 1"]
        lines += ["[biometrics]", "usb = false"]
        if let fingerprintSimulator { lines.append("simulator = \(fingerprintSimulator)") }
        if let biometricsPollSeconds { lines.append("poll_seconds = \(biometricsPollSeconds)") }
        lines += ["[log]", "level = \(logLevel)"]
        return lines.joined(separator: "\n") + "\n"
    }
}

/// A `stationd run` process with its own directory, socket, store and configuration, started by tests and benches
/// alike: ready when it says `READY=1` on its own `NOTIFY_SOCKET`, stopped by its PID.
public final class DaemonUnderTest: @unchecked Sendable {
    /// Its folder (configuration, socket, store, log).
    public let directory: URL
    /// The control socket.
    public let socketPath: String
    /// The configuration file `start` writes.
    public let configPath: String
    /// Its `NOTIFY_SOCKET`.
    public let notify: NotifyListener
    /// The running (or last) process.
    public private(set) var process: ManagedProcess?
    /// The sections every start writes first.
    public var base: DaemonBase
    /// Sections appended to the base configuration.
    public var extraConfig: String
    /// The daemon's environment.
    public var environment: [String: String]
    /// The `stationd` it runs (nil: `Binaries.path("stationd")`).
    public var executable: String?

    /// A daemon in `/tmp/stationd-test-PID-name` (emptied first) with the tests' base configuration.
    public convenience init(name: String, extraConfig: String = "", environment: [String: String]? = nil) throws {
        try self.init(directory: Self.testDirectory(name), extraConfig: extraConfig, environment: environment)
    }

    /// A tests' daemon (as `init(name:)`) that uploads to `receiver`: `uplinkSection` with the station ID
    /// `station-test-NAME` and its state in the daemon's folder (`uplink/`), then `extraConfig`.
    public convenience init(
        name: String, uploadingTo receiver: CentralReceiverProcess, extraConfig: String = "",
        environment: [String: String]? = nil
    ) throws {
        let directory = Self.testDirectory(name)
        let uplink = Self.uplinkSection(
            to: receiver, stationID: "station-test-\(name)", state: directory.appendingPathComponent("uplink").path)
        try self.init(directory: directory, extraConfig: uplink + extraConfig, environment: environment)
    }

    /// A started tests' daemon of a station that holds no CSCA (`[trust] folder =`: operators commit
    /// `verifiedOffline`), at commune 26734, on `harness`'s readers, uploading to a receiver that holds the test CSCA
    /// and re-verifies each packet's chip evidence (`CentralReceiverProcess.forStation(checkingChipEvidence:)`).
    public static func stationWithoutCSCA(
        name: String, harness: PCSCHarness
    ) throws -> (receiver: CentralReceiverProcess, daemon: DaemonUnderTest) {
        let receiver = try CentralReceiverProcess.forStation(checkingChipEvidence: true)
        let daemon = try DaemonUnderTest(
            name: name, uploadingTo: receiver, extraConfig: "[trust]\nfolder =\n[point]\ncommune_code = 26734\n",
            environment: harness.clientEnvironment)
        try daemon.start()
        return (receiver, daemon)
    }

    /// A tests' daemon's folder: `/tmp/stationd-test-PID-NAME`.
    public static func testDirectory(_ name: String) -> URL {
        URL(fileURLWithPath: "/tmp/stationd-test-\(getpid())-\(name)")
    }

    /// `[uplink]` to `receiver` (its URL, enrolment token and pinned fingerprint) as `stationID`, credentials and
    /// state in `state`, one cycle an hour (tests ask for uploads with `stationctl upload --wait`).
    public static func uplinkSection(to receiver: CentralReceiverProcess, stationID: String, state: String) -> String {
        """
        [uplink]
        url = \(receiver.baseURL)
        token = \(receiver.token)
        central_fingerprint = \(receiver.fingerprint)
        station_id = \(stationID)
        state = \(state)
        interval_seconds = 3600

        """
    }

    /// A daemon in `directory` (emptied first, removed when the daemon is released).
    public init(
        directory: URL, base: DaemonBase = .tests, extraConfig: String = "", environment: [String: String]? = nil
    ) throws {
        self.directory = directory
        try? FileManager.default.removeItem(at: directory)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        // Other users (setpriv tests) must reach the socket inside.
        chmod(directory.path, 0o755)
        socketPath = directory.appendingPathComponent("run/control.sock").path
        configPath = directory.appendingPathComponent("stationd.conf").path
        notify = try NotifyListener(directory: directory)
        self.base = base
        self.extraConfig = extraConfig
        self.environment = environment ?? ProcessInfo.processInfo.environment
    }

    /// The configuration `start` writes.
    public var configuration: String {
        "# written by DaemonUnderTest\n" + base.text(directory: directory, socketPath: socketPath) + extraConfig
    }

    /// Starts the daemon and waits for READY=1.
    @discardableResult
    public func start(extraEnvironment: [String: String] = [:], readyTimeout: Double = 20) throws -> [String] {
        try configuration.write(toFile: configPath, atomically: true, encoding: .utf8)
        notify.reset()
        var environment = self.environment
        environment["NOTIFY_SOCKET"] = notify.path
        for (key, value) in extraEnvironment { environment[key] = value }
        let process = try ManagedProcess(
            "stationd", executable: try executable ?? Binaries.path("stationd"),
            arguments: ["run", "--config", configPath],
            logFile: directory.appendingPathComponent("stationd.log"), environment: environment)
        self.process = process
        let messages = notify.waitFor("READY=1", timeout: readyTimeout)
        guard messages.contains(where: { $0.contains("READY=1") }) else {
            process.stop(signal: SIGKILL)
            throw HarnessError("stationd not ready: \(messages)\n\(process.output)")
        }
        return messages
    }

    /// Adopts an already started process (socket activation test).
    public func adopt(_ process: ManagedProcess) { self.process = process }

    /// Stops the process by its PID; its exit status.
    @discardableResult
    public func stop(signal: Int32 = SIGTERM, timeout: Double = 10) -> Int32? {
        guard let process else { return nil }
        process.stop(signal: signal, timeout: timeout)
        return process.exitStatus
    }

    /// Its output so far.
    public var log: String { process?.output ?? "" }
    /// The running daemon's PID.
    public var pid: pid_t? { process?.pid }

    /// A control client on its socket.
    /// The TCP listener's port once it is bound (`GET /v1/listener` over the socket), or an error after `timeout`.
    public func listenerPort(timeout: Double = 30) throws -> Int {
        let deadline = Date(timeIntervalSinceNow: timeout)
        while Date() < deadline, process?.isRunning == true {
            if let answer = try? client().request("GET", ControlPaths.listener), answer.status == 200,
                let port = (try? answer.decode(ListenerWire.self))?.port, port > 0
            {
                return port
            }
            usleep(50_000)
        }
        throw HarnessError("stationd's listener did not start: \(log)")
    }

    /// Issues a listener client token with `scopes` over the socket (as root).
    public func issueClientToken(name: String, scopes: [String]) throws -> String {
        let issued = try client().request(
            "POST", ControlPaths.clients,
            body: try ControlJSON.encoder().encode(ClientCreateRequest(name: name, scopes: scopes)))
        return try issued.decode(ClientCreated.self).token
    }

    /// A `/proc/PID/status` memory field (`VmRSS`, `VmHWM`) of the running daemon, in MB.
    public func memory(_ field: String) -> Double? {
        guard let pid, let text = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
            let line = text.split(separator: "\n").first(where: { $0.hasPrefix(field + ":") })
        else { return nil }
        return line.split { $0 == " " || $0 == "\t" }.dropFirst().first.flatMap { Double($0) }.map { $0 / 1024 }
    }

    /// A control client on its socket.
    public func client(language: String = "en") -> ControlClient {
        ControlClient(socketPath: socketPath, language: language)
    }

    /// `curl --unix-socket` as the given caller; returns (HTTP status, body).
    public func curl(
        _ method: String, _ path: String, body: String? = nil, asGroups groups: [UInt32]? = nil,
        headers: [String] = []
    ) throws -> (Int, String) {
        var arguments = [
            "-s", "-o", "-", "-w", "\n%{http_code}", "--unix-socket", socketPath, "-X", method,
        ]
        for header in headers { arguments += ["-H", header] }
        if let body { arguments += ["-H", "Content-Type: application/json", "--data-binary", body] }
        arguments.append("http://station\(path)")
        let (executable, full) = Self.wrap("/usr/bin/curl", arguments, groups: groups)
        let result = try runTool(executable, full, timeout: 20)
        let output = result.output
        guard let split = output.lastIndex(of: "\n"),
            let status = Int(output[output.index(after: split)...])
        else {
            return (0, output)
        }
        return (status, String(output[..<split]))
    }

    /// Runs `stationctl` (as root, or as `nobody` with `groups`).
    public func stationctl(_ arguments: [String], asGroups groups: [UInt32]? = nil, timeout: Double = 30)
        throws
        -> (status: Int32, output: String)
    {
        let (executable, full) = Self.wrap(
            try Binaries.path("stationctl"), ["--socket", socketPath] + arguments, groups: groups,
            subcommand: true)
        return try runTool(executable, full, environment: environment, timeout: timeout)
    }

    /// Wraps a command in `setpriv` to run as nobody with exactly these groups.
    public static func wrap(
        _ executable: String, _ arguments: [String], groups: [UInt32]?, subcommand: Bool = false
    )
        -> (String, [String])
    {
        var arguments = arguments
        if subcommand {
            // stationctl options follow the subcommand: move --socket after the first words.
            let socket = Array(arguments[0..<2])
            arguments.removeFirst(2)
            let split = arguments.firstIndex { $0.hasPrefix("-") } ?? arguments.count
            arguments.insert(contentsOf: socket, at: split)
        }
        guard let groups else { return (executable, arguments) }
        let setpriv = [
            "--reuid=nobody", "--regid=nogroup",
            groups.isEmpty
                ? "--clear-groups" : "--groups=" + groups.map(String.init).joined(separator: ","),
            "--", executable,
        ]
        return ("/usr/bin/setpriv", setpriv + arguments)
    }

    deinit {
        _ = stop(signal: SIGKILL)
        try? FileManager.default.removeItem(at: directory)
    }
}

/// JSON helpers for tests.
public func jsonObject(_ text: String) -> [String: Any]? {
    (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any]
}

/// The `error.code` of a JSON error body.
public func errorCode(_ text: String) -> String? {
    (jsonObject(text)?["error"] as? [String: Any])?["code"] as? String
}
