import ControlAPI
import Foundation
import Queue
import SmartCard
import StationBenchmarks
import StationTestKit

#if canImport(Glibc)
    import Glibc
#endif

/// `station-bench daemon`: the daemon as an operator's tools see it, with a production-sized store.
///
/// Fills a store with `applications` applications (the queue benchmark's bulk loader), starts `stationd run` on
/// a private socket with a simulated reader (pcscd + vpcd) and measures, each beside a floor from the same run:
/// - `stationctl status --json` end to end, process spawn included (floor: spawning `/bin/true`), plus the same
///   request through `curl --unix-socket` and in process (one HTTP exchange on a kept-alive connection);
/// - the daemon's RSS idle, and its peak (sampled VmRSS and the kernel's VmHWM) while it uploads to a real
///   `central-receiver`;
/// - event latency: a simulated card inserted into vpcd → `card.inserted` printed by `stationctl watch --json`,
///   from the moment an independent PC/SC observer in this process is told (floor: the in-process HTTP time).
enum DaemonBench {
    static func run(applications: Int, runs: Int) async throws {
        say(
            "== Daemon: \(applications) applications in the store, \(runs) runs (goals: status p99 < 20 ms, "
                + "RSS idle < 40 MB, upload < 80 MB, event < 50 ms)")
        let directory = LivePCSC.packageRoot.appendingPathComponent(".build/station-bench/daemon-\(getpid())")
        defer { try? FileManager.default.removeItem(at: directory) }
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)

        let fillStart = now()
        _ = try QueueBenchmark.run(
            directory: directory.path, applications: applications, biometricBytes: 0, samples: 3)
        say(String(format: "store filled in %.1f s (bulk load, not a production path)", now() - fillStart))

        let lease = try await LivePCSC.acquire()  // one pcscd per process: libpcsclite reads its socket path once
        let harness = lease.harness
        let stationd = try Binaries.path("stationd")
        let stationctl = try Binaries.path("stationctl")

        // 1. Idle daemon, no uplink: status, idle RSS, event latency.
        let daemon = try BenchDaemon(directory: directory, harness: harness, executable: stationd, uplink: nil)
        try await Task.sleep(for: .seconds(2))
        let idleRSS = daemon.memory("VmRSS") ?? 0

        let socket = daemon.socketPath
        let floor = try spawnTimes("/bin/true", [], runs: runs)
        let status = try spawnTimes(stationctl, ["status", "--json", "--socket", socket], runs: runs)
        let curl = try spawnTimes(
            "/usr/bin/curl", ["-sf", "-o", "/dev/null", "--unix-socket", socket, "http://station/v1/status"],
            runs: runs)
        let client = ControlClient(socketPath: socket)
        var inProcess: [Double] = []
        for i in 0..<(runs + 5) {
            let start = now()
            let answer = try client.request("GET", ControlPaths.status)
            if i >= 5 { inProcess.append(now() - start) }
            guard answer.status == 200 else { throw HarnessError("status answered \(answer.status)") }
        }
        let http = Statistics(inProcess)
        let statusRSS = daemon.memory("VmRSS") ?? 0
        func ms(_ seconds: Double) -> String { String(format: "%.2f ms", seconds * 1000) }
        func ratio(_ a: Double, _ b: Double) -> String { String(format: "%.1f×", a / b) }
        say("floor: spawn /bin/true             p50 \(ms(floor.median))  p99 \(ms(floor.p99))")
        say(
            "stationctl status --json (e2e)     p50 \(ms(status.median))  p99 \(ms(status.p99))  = "
                + "\(ratio(status.median, floor.median)) the spawn floor (p50)")
        say(
            "curl --unix-socket /v1/status      p50 \(ms(curl.median))  p99 \(ms(curl.p99))  = "
                + "\(ratio(curl.median, floor.median)) the spawn floor")
        say(
            "in-process GET /v1/status          p50 \(ms(http.median))  p99 \(ms(http.p99))  "
                + String(
                    format: "(the daemon's share of the stationctl time: %.0f%%)", 100 * http.median / status.median))
        say(
            String(
                format: "daemon RSS: idle %.1f MB, after %d status queries %.1f MB", idleRSS, 3 * runs + 15,
                statusRSS))

        try await eventLatency(
            harness: harness, daemon: daemon, stationctl: stationctl, floor: http.median, cycles: 10)
        daemon.stop()

