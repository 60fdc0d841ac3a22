import Foundation

/// A child process a test or the demo started, stopped by its PID (never by name).
///
/// Built on `posix_spawn` and `waitpid` rather than Foundation's `Process`, whose exit detection was seen to miss
/// a child's end inside async tests (the child stayed a zombie and `waitUntilExit` never returned).
public final class ManagedProcess: @unchecked Sendable {
    /// What it is, for messages.
    public let label: String
    /// Where its output goes.
    public let logFile: URL
    /// The PID.
    public let pid: pid_t
    private let lock = NSLock()
    private var status: Int32?

    /// Starts `executable` with `arguments`, stdout and stderr to `logFile` (replaced), stdin from `/dev/null` or the
    /// file `input`.
    public init(
        _ label: String, executable: String, arguments: [String], logFile: URL,
        environment: [String: String]? = nil, input: URL? = nil
    ) throws {
        self.label = label
        self.logFile = logFile
        pid = try spawn(
            executable: executable, arguments: arguments,
            environment: environment ?? ProcessInfo.processInfo.environment,
            output: logFile.path, input: input?.path ?? "/dev/null")
        ChildRegistry.add(pid)
    }

    /// Whether it still runs (reaps it when it has ended).
    public var isRunning: Bool { exitStatus == nil }

    /// Its exit status once it has ended (128 + signal number when a signal ended it).
    public var exitStatus: Int32? {
        lock.withLock {
            if status == nil {
                var raw: Int32 = 0
                if waitpid(pid, &raw, WNOHANG) == pid {
                    status = raw & 0x7F == 0 ? (raw >> 8) & 0xFF : 128 + (raw & 0x7F)
                    ChildRegistry.remove(pid)
                }
            }
            return status
        }
    }

    /// Waits up to `timeout` seconds for the process to end by itself; returns its status or `nil`.
    @discardableResult
    public func wait(timeout: Double) -> Int32? {
        let deadline = Date(timeIntervalSinceNow: timeout)
        while Date() < deadline {
            if let exitStatus { return exitStatus }
            usleep(2_000)
        }
        return exitStatus
    }

    /// Sends `signal` and waits (up to `timeout` seconds) for the process to end; SIGKILL if it does not.
    public func stop(signal: Int32 = SIGTERM, timeout: Double = 5) {
        guard isRunning else { return }
        kill(pid, signal)
        if wait(timeout: timeout) == nil {
            kill(pid, SIGKILL)
            wait(timeout: 5)
        }
    }

    /// The output so far.
    public var output: String { (try? String(contentsOf: logFile, encoding: .utf8)) ?? "" }

    /// The port a server printed as `listening on port N` (`central-receiver`, `insurance-gateway`), waiting up to
    /// `timeout` seconds; nil when it ended or said nothing by then.
    public func listeningPort(timeout: Double = 20) -> Int? {
        let prefix = "listening on port "
        let deadline = Date(timeIntervalSinceNow: timeout)
        while Date() < deadline, isRunning {
            if let line = output.split(separator: "\n").first(where: { $0.hasPrefix(prefix) }),
                let port = Int(line.dropFirst(prefix.count)), port > 0
            {
                return port
            }
            usleep(20_000)
        }
        return nil
    }

    deinit { stop() }
}

/// Spawns a process with its output (stdout and stderr) written to a file, replaced if it exists.
func spawn(
    executable: String, arguments: [String], environment: [String: String], output: String,
    input: String
) throws -> pid_t {
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 0, input, O_RDONLY, 0)
    posix_spawn_file_actions_addopen(&actions, 1, output, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
    posix_spawn_file_actions_adddup2(&actions, 1, 2)
    let argv = ([executable] + arguments).map { strdup($0) } + [nil]
    let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
    defer {
        argv.forEach { free($0) }
        envp.forEach { free($0) }
    }
    var pid: pid_t = 0
    let result = posix_spawn(&pid, executable, &actions, nil, argv, envp)
    guard result == 0 else {
        throw HarnessError("could not start \(executable): \(String(cString: strerror(result)))")
    }
    return pid
}

/// The children still running, stopped by PID when this process exits normally (static harnesses are never
/// deinitialised). A crash skips this; the namespace holder and the simulated cards watch our PID for that case.
enum ChildRegistry {
    nonisolated(unsafe) private static var pids: Set<Int32> = []
    private static let lock = NSLock()
    nonisolated(unsafe) private static var installed = false

    static func add(_ pid: Int32) {
        lock.withLock {
            pids.insert(pid)
            if !installed {
                installed = true
                atexit { ChildRegistry.stopAll() }
            }
        }
    }

    static func remove(_ pid: Int32) { _ = lock.withLock { pids.remove(pid) } }

    /// SIGTERM to every child, then SIGKILL to those still running after 2 s (a pcscd whose vpcd slot is stuck in a
    /// read ignores SIGTERM).
    static func stopAll() {
        var remaining = lock.withLock { pids }
        for pid in remaining { kill(pid, SIGTERM) }
        let deadline = Date(timeIntervalSinceNow: 2)
        while !remaining.isEmpty && Date() < deadline {
            remaining = remaining.filter { pid in
                var status: Int32 = 0
                return waitpid(pid, &status, WNOHANG) == 0
            }
            usleep(10_000)
        }
        for pid in remaining { kill(pid, SIGKILL) }
    }
}

/// A harness step that could not be done; the message says what to install or fix.
public struct HarnessError: Error, CustomStringConvertible, Sendable {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// Runs a command to completion and returns its exit status and output (for tools like `pcsc_scan`). Output goes
/// through a file, so a grandchild that keeps it open cannot make this hang; after `timeout` the command is killed.
@discardableResult
public func runTool(
    _ executable: String, _ arguments: [String], input: String? = nil,
    environment: [String: String]? = nil, timeout: Double = 30
) throws -> (status: Int32, output: String) {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("station-tool-\(getpid())")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    let id = UUID().uuidString
    let outputFile = directory.appendingPathComponent("\(id).out")
    let inputFile = directory.appendingPathComponent("\(id).in")
    defer {
        try? FileManager.default.removeItem(at: outputFile)
        try? FileManager.default.removeItem(at: inputFile)
    }
    // The input may be a secret (a CAN on standard input): only its owner may read the file.
    if let input {
        guard
            FileManager.default.createFile(
                atPath: inputFile.path, contents: Data(input.utf8), attributes: [.posixPermissions: 0o600])
        else { throw HarnessError("cannot write \(inputFile.path)") }
    }
    let process = try ManagedProcess(
        executable, executable: executable, arguments: arguments, logFile: outputFile,
        environment: environment, input: input == nil ? nil : inputFile)
    guard let status = process.wait(timeout: timeout) else {
        process.stop(signal: SIGKILL)
        throw HarnessError("\(executable) did not finish within \(timeout) s: \(process.output)")
    }
    return (status, process.output)
}
