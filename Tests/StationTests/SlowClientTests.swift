import ControlAPI
import Foundation
import StationTestKit
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// A raw connection to the control socket, for clients that misbehave on purpose.
final class RawConnection: @unchecked Sendable {
    let fd: Int32

    init(socketPath: String) throws {
        fd = try TestSockets.unix(socketPath)
    }

    deinit { close(fd) }

    /// Sends everything; false once the daemon has closed the connection.
    @discardableResult
    func send(_ bytes: [UInt8]) -> Bool {
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes {
                Glibc.send(fd, $0.baseAddress!, $0.count, Int32(MSG_NOSIGNAL))
            }
            if written < 0 && errno == EINTR { continue }
            if written <= 0 { return false }
            offset += written
        }
        return true
    }

    func send(_ text: String) -> Bool { send(Array(text.utf8)) }

    /// Reads until the daemon closes the connection or `timeout` passes; `closed` tells which.
    func readUntilClosed(timeout: Double) -> (data: Data, closed: Bool) {
        var data = Data()
        let deadline = Date(timeIntervalSinceNow: timeout)
        var chunk = [UInt8](repeating: 0, count: 16_384)
        while Date() < deadline {
            var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let ready = poll(&poller, 1, 100)
            if ready <= 0 { continue }
            let count = recv(fd, &chunk, chunk.count, 0)
            if count < 0 && errno == EINTR { continue }
            if count <= 0 { return (data, true) }
            data.append(contentsOf: chunk[0..<count])
        }
        return (data, false)
    }
}

/// The daemon's resident set, from /proc (kB → MB).
func residentMegabytes(pid: pid_t, field: String = "VmRSS") -> Double? {
    guard let text = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return nil }
    guard let line = text.split(separator: "\n").first(where: { $0.hasPrefix(field + ":") }) else { return nil }
    let fields = line.split { $0 == " " || $0 == "\t" }
    return fields.dropFirst().first.flatMap { Double($0) }.map { $0 / 1024 }
}

/// Slow clients (slowloris) and bodies that never end: the daemon answers them with typed errors, cuts them
/// after `control.request_timeout_seconds` or at `control.max_body_bytes`, and keeps serving everyone else
/// with bounded memory.
@Suite(.serialized)
struct SlowClientTests {
    static let timeout = 3.0

    private func daemon(_ name: String) throws -> DaemonUnderTest {
        let daemon = try DaemonUnderTest(
            name: name,
            extraConfig: """
                [control]
                request_timeout_seconds = \(Self.timeout)
                max_body_bytes = 65536

                """)
        try daemon.start()
        return daemon
    }

    @Test func slowClientsAreCutWhileOthersAreServedPromptly() throws {
        let daemon = try daemon("slowloris")
        let pid = try #require(daemon.process?.pid)
        let client = daemon.client()
        #expect(try client.request("GET", "/v1/status").status == 200)
        let rssBefore = try #require(residentMegabytes(pid: pid))

        // 60 send a request head a byte at a time and never finish it; 20 send a whole head and then dribble a
        // body that never completes; 20 connect and say nothing.
        let head =
            Array("GET /v1/status HTTP/1.1\r\nHost: station\r\nAccept-Language: en\r\nX-Slow: ".utf8)
            + Array(repeating: UInt8(ascii: "z"), count: 4_000)
        let dribblers = try (0..<60).map { _ in try RawConnection(socketPath: daemon.socketPath) }
        let bodies = try (0..<20).map { _ in try RawConnection(socketPath: daemon.socketPath) }
        let silent = try (0..<20).map { _ in try RawConnection(socketPath: daemon.socketPath) }
        for connection in bodies {
            #expect(
                connection.send(
                    "POST /v1/export HTTP/1.1\r\nHost: station\r\nContent-Type: application/json\r\n"
                        + "Content-Length: 1000\r\n\r\n{\"to\":\""))
        }
        let began = Date()
        var latencies: [Double] = []
        var statuses: Set<Int> = []
        var peakRSS = rssBefore
        var step = 0
        // While they hold their connections (and for a while after the cut), a normal client is served.
        while Date().timeIntervalSince(began) < Self.timeout + 1.5 {
            if step < head.count {
                for connection in dribblers { connection.send([head[step]]) }
                for connection in bodies { connection.send([UInt8(ascii: "a")]) }
                step += 1
            }
            let start = Date()
            let answer = try daemon.client().request("GET", "/v1/status")
            latencies.append(Date().timeIntervalSince(start))
            statuses.insert(answer.status)
            peakRSS = max(peakRSS, residentMegabytes(pid: pid) ?? 0)
            Thread.sleep(forTimeInterval: 0.1)
        }
        #expect(statuses == [200])
        #expect(latencies.count >= 20)
        // Generous bounds: the machine is shared; an unguarded server would not answer at all here.
        let worst = latencies.max() ?? 0
        #expect(worst < 2.0, "worst /v1/status latency \(worst) s")
        #expect(peakRSS - rssBefore < 32, "RSS \(rssBefore) → \(peakRSS) MB")
        #expect(peakRSS < 150, "RSS \(peakRSS) MB")

