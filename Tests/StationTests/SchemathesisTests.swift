import Foundation
import StationTestKit
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// The OpenAPI document and the daemon agree (issue 16 item 9): **schemathesis** generates requests from
/// `Sources/ControlAPI/openapi.yaml` against the live daemon (real pcscd with vpcd, real central-receiver as its
/// uplink), with a fixed seed and a bounded number of examples per operation, and fails on any server error,
/// any response (status, content type, headers, body) the document does not describe, any schema-valid request
/// refused and any schema-invalid request accepted; wrong methods must answer 405 with `Allow`.
///
/// schemathesis speaks TCP, the daemon a Unix socket: the test starts a loopback forwarder (a small Python
/// script, stopped by PID) and points schemathesis at it; the daemon sees the forwarder, i.e. root. Not run:
/// `GET /v1/events` (a stream that never ends) and `POST /v1/export` (as root it would write batches into any
/// folder the generator names; `UplinkLiveTests` covers it). Install schemathesis with `make schemathesis`
/// (`.build/schemathesis`, the version `.ci/run` uses), or set `STATION_SCHEMATHESIS` to its executable.
@Suite(.serialized)
struct SchemathesisTests {
    static let seed = 20_261_206
    static let examplesPerOperation = 25

    /// A loopback TCP listener that relays each connection to the Unix socket; writes its port to a file.
    static let forwarder = #"""
        import os, socket, sys, threading
        unix_path, port_file = sys.argv[1], sys.argv[2]
        server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        server.bind(("127.0.0.1", 0))
        server.listen(64)
        with open(port_file + ".tmp", "w") as f:
            f.write(str(server.getsockname()[1]))
        os.rename(port_file + ".tmp", port_file)
        def pump(a, b):
            try:
                while True:
                    data = a.recv(65536)
                    if not data:
                        break
                    b.sendall(data)
            except OSError:
                pass
            for s in (a, b):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
        while True:
            client, _ = server.accept()
            upstream = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                upstream.connect(unix_path)
            except OSError:
                client.close()
                continue
            threading.Thread(target=pump, args=(client, upstream), daemon=True).start()
            threading.Thread(target=pump, args=(upstream, client), daemon=True).start()
        """#

    /// Per-operation settings that JSON Schema cannot say.
    static let configuration = """
        # Written by SchemathesisTests.
        [[operations]]
        include-path = "/v1/verify"
        include-method = "POST"
        # An MRZ's check digits (ICAO 9303-5) cannot be said in JSON Schema: a schema-valid MRZ may be refused
        # with 400; with no card on the reader a valid CAN is 409 smartcard.no_card.
        checks.positive_data_acceptance.expected-statuses = ["2xx", "400", "404", "409"]
        [[operations]]
        include-path = "/v1/keys/rotate"
        include-method = "POST"
        # A rotation asked for while one is re-sealing is 409 keys.rotation_running by design.
        checks.positive_data_acceptance.expected-statuses = ["2xx", "409"]

        """

    /// The schemathesis executable: `$STATION_SCHEMATHESIS`, `.build/schemathesis/bin/schemathesis`, or PATH.
    static func executable() -> String? {
        let environment = ProcessInfo.processInfo.environment
        var candidates = [environment["STATION_SCHEMATHESIS"]].compactMap { $0 }
        candidates.append(LivePCSC.packageRoot.appendingPathComponent(".build/schemathesis/bin/schemathesis").path)
        for directory in (environment["PATH"] ?? "").split(separator: ":") {
            candidates.append("\(directory)/schemathesis")
        }
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    @Test(.timeLimit(.minutes(10))) func theDaemonAnswersAsItsOpenAPIDocumentSays() async throws {
        let schemathesis = try #require(
            Self.executable(), "schemathesis is not installed: run `make schemathesis` (or set STATION_SCHEMATHESIS)")
        let lease = try await LivePCSC.acquire()
        let root = LivePCSC.packageRoot
        let receiver = try CentralReceiverProcess.forStation()
        let daemon = try DaemonUnderTest(
            name: "schemathesis", uploadingTo: receiver,
            extraConfig: """
                [freeze]
                min_free_mib = 1

