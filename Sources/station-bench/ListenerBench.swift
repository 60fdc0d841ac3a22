import ControlAPI
import Foundation
import StationTestKit

#if canImport(Glibc)
    import Glibc
#endif

/// `station-bench listener`: what the TCP listener adds to a request, and the daemon's idle RSS with it on.
///
/// Starts `stationd run` with `[listener]` on a loopback port (plain HTTP: the token, scope and CORS checks and
/// the TCP hop, not TLS), issues a `health:verify` token over the socket, then times the same request on one
/// kept-alive connection each way: `POST /v1/verify` with no card on any reader (the route answers 409
/// `smartcard.no_card` at once, so the time is the server's path around it). Added latency = TCP p50 − socket p50
/// (goal < 2 ms); idle RSS read from `/proc` after the runs (goal < 40 MB; a release build is what ships). Then the
/// same with one client for all three ways — curl on one kept-alive connection, each transfer's `time_total` after
/// the first (which carries the connection and the TLS handshake) — the socket, plain TCP and, on a daemon restarted
/// with `tls = true`, TLS with the station certificate's pinned key.
enum ListenerBench {
    static func run(runs: Int) async throws {
        say(
            "== Listener: TCP + token vs the Unix socket, \(runs) requests each (goals: added < 2 ms, idle RSS "
                + "< 40 MB)")
        let directory = LivePCSC.packageRoot.appendingPathComponent(".build/station-bench/listener-\(getpid())")
        let daemon = try DaemonUnderTest(
            directory: directory, base: .bench, extraConfig: "[listener]\nenabled = true\nport = 0\n")
        try daemon.start(readyTimeout: 30)
        defer { daemon.stop(timeout: 15) }
        let port = try daemon.listenerPort()
        let token = try daemon.issueClientToken(name: "bench", scopes: ["health:verify"])
        let body = Data(#"{"can":"123456"}"#.utf8)

        func timed(_ client: ControlClient) throws -> Statistics {
            var samples: [Double] = []
            for index in 0..<(runs + 20) {
                let start = now()
                let answer = try client.request("POST", ControlPaths.verify, body: body)
                if index >= 20 { samples.append(now() - start) }
                guard answer.status == 409 else { throw HarnessError("verify answered \(answer.status)") }
            }
            return Statistics(samples)
        }
        // Interleaved rounds, so both ways see the same machine load.
        var unixSamples: [Double] = []
        var tcpSamples: [Double] = []
        let unixClient = daemon.client()
        let tcpClient = ControlClient(loopbackPort: port, token: token)
        for _ in 0..<4 {
            unixSamples += try timed(unixClient).samples
            tcpSamples += try timed(tcpClient).samples
        }
        let unix = Statistics(unixSamples)
        let tcp = Statistics(tcpSamples)
        try await Task.sleep(for: .seconds(2))
        let rss = daemon.memory("VmRSS") ?? 0
        func ms(_ seconds: Double) -> String { String(format: "%.3f ms", seconds * 1000) }
        say("Unix socket  POST /v1/verify (409)   p50 \(ms(unix.median))  p99 \(ms(unix.p99))")
        say("TCP + token  POST /v1/verify (409)   p50 \(ms(tcp.median))  p99 \(ms(tcp.p99))")
        say(
            "listener added per request: p50 \(ms(tcp.median - unix.median))  p99 \(ms(tcp.p99 - unix.p99))  "
                + "(goal < 2 ms)")
        say(String(format: "daemon idle RSS with the listener on: %.1f MB (goal < 40 MB)", rss))
        let bodyFile = directory.appendingPathComponent("verify.json")
        try body.write(to: bodyFile)
        let headerFile = directory.appendingPathComponent("auth-header.txt")
        _ = FileManager.default.createFile(
            atPath: headerFile.path, contents: Data("Authorization: Bearer \(token)\n".utf8),
            attributes: [.posixPermissions: 0o600])
        let verifyPath = ControlPaths.verify
        let socket = daemon.socketPath
        var curlUnix: [Double] = []
        var curlTCP: [Double] = []
        for _ in 0..<4 {
            curlUnix += try curlTimes(["--unix-socket", socket], "http://station\(verifyPath)", runs, bodyFile)
            curlTCP += try curlTimes(
                ["-H", "@\(headerFile.path)"], "http://127.0.0.1:\(port)\(verifyPath)", runs, bodyFile)
        }
        daemon.stop(timeout: 15)

        // TLS: the same daemon restarted with `tls = true` (the station certificate is made at this start).
        daemon.extraConfig = "[listener]\nenabled = true\nport = 0\ntls = true\n"
        try daemon.start(readyTimeout: 30)
        let tlsPort = try daemon.listenerPort()
        guard
            let pin = try daemon.client().request("GET", ControlPaths.listener).decode(ListenerWire.self)
                .publicKeySHA256
        else { throw HarnessError("stationd with TLS has no certificate pin: \(daemon.log)") }
        var curlUnixTLSRun: [Double] = []
        var curlTLS: [Double] = []
        for _ in 0..<4 {
            curlUnixTLSRun += try curlTimes(["--unix-socket", socket], "http://station\(verifyPath)", runs, bodyFile)
            curlTLS += try curlTimes(
                ["-k", "--pinnedpubkey", "sha256//\(pin)", "-H", "@\(headerFile.path)"],
                "https://127.0.0.1:\(tlsPort)\(verifyPath)", runs, bodyFile)
        }
        daemon.stop(timeout: 15)
        let (cu, ct, cu2, cs) = (
            Statistics(curlUnix), Statistics(curlTCP), Statistics(curlUnixTLSRun), Statistics(curlTLS)
        )
        say("curl, one kept-alive connection each way, \(4 * runs) requests each:")
        say("  Unix socket      p50 \(ms(cu.median))  p99 \(ms(cu.p99))")
        say(
            "  TCP + token      p50 \(ms(ct.median))  p99 \(ms(ct.p99))  added p50 \(ms(ct.median - cu.median))  "
                + "(goal < 2 ms)")
        say("  Unix socket      p50 \(ms(cu2.median))  p99 \(ms(cu2.p99))  (the TLS daemon)")
        say(
            "  TLS + token      p50 \(ms(cs.median))  p99 \(ms(cs.p99))  added p50 \(ms(cs.median - cu2.median))  "
                + "(goal < 2 ms)")
        // The same daemon without the listener, for what the listener itself costs.
        daemon.extraConfig = "[listener]\nenabled = false\n"
        try daemon.start(readyTimeout: 30)
        _ = try? daemon.client().request("POST", ControlPaths.verify, body: body)
        try await Task.sleep(for: .seconds(2))
        let plainRSS = daemon.memory("VmRSS") ?? 0
        say(
            String(
                format: "daemon idle RSS without the listener: %.1f MB (the listener's share: %.1f MB)", plainRSS,
                rss - plainRSS))
    }

    /// `count` POSTs of `bodyFile` to `url` by one curl on one kept-alive connection: each transfer's
    /// `time_total` in seconds, the first (connection, TLS handshake) left out.
    static func curlTimes(_ options: [String], _ url: String, _ count: Int, _ bodyFile: URL) throws -> [Double] {
        var arguments =
            ["-s", "-w", "%{time_total}\n", "-X", "POST", "-H", "Content-Type: application/json"]
            + ["--data-binary", "@\(bodyFile.path)"] + options
        for _ in 0...count { arguments += ["-o", "/dev/null", url] }
        let result = try runTool("/usr/bin/curl", arguments, timeout: 300)
        let times = result.output.split(separator: "\n").compactMap { Double($0) }
        guard result.status == 0, times.count == count + 1 else {
            throw HarnessError("curl \(url): exit \(result.status), \(times.count) of \(count + 1) transfers")
        }
        return Array(times.dropFirst())
    }
}