        // 2. The same store uploading to a real central-receiver.
        let receiver = try BenchReceiver(directory: directory.appendingPathComponent("central"))
        let uploading = try BenchDaemon(
            directory: directory, harness: harness, executable: stationd,
            uplink: (receiver.baseURL, receiver.token, receiver.fingerprint))
        var peak = 0.0
        let began = now()
        while now() - began < 30 {
            peak = max(peak, uploading.memory("VmRSS") ?? 0)
            try await Task.sleep(for: .milliseconds(20))
        }
        let hwm = uploading.memory("VmHWM") ?? 0
        let text = try controlClient(uploading).request("GET", ControlPaths.metrics).body
        let exposition = String(decoding: text, as: UTF8.self)
        let bytes = metric("stationd_upload_bytes_total", in: exposition)
        let items = metric("stationd_upload_items_total", in: exposition)
        say(
            String(
                format: "daemon RSS uploading (30 s): peak sampled %.1f MB, VmHWM %.1f MB = %@ the idle RSS; "
                    + "%.1f MB acknowledged, %.0f items answered by the central", peak, hwm, ratio(hwm, idleRSS),
                bytes / 1e6, items))
        uploading.stop()
        receiver.stop()
    }

    private static func controlClient(_ daemon: BenchDaemon) -> ControlClient {
        ControlClient(socketPath: daemon.socketPath)
    }

    /// Sum of a metric's samples in an exposition.
    static func metric(_ name: String, in text: String) -> Double {
        text.split(separator: "\n").filter { $0.hasPrefix(name + " ") || $0.hasPrefix(name + "{") }
            .compactMap { $0.split(separator: " ").last.flatMap { Double($0) } }.reduce(0, +)
    }

    /// Inserts and removes the simulated card `cycles` times while `stationctl watch --json` runs.
    static func eventLatency(
        harness: PCSCHarness, daemon: BenchDaemon, stationctl: String, floor: Double, cycles: Int
    ) async throws {
        let watch = try LineReader(
            stationctl, ["watch", "--json", "--socket", daemon.socketPath],
            environment: ProcessInfo.processInfo.environment)
        defer { watch.stop() }
        try await Task.sleep(for: .milliseconds(300))
        let observer = CardReaders().events()
        defer { observer.stop() }
        let reader = harness.readerName()
        var fromObserver: [Double] = []
        var fromCardStart: [Double] = []
        for _ in 0..<cycles {
            watch.clear()
            let started = now()
            let card = try harness.startCard()
            var seenAt: Double?
            let deadline = now() + 10
            while now() < deadline {
                if seenAt == nil, observer.readers[reader]?.cardPresent == true { seenAt = now() }
                if let printed = watch.firstLine(containing: "card.inserted"), let seenAt {
                    fromObserver.append(max(0, printed - seenAt))
                    fromCardStart.append(printed - started)
                    break
                }
                usleep(200)
            }
            card.stop()
            harness.waitUntilEmpty(slot: 0)
        }
        guard !fromObserver.isEmpty else {
            say("event latency: no card.inserted event seen")
            return
        }
        let latency = Statistics(fromObserver)
        let total = Statistics(fromCardStart)
        func ms(_ seconds: Double) -> String { String(format: "%.1f ms", seconds * 1000) }
        say(
            "event card.inserted → stationctl watch: p50 \(ms(latency.median)), max \(ms(latency.samples.last!)) "
                + "after PC/SC told an observer (\(fromObserver.count) cycles) = "
                + String(format: "%.0f×", latency.median / floor) + " the in-process HTTP floor; "
                + "from starting the card process p50 \(ms(total.median)) (pcscd polls vpcd ~every 400 ms)")
    }
}

/// `stationd run` on a private socket and configuration, with the bench's store (the kit's `DaemonUnderTest`).
final class BenchDaemon {
    let daemon: DaemonUnderTest
    var socketPath: String { daemon.socketPath }

    init(
        directory: URL, harness: PCSCHarness, executable: String,
        uplink: (url: String, token: String, fingerprint: String)?, extraConfig: String = ""
    ) throws {
        let run = directory.appendingPathComponent("run-\(uplink == nil ? "idle" : "upload")")
        var base = DaemonBase.bench
        base.store = ("\(directory.path)/bench.sqlite", "\(directory.path)/bench.key")
        base.fingerprintSimulator = "good"
        var uplinkSection = ""
        if let uplink {
            uplinkSection = """
                [uplink]
                url = \(uplink.url)
                token = \(uplink.token)
                central_fingerprint = \(uplink.fingerprint)
                state = \(run.path)/uplink
                interval_seconds = 3600

                """
        }
        daemon = try DaemonUnderTest(
            directory: run, base: base, extraConfig: uplinkSection + extraConfig, environment: harness.clientEnvironment
        )
        daemon.executable = executable
        try daemon.start(readyTimeout: 30)
    }

    /// A `/proc/PID/status` field in MB (VmRSS, VmHWM).
    func memory(_ field: String) -> Double? { daemon.memory(field) }

    func stop() { daemon.stop(timeout: 15) }
}

/// A `central-receiver` on loopback (an empty population: the bench's citizens are random).
final class BenchReceiver {
    let process: ManagedProcess
    let token = "bench-\(UUID().uuidString)"
    let baseURL: String
    /// The fingerprint the receiver printed (the daemon's `uplink.central_fingerprint`).
    var fingerprint: String {
        process.output.split(separator: "\n").first { $0.hasPrefix("central fingerprint: ") }
            .map { String($0.dropFirst("central fingerprint: ".count)) } ?? ""
    }

