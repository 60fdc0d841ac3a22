import Foundation

/// A `central-receiver` process (the stand-in central) for tests, the demo's kind of setup and benches: started in
/// a folder of its own with `--port 0`, ready once it prints the port it listens on, stopped by PID (and its folder
/// removed) when released. Subclasses add their suites' clients (UplinkTests' `ReceiverProcess`).
open class CentralReceiverProcess: @unchecked Sendable {
    /// The running receiver.
    public let process: ManagedProcess
    /// Its folder (log, population file, data); removed at the end.
    public let directory: URL
    /// The port it listens on.
    public let port: Int
    /// The first bearer token it accepts.
    public let token: String
    /// Where it listens (loopback unless a shaped link gives another address).
    public let host: String
    /// `http://host:port` (subclasses serving TLS say https).
    open var baseURL: String { "http://\(host):\(port)" }
    /// The fingerprint of the central's keys, as the receiver printed it at start.
    public var fingerprint: String {
        process.output.split(separator: "\n").first { $0.hasPrefix("central fingerprint: ") }
            .map { String($0.dropFirst("central fingerprint: ".count)) } ?? ""
    }

    /// Starts `central-receiver serve ARGUMENTS --host HOST FLAGS` (later flags win), with `tokens` bearer tokens
    /// (`token`, `token-1`, …) and approval and activation after 0.3 s; `wrap` may put the command inside another
    /// (a network namespace). Throws `HarnessError` when it does not print its port within 20 s.
    public init(
        directory: URL, dataDirectory: URL, population: String, tokens: Int = 1, host: String = "127.0.0.1",
        flags: [String] = [], wrap: ([String]) -> [String] = { $0 }
    ) throws {
        self.directory = directory
        self.host = host
        let token = "token-\(UUID().uuidString)"
        self.token = token
        var arguments = [
            "serve", "--data", dataDirectory.path, "--port", "0", "--population", population,
            "--approval-delay", "0.3", "--activation-delay", "0.3",
        ]
        for index in 0..<tokens { arguments += ["--token", index == 0 ? token : "\(token)-\(index)"] }
        let argv = wrap([try Binaries.path("central-receiver")] + arguments + ["--host", host] + flags)
        process = try ManagedProcess(
            "central-receiver", executable: argv[0], arguments: Array(argv.dropFirst()),
            logFile: directory.appendingPathComponent("receiver.log"))
        guard let found = process.listeningPort() else {
            process.stop()
            throw HarnessError("central-receiver did not start: \(process.output)")
        }
        port = found
    }

    /// A receiver for a daemon under test: the population file `population`, one token, no activations (the
    /// station's status sync sees approvals), in a fresh folder under /tmp (suites that start one run in parallel).
    /// `extraArguments` go to `serve` (e.g. `--trust DIR` for the chip-evidence check).
    public convenience init(population: URL, extraArguments: [String] = []) throws {
        let directory = URL(fileURLWithPath: "/tmp/stationd-test-\(getpid())-central-\(UUID().uuidString.prefix(8))")
        try? FileManager.default.removeItem(at: directory)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try self.init(
            directory: directory, dataDirectory: directory.appendingPathComponent("data"), population: population.path,
            flags: ["--activation-rate", "0"] + extraArguments)
    }

    /// A receiver for a daemon under test with the package's population (`Devices/central/population.csv`); with
    /// `checkingChipEvidence`, it holds the test CSCA (`Devices/cards/pki/trust`) and re-verifies each packet's chip
    /// evidence.
    public static func forStation(checkingChipEvidence: Bool = false) throws -> CentralReceiverProcess {
        let root = LivePCSC.packageRoot
        let trust = root.appendingPathComponent("Devices/cards/pki/trust")
        return try CentralReceiverProcess(
            population: root.appendingPathComponent("Devices/central/population.csv"),
            extraArguments: checkingChipEvidence ? ["--trust", trust.path] : [])
    }

    deinit {
        process.stop()
        try? FileManager.default.removeItem(at: directory)
    }

    /// `GET /admin/...` as JSON (through curl: no HTTP client in the kit).
    public func admin(_ path: String) throws -> Any? {
        let result = try runTool("/usr/bin/curl", ["-s", "--max-time", "10", baseURL + path], timeout: 15)
        return try? JSONSerialization.jsonObject(with: Data(result.output.utf8))
    }
}
