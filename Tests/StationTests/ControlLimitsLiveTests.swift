import ControlAPI
import Foundation
import StationTestKit
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// The control socket's limits against the running daemon (issue 16 items 1 and 8): idle keep-alive connections
/// closed and a guided intake kept alive by its heartbeat; connections and body memory capped with 503/429;
/// a route that takes no body answers without reading one; 405 with `Allow`; `Accept-Language` weights.
@Suite(.serialized)
struct ControlLimitsLiveTests {
    private func daemon(_ name: String, _ control: String) throws -> DaemonUnderTest {
        let daemon = try DaemonUnderTest(name: name, extraConfig: "[control]\n" + control + "\n")
        try daemon.start()
        return daemon
    }

    /// The head and body of the first response on a raw connection.
    private func answer(_ connection: RawConnection, timeout: Double = 5) -> (text: String, closed: Bool) {
        let (data, closed) = connection.readUntilClosed(timeout: timeout)
        return (String(decoding: data, as: UTF8.self), closed)
    }

    @Test func wrongMethodsAre405WithAllowAndUnknownPaths404() throws {
        let daemon = try daemon("methods", "")
        let client = daemon.client()
        let status = try client.request("DELETE", "/v1/status")
        #expect(status.status == 405)
        #expect(status.headers["allow"] == "GET")
        #expect(status.error?.code == ControlErrorCode.methodNotAllowed.rawValue)
        let item = try client.request("PUT", "/v1/queue/\(UUID().uuidString.lowercased())")
        #expect(item.status == 405)
        #expect(item.headers["allow"] == "GET")
        let upload = try client.request("DELETE", "/v1/upload")
        #expect(upload.headers["allow"] == "GET, POST")
        let intake = try client.request("GET", "/v1/intake")
        #expect(intake.status == 405)
        #expect(intake.headers["allow"] == "POST")
        let missing = try client.request("GET", "/v1/nothing-here")
        #expect(missing.status == 404)
        #expect(missing.error?.code == ControlErrorCode.notFound.rawValue)
        #expect(try client.request("GET", "/v1/queue/a/b/c").status == 404)
        _ = daemon.stop()
    }

    @Test func acceptLanguageWeightsAreHonoured() throws {
        let daemon = try daemon("language", "")
        for (header, english) in [("en;q=0, vi", false), ("vi;q=0.5, en", true), ("en", true), ("fr", false)] {
            let (status, body) = try daemon.curl("GET", "/v1/nothing", headers: ["Accept-Language: \(header)"])
            #expect(status == 404)
            let message = (jsonObject(body)?["error"] as? [String: Any])?["message"] as? String ?? ""
            #expect((message == "No such path.") == english, "\(header): \(message)")
        }
        _ = daemon.stop()
    }

    @Test func idleConnectionsAreClosedButAHeartbeatKeepsTheIntakeSession() throws {
        let daemon = try daemon("idle", "idle_timeout_seconds = 1.5")
        // An idle keep-alive connection is closed after the idle timeout, without an answer.
        let idle = try RawConnection(socketPath: daemon.socketPath)
        #expect(idle.send("GET /v1/status HTTP/1.1\r\nHost: station\r\n\r\n"))
        let began = Date()
        let (text, closed) = answer(idle, timeout: 6)
        #expect(text.hasPrefix("HTTP/1.1 200"))
        #expect(text.lowercased().contains("keep-alive: timeout=1"), "\(text.prefix(300))")
        #expect(closed)
        let held = Date().timeIntervalSince(began)
        #expect(held > 1.2 && held < 4, "closed after \(held) s")

        // A guided intake's connection with a heartbeat outlives the idle timeout, and so does its session.
        let operatorClient = daemon.client()
        let started = try operatorClient.request("POST", "/v1/intake", body: Data("{}".utf8))
        #expect(started.status == 201)
        #expect(operatorClient.idleTimeout == 1)  // whole seconds in Keep-Alive
        let session = try started.decode(IntakeSessionWire.self)
        let heartbeat = operatorClient.heartbeat()
        Thread.sleep(forTimeInterval: 4)
        heartbeat.stop()
        let after = try operatorClient.request("GET", "/v1/intake/\(session.id)")
        #expect(after.status == 200)
        #expect(try activeIntake(daemon) == true)

        // Without it the connection is closed and the session abandoned.
        Thread.sleep(forTimeInterval: 3.5)
        #expect(try activeIntake(daemon) == false)
        let metrics = MetricsText(try daemon.curl("GET", "/metrics").1)
        #expect((metrics.value("stationd_slow_clients_closed_total", ["reason": "idle"]) ?? 0) >= 2)
        _ = daemon.stop()
    }