                """,
            environment: lease.harness.clientEnvironment)
        try daemon.start()

        let portFile = daemon.directory.appendingPathComponent("forwarder.port").path
        let script = daemon.directory.appendingPathComponent("forwarder.py")
        try Self.forwarder.write(to: script, atomically: true, encoding: .utf8)
        let forwarder = try ManagedProcess(
            "forwarder", executable: "/usr/bin/python3", arguments: [script.path, daemon.socketPath, portFile],
            logFile: daemon.directory.appendingPathComponent("forwarder.log"))
        defer { forwarder.stop(signal: SIGKILL) }
        let deadline = Date(timeIntervalSinceNow: 10)
        var port: Int?
        while port == nil, Date() < deadline, forwarder.isRunning {
            port = (try? String(contentsOfFile: portFile, encoding: .utf8)).flatMap { Int($0) }
            if port == nil { usleep(20_000) }
        }
        let forwardedPort = try #require(port, "forwarder did not start: \(forwarder.output)")

        let configuration = daemon.directory.appendingPathComponent("schemathesis.toml")
        try Self.configuration.write(to: configuration, atomically: true, encoding: .utf8)
        var environment = ProcessInfo.processInfo.environment
        environment["SCHEMATHESIS_HOOKS"] = nil
        environment["NO_COLOR"] = "1"
        // Run from the daemon's folder: schemathesis keeps a cache (.schemathesis/) in its working directory.
        let result = try runTool(
            "/bin/sh",
            [
                "-c", "cd \"$0\" && exec \"$@\"", daemon.directory.path, schemathesis,
                "--config-file", configuration.path, "--no-color", "run",
                root.appendingPathComponent("Sources/ControlAPI/openapi.yaml").path,
                "--url", "http://127.0.0.1:\(forwardedPort)",
                "--checks", "all",
                // Authentication is the socket's credentials, not HTTP: nothing for these two to probe.
                "--exclude-checks", "ignored_auth,object_level_authorization",
                "--phases", "examples,coverage,fuzzing",
                "--seed", "\(Self.seed)", "--max-examples", "\(Self.examplesPerOperation)", "--workers", "1",
                "--request-timeout", "30", "--suppress-health-check", "too_slow,filter_too_much",
                "--exclude-path", "/v1/events", "--exclude-path", "/v1/events/ws", "--exclude-path", "/v1/export",
                // Client tokens: a name issued twice is 409 by design (ListenerLiveTests covers these routes).
                "--exclude-path", "/v1/clients", "--exclude-path", "/v1/clients/{name}",
                // Officer records: an account recorded twice is 409 and an unknown one 404 by design
                // (OperatorRecordsLiveTests covers these routes).
                "--exclude-path", "/v1/operators", "--exclude-path", "/v1/operators/{account}/disable",
                // The web console is served on the TCP listener only (ConsoleBrowserTests covers its routes).
                "--exclude-path-regex", "^/console",
                "--report", "junit", "--report-dir", daemon.directory.appendingPathComponent("report").path,
            ],
            environment: environment, timeout: 540)
        // On failure: each failing operation, what was sent, what came back and which check it broke.
        let failures = Self.failures(in: result.output)
        #expect(result.status == 0, "schemathesis (seed \(Self.seed)) failed:\n\(failures)")
        #expect(result.output.contains("Seed: \(Self.seed)"), "\(result.output.suffix(2000))")
        #expect(!result.output.contains(" 0 selected"), "no operation tested")  // not "30 selected"
        _ = daemon.stop()
        _ = lease
    }

    /// The FAILURES section of schemathesis' report (or its tail when there is none).
    static func failures(in output: String) -> String {
        guard let start = output.range(of: "= FAILURES =") ?? output.range(of: "= ERRORS =") else {
            return String(output.suffix(4000))
        }
        let rest = output[start.lowerBound...]
        let end = rest.range(of: "= SUMMARY =")?.lowerBound ?? rest.endIndex
        return String(rest[..<end].prefix(12_000))
    }
}
