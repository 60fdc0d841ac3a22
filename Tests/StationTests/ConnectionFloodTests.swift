import ControlAPI
import Foundation
import StationTestKit
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// A local caller floods the control socket (issue 16 item 1): thousands of idle keep-alive connections and
/// hundreds of half-sent large bodies, from one operator account. Another operator's `/v1/status` must still
/// answer within 1 s and the daemon's RSS stay under 100 MB.
///
/// The flood comes from a separate process with its own uid (`setpriv`), as it would on a station; the daemon
/// starts with the soft descriptor limit systemd gives services (1024). `make test` runs a bounded slice
/// (`STATION_FLOOD_IDLE`/`STATION_FLOOD_BODIES`/`STATION_FLOOD_SECONDS`, default 2,000, 400 and 8 s; the
/// daemon's soft descriptor limit `STATION_FLOOD_DAEMON_NOFILE`, default 1024); `make soak` holds it longer.
@Suite(.serialized)
struct ConnectionFloodTests {
    /// The flooder's uid (no passwd entry needed).
    static let attackerUID: UInt32 = 64_300

    static var idleConnections: Int {
        ProcessInfo.processInfo.environment["STATION_FLOOD_IDLE"].flatMap(Int.init) ?? 2_000
    }
    static var halfSentBodies: Int {
        ProcessInfo.processInfo.environment["STATION_FLOOD_BODIES"].flatMap(Int.init) ?? 400
    }
    static var holdSeconds: Double {
        ProcessInfo.processInfo.environment["STATION_FLOOD_SECONDS"].flatMap(Double.init) ?? 8
    }