    /// `stationctl intake` waits at its prompt longer than the idle timeout: its heartbeat keeps the connection,
    /// so the session is still there when the officer answers (here the card read then finds no card).
    @Test func aGuidedIntakeOutlivesTheIdleTimeoutWhileItsPromptWaits() async throws {
        // The card step talks to the shared pcscd: hold the harness so no other suite's card is on the reader (and
        // this read never resets another suite's card).
        let lease = try await LivePCSC.acquire()
        defer { withExtendedLifetime(lease) {} }
        let daemon = try daemon("prompt", "idle_timeout_seconds = 1")
        let stationctl = try Binaries.path("stationctl")
        // On a terminal (script(1) gives it one), as an officer types: the answer comes 8 s after the start, well
        // past the 1 s idle timeout. (The no-echo prompt flushes typeahead, so on a loaded machine an answer sent
        // before the prompt appears is lost: 3 s was not always enough for stationctl to reach it.)
        let command = "\"\(stationctl)\" intake --socket \"\(daemon.socketPath)\" --lang en"
        let result = try runTool(
            "/bin/sh",
            ["-c", "(sleep 8; echo 123456) | /usr/bin/script -q -e -c \"$0\" /dev/null", command], timeout: 40)
        // The session outlived the idle timeout: the card step ran on it and found no card (exit 5), never a closed
        // connection (exit 2) or a lost session (exit 4).
        #expect(result.output.contains("smartcard.no_card"), "\(result.output)")
        #expect(result.status == 5, "\(result.output)")
        _ = daemon.stop()
    }

    private func activeIntake(_ daemon: DaemonUnderTest) throws -> Bool? {
        let summary = jsonObject(try daemon.curl("GET", "/v1/status").1)
        return (summary?["intake"] as? [String: Any])?["active"] as? Bool
    }

    @Test func aRouteThatTakesNoBodyAnswersWithoutReadingOne() throws {
        let daemon = try daemon("nobody", "request_timeout_seconds = 20")
        let connection = try RawConnection(socketPath: daemon.socketPath)
        #expect(
            connection.send(
                "GET /v1/status HTTP/1.1\r\nHost: station\r\nContent-Length: 2097152\r\n\r\n"
                    + String(repeating: "x", count: 1000)))
        let began = Date()
        let (text, closed) = answer(connection, timeout: 10)
        let elapsed = Date().timeIntervalSince(began)
        #expect(text.hasPrefix("HTTP/1.1 200"), "\(text.prefix(200))")
        #expect(text.lowercased().contains("connection: close"))
        #expect(closed)
        #expect(elapsed < 2, "answered and closed after \(elapsed) s (request timeout 20 s)")
        _ = daemon.stop()
    }

    @Test func connectionsAndBodyMemoryOverTheLimitsAreRefused() throws {
        let daemon = try daemon(
            "limits",
            """
            max_connections = 4
            max_body_bytes = 65536
            body_memory_bytes = 65536
            idle_timeout_seconds = 30
            """)
        // Root has no per-uid share but counts in the total: the fifth connection is refused at once.
        let held = try (0..<4).map { _ in try RawConnection(socketPath: daemon.socketPath) }
        for connection in held { #expect(connection.send("GET /v1/readers HTTP/1.1\r\nHost: station\r\n\r\n")) }
        Thread.sleep(forTimeInterval: 0.3)
        let fifth = try RawConnection(socketPath: daemon.socketPath)
        let (refusal, closed) = answer(fifth)
        #expect(refusal.hasPrefix("HTTP/1.1 503"), "\(refusal.prefix(200))")
        #expect(refusal.lowercased().contains("retry-after: 2"))
        #expect(
            errorCode(refusal.components(separatedBy: "\r\n\r\n").last ?? "") == ControlErrorCode.overloaded.rawValue)
        #expect(closed)
        for connection in held { shutdown(connection.fd, Int32(SHUT_RDWR)) }
        Thread.sleep(forTimeInterval: 0.5)

        // One half-sent body holds the whole body budget: another body is refused 503 before it is read, and
        // accepted again once the first is gone.
        let first = try RawConnection(socketPath: daemon.socketPath)
        #expect(
            first.send(
                "POST /v1/verify HTTP/1.1\r\nHost: station\r\nContent-Type: application/json\r\n"
                    + "Content-Length: 65536\r\n\r\n{\"can\":\""))
        Thread.sleep(forTimeInterval: 0.3)
        let (status, body) = try daemon.curl("POST", "/v1/verify", body: #"{"can":"123456"}"#)
        #expect(status == 503, "\(body)")
        #expect(errorCode(body) == ControlErrorCode.overloaded.rawValue)
        shutdown(first.fd, Int32(SHUT_RDWR))
        Thread.sleep(forTimeInterval: 0.5)
        let (again, _) = try daemon.curl("POST", "/v1/verify", body: #"{"can":"123456"}"#)
        #expect(again != 503)
        let metrics = MetricsText(try daemon.curl("GET", "/metrics").1)
        #expect(metrics.value("stationd_control_refused_total", ["kind": "connection", "whose": "station"]) == 1)
        #expect(metrics.value("stationd_control_refused_total", ["kind": "body", "whose": "station"]) == 1)
        _ = daemon.stop()
    }
}