        // Each slow client got a typed 408 and a closed connection.
        for (group, connections) in [("head", dribblers), ("body", bodies), ("silent", silent)] {
            for connection in connections {
                let (data, closed) = connection.readUntilClosed(timeout: 5)
                let text = String(decoding: data, as: UTF8.self)
                #expect(closed, "\(group): still open")
                #expect(text.hasPrefix("HTTP/1.1 408"), "\(group): \(text.prefix(80))")
                #expect(text.contains(ControlErrorCode.requestTimeout.rawValue), "\(group): \(text)")
            }
        }
        let metrics = MetricsText(try daemon.curl("GET", "/metrics").1)
        #expect(metrics.value("stationd_slow_clients_closed_total", ["reason": "head"]) == 80)
        #expect(metrics.value("stationd_slow_clients_closed_total", ["reason": "body"]) == 20)
        // The kept-alive client that did nothing wrong is still connected and served.
        #expect(try client.request("GET", "/v1/status").status == 200)
        _ = daemon.stop()
    }

    @Test func slowClientMessageFollowsTheLanguageOfItsHead() throws {
        let daemon = try daemon("slowbody")
        let connection = try RawConnection(socketPath: daemon.socketPath)
        #expect(
            connection.send(
                "POST /v1/export HTTP/1.1\r\nHost: station\r\nAccept-Language: en\r\nContent-Length: 50\r\n\r\n{"))
        let (data, closed) = connection.readUntilClosed(timeout: Self.timeout + 5)
        let text = String(decoding: data, as: UTF8.self)
        #expect(closed)
        #expect(text.hasPrefix("HTTP/1.1 408"))
        #expect(text.contains("did not arrive in time"), "\(text)")
        // An idle keep-alive connection between requests is not cut (a guided intake's operator thinks).
        let client = daemon.client()
        #expect(try client.request("POST", "/v1/intake", body: Data("{}".utf8)).status == 201)
        Thread.sleep(forTimeInterval: Self.timeout + 1)
        let summary = try #require(jsonObject(try daemon.curl("GET", "/v1/status").1))
        #expect((summary["intake"] as? [String: Any])?["active"] as? Bool == true)
        #expect(try client.request("GET", "/v1/status").status == 200)
        _ = daemon.stop()
    }

    @Test func bodiesThatNeverEndAreCutAtTheLimit() throws {
        let daemon = try daemon("endless")
        let pid = try #require(daemon.process?.pid)
        let rssBefore = try #require(residentMegabytes(pid: pid))

        // Chunked, never ending: 413 once past max_body_bytes; the rest is discarded up to the allowance
        // (1 MiB here), then the connection is closed.
        let endless = try RawConnection(socketPath: daemon.socketPath)
        #expect(
            endless.send(
                "POST /v1/export HTTP/1.1\r\nHost: station\r\nTransfer-Encoding: chunked\r\n"
                    + "Content-Type: application/json\r\n\r\n"))
        let chunk = Array("4000\r\n".utf8) + Array(repeating: UInt8(ascii: " "), count: 0x4000) + Array("\r\n".utf8)
        let sent = LockedValue(0)
        let writer = Thread {
            let deadline = Date(timeIntervalSinceNow: 20)
            while Date() < deadline, endless.send(chunk) { sent.withLock { $0 += chunk.count } }
        }
        writer.start()
        let (data, closed) = endless.readUntilClosed(timeout: 10)
        let text = String(decoding: data, as: UTF8.self)
        #expect(text.hasPrefix("HTTP/1.1 413"), "\(text.prefix(80))")
        #expect(errorCode(text.components(separatedBy: "\r\n\r\n").last ?? "") == ControlErrorCode.tooLarge.rawValue)
        #expect(closed)
        // The writer is stopped by the closed connection: what got through is the limit plus socket buffers.
        Thread.sleep(forTimeInterval: 0.5)
        let through = sent.withLock { $0 }
        #expect(through < 8 << 20, "\(through) bytes accepted")
        let cut = MetricsText(try daemon.curl("GET", "/metrics").1)
        #expect(cut.value("stationd_slow_clients_closed_total", ["reason": "discard"]) == 1)

        // A declared huge length is refused before any byte of it is read.
        let declared = try RawConnection(socketPath: daemon.socketPath)
        #expect(
            declared.send(
                "POST /v1/export HTTP/1.1\r\nHost: station\r\nContent-Length: 10000000000\r\n\r\n{"))
        let (refusal, refusedClosed) = declared.readUntilClosed(timeout: 5)
        #expect(String(decoding: refusal, as: UTF8.self).hasPrefix("HTTP/1.1 413"))
        #expect(refusedClosed)

        // The daemon keeps serving with bounded memory.
        #expect(try daemon.curl("GET", "/v1/status").0 == 200)
        let rssAfter = try #require(residentMegabytes(pid: pid))
        #expect(rssAfter - rssBefore < 32, "RSS \(rssBefore) → \(rssAfter) MB")
        _ = daemon.stop()
    }
}

/// A small lock-protected value for test threads.
final class LockedValue<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Value
    init(_ value: Value) { self.value = value }
    func withLock<T>(_ body: (inout Value) -> T) -> T { lock.withLock { body(&value) } }
}