    /// The flooder: opens `idle` connections that each send one whole request and then stay open without
    /// reading, and `bodies` connections that each declare a 2 MiB body for `POST /v1/verify` and send half of
    /// it, then holds them all for `hold` seconds. Non-blocking, so a daemon that stops reading does not stall
    /// it; prints what it achieved as JSON.
    static let flooder = #"""
        import json, resource, socket, sys, time
        path, idle, bodies, hold = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
        opened, refused, conns, pending = 0, 0, [], []
        def connect():
            global opened, refused
            # A full backlog answers EAGAIN at once on a Unix socket: retry for up to 3 s.
            give_up = time.time() + 3
            while True:
                s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                s.setblocking(False)
                try:
                    s.connect(path)
                    break
                except BlockingIOError:
                    s.close()
                    if time.time() > give_up:
                        refused += 1
                        return None
                    time.sleep(0.002)
                except OSError:
                    s.close()
                    refused += 1
                    return None
            opened += 1
            return s
        for _ in range(idle):
            s = connect()
            if s is None: continue
            try:
                s.send(b"GET /v1/status HTTP/1.1\r\nHost: station\r\n\r\n")
            except OSError:
                pass
            conns.append(s)
        size = 2 * 1024 * 1024
        head = (b"POST /v1/verify HTTP/1.1\r\nHost: station\r\nContent-Type: application/json\r\n"
                b"Content-Length: %d\r\n\r\n" % size)
        for _ in range(bodies):
            s = connect()
            if s is None: continue
            try:
                s.send(head)
            except OSError:
                continue
            conns.append(s)
            pending.append([s, size // 2])
        chunk = b" " * 65536
        sent = 0
        deadline = time.time() + hold
        while time.time() < deadline:
            progress = False
            for item in pending:
                if item[1] <= 0: continue
                try:
                    n = item[0].send(chunk[:min(len(chunk), item[1])])
                    item[1] -= n
                    sent += n
                    progress = True
                except (BlockingIOError, InterruptedError):
                    pass
                except OSError:
                    item[1] = 0
            if not progress: time.sleep(0.05)
        print(json.dumps({"opened": opened, "refused": refused, "bodyBytesSent": sent}), flush=True)
        """#

    /// `GET /v1/status` with `curl` as nobody with `groups`, given up after `maxTime` seconds (status 0).
    static func status(_ daemon: DaemonUnderTest, asGroups groups: [UInt32], maxTime: Double) throws -> Int {
        let (executable, arguments) = DaemonUnderTest.wrap(
            "/usr/bin/curl",
            [
                "-s", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", "\(maxTime)", "--unix-socket",
                daemon.socketPath, "http://station/v1/status",
            ], groups: groups)
        let result = try runTool(executable, arguments, timeout: maxTime + 10)
        let code = Int(result.output.trimmingCharacters(in: .whitespacesAndNewlines).suffix(3)) ?? 0
        // 0: no answer; -N: curl's exit status N (7: could not connect, 28: timed out).
        return code == 0 ? -Int(result.status) : code
    }

    @Test func aFloodOfIdleConnectionsAndHalfSentBodiesLocksNobodyOut() throws {
        let daemon = try DaemonUnderTest(
            name: "flood",
            extraConfig: """
                [control]
                request_timeout_seconds = 60

                """)
        // The soft descriptor limit systemd gives a service, for the daemon only (it inherits it).
        var saved = rlimit()
        getrlimit(Int32(RLIMIT_NOFILE.rawValue), &saved)
        var serviceLimit = saved
        serviceLimit.rlim_cur = rlim_t(
            ProcessInfo.processInfo.environment["STATION_FLOOD_DAEMON_NOFILE"].flatMap(Int.init) ?? 1024)
        setrlimit(Int32(RLIMIT_NOFILE.rawValue), &serviceLimit)
        defer { setrlimit(Int32(RLIMIT_NOFILE.rawValue), &saved) }
        let started = Result { try daemon.start() }
        setrlimit(Int32(RLIMIT_NOFILE.rawValue), &saved)
        _ = try started.get()
        let pid = try #require(daemon.process?.pid)
        let operators = [TestGroups.socket, TestGroups.operators]
        #expect(try daemon.curl("GET", "/v1/status", asGroups: operators).0 == 200)
        let rssBefore = try #require(residentMegabytes(pid: pid))

        let script = daemon.directory.appendingPathComponent("flood.py")
        try Self.flooder.write(to: script, atomically: true, encoding: .utf8)
        chmod(script.path, 0o644)
        let flood = try ManagedProcess(
            "flooder", executable: "/usr/bin/setpriv",
            arguments: [
                "--reuid=\(Self.attackerUID)", "--regid=\(Self.attackerUID)",
                "--groups=\(TestGroups.socket),\(TestGroups.operators)", "--", "/usr/bin/python3", script.path,
                daemon.socketPath, "\(Self.idleConnections)", "\(Self.halfSentBodies)", "\(Self.holdSeconds)",
            ],
            logFile: daemon.directory.appendingPathComponent("flood.log"))
        defer { flood.stop(signal: SIGKILL) }

        // While the flood builds up and holds, an operator asks for the status, as root's stationctl would.
        var latencies: [Double] = []
        var statuses: [Int: Int] = [:]
        var peakRSS = rssBefore
        let began = Date()
        while flood.isRunning, Date().timeIntervalSince(began) < Self.holdSeconds + 120 {
            let start = Date()
            let status = try Self.status(daemon, asGroups: operators, maxTime: 5)
            latencies.append(Date().timeIntervalSince(start))
            statuses[status, default: 0] += 1
            peakRSS = max(peakRSS, residentMegabytes(pid: pid) ?? 0)
            Thread.sleep(forTimeInterval: 0.2)
        }
        let report = flood.output.trimmingCharacters(in: .whitespacesAndNewlines)
        let worst = latencies.max() ?? 0
        let figures =
            "flood \(report); operator /v1/status: \(latencies.count) calls, statuses \(statuses), "
            + "worst \(String(format: "%.3f", worst)) s, median "
            + "\(String(format: "%.3f", latencies.sorted()[latencies.count / 2])) s, slowest "
            + "\(latencies.sorted().suffix(4).reversed().map { String(format: "%.2f", $0) }) at "
            + "\(latencies.enumerated().sorted { $0.element > $1.element }.prefix(4).map(\.offset)); "
            + "RSS \(String(format: "%.1f", rssBefore)) → peak "
            + "\(String(format: "%.1f", peakRSS)) MB"
        print("FLOOD FIGURES: \(figures)")
        #expect(flood.exitStatus == 0, "flooder: \(report)")
        #expect(latencies.count >= 10, "\(figures)")
        #expect(statuses.keys.sorted() == [200], "\(figures)")
        #expect(worst < 1.0, "\(figures)")
        #expect(peakRSS < 100, "\(figures)")
        // The limits said no, by metric.
        let metrics = MetricsText(try daemon.curl("GET", "/metrics").1)
        #expect(
            (metrics.value("stationd_control_refused_total", ["kind": "connection", "whose": "caller"]) ?? 0) > 0,
            "\(figures)")
        // Once the flood is gone, everything is released: the same account connects and is served again.
        #expect(try daemon.curl("GET", "/v1/status", asGroups: operators).0 == 200)
        _ = daemon.stop()
    }
}