    init(directory: URL) throws {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let population = LivePCSC.packageRoot.appendingPathComponent("Devices/central/population.csv")
        process = try ManagedProcess(
            "central-receiver", executable: try Binaries.path("central-receiver"),
            arguments: [
                "serve", "--data", directory.appendingPathComponent("data").path, "--port", "0", "--token", token,
                "--population", population.path,
            ],
            logFile: directory.appendingPathComponent("receiver.log"))
        if let port = process.listeningPort() {
            baseURL = "http://127.0.0.1:\(port)"
            return
        }
        process.stop(signal: SIGKILL)
        throw HarnessError("central-receiver did not start: \(process.output)")
    }

    func stop() { process.stop() }
}

/// A child whose stdout lines are read on a thread and stamped with `now()` as they arrive.
final class LineReader: @unchecked Sendable {
    private let pid: pid_t
    private let lock = NSLock()
    private var lines: [(Double, String)] = []

    init(_ executable: String, _ arguments: [String], environment: [String: String]) throws {
        let (pid, fd) = try spawnWithPipe(executable, arguments, environment: environment)
        self.pid = pid
        let thread = Thread { [self] in
            var pending = Data()
            var chunk = [UInt8](repeating: 0, count: 4096)
            while true {
                let count = read(fd, &chunk, chunk.count)
                if count <= 0 { break }
                let stamp = now()
                pending.append(contentsOf: chunk[0..<count])
                while let newline = pending.firstIndex(of: 0x0A) {
                    let line = String(decoding: pending[pending.startIndex..<newline], as: UTF8.self)
                    pending.removeSubrange(pending.startIndex...newline)
                    lock.withLock { lines.append((stamp, line)) }
                }
            }
            close(fd)
        }
        thread.start()
    }

    func clear() { lock.withLock { lines.removeAll() } }

    /// When the first line containing `text` arrived.
    func firstLine(containing text: String) -> Double? {
        lock.withLock { lines.first { $0.1.contains(text) }?.0 }
    }

    func stop() {
        kill(pid, SIGTERM)
        var status: Int32 = 0
        for _ in 0..<200 where waitpid(pid, &status, WNOHANG) == 0 { usleep(10_000) }
        if waitpid(pid, &status, WNOHANG) == 0 {
            kill(pid, SIGKILL)
            waitpid(pid, &status, 0)
        }
    }
}

/// Spawns `executable` with stdout (and stderr) on a pipe; returns its pid and the pipe's read end.
func spawnWithPipe(_ executable: String, _ arguments: [String], environment: [String: String]) throws
    -> (pid_t, Int32)
{
    var fds: [Int32] = [0, 0]
    guard pipe(&fds) == 0 else { throw HarnessError("pipe: errno \(errno)") }
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
    posix_spawn_file_actions_adddup2(&actions, fds[1], 1)
    posix_spawn_file_actions_adddup2(&actions, fds[1], 2)
    posix_spawn_file_actions_addclose(&actions, fds[0])
    posix_spawn_file_actions_addclose(&actions, fds[1])
    let argv = ([executable] + arguments).map { strdup($0) } + [nil]
    let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
    defer {
        argv.forEach { free($0) }
        envp.forEach { free($0) }
    }
    // The child starts with no signal blocked and default dispositions, whatever thread spawns it.
    var attributes = posix_spawnattr_t()
    posix_spawnattr_init(&attributes)
    defer { posix_spawnattr_destroy(&attributes) }
    var none = sigset_t()
    sigemptyset(&none)
    posix_spawnattr_setsigmask(&attributes, &none)
    var defaults = sigset_t()
    sigemptyset(&defaults)
    for signal in [SIGTERM, SIGINT, SIGPIPE] { sigaddset(&defaults, signal) }
    posix_spawnattr_setsigdefault(&attributes, &defaults)
    posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
    var pid: pid_t = 0
    let result = posix_spawn(&pid, executable, &actions, &attributes, argv, envp)
    close(fds[1])
    guard result == 0 else {
        close(fds[0])
        throw HarnessError("posix_spawn \(executable): \(result)")
    }
    return (pid, fds[0])
}

/// Spawns, reads all output, waits: the whole life of a short command.
func spawnAndRead(_ executable: String, _ arguments: [String], environment: [String: String]) throws
    -> (status: Int32, output: Data)
{
    let (pid, fd) = try spawnWithPipe(executable, arguments, environment: environment)
    var output = Data()
    var chunk = [UInt8](repeating: 0, count: 16_384)
    while true {
        let count = read(fd, &chunk, chunk.count)
        if count < 0 && errno == EINTR { continue }
        if count <= 0 { break }
        output.append(contentsOf: chunk[0..<count])
    }
    close(fd)
    var raw: Int32 = 0
    while waitpid(pid, &raw, 0) < 0 && errno == EINTR {}
    return (raw & 0x7F == 0 ? (raw >> 8) & 0xFF : 128 + (raw & 0x7F), output)
}

/// Prints a line at once (the figures of a long run appear as they are measured).
func say(_ text: String) {
    fflush(nil)
    FileHandle.standardOutput.write(Data((text + "\n").utf8))
}
