import ControlAPI
import Foundation
import Simulation
import StationTestKit
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// The TCP listener through the real daemon process: client tokens issued and revoked with `stationctl client`,
/// 401 without a (live) token, 403 outside the token's scope, the CORS allow-list's preflight, TLS with the pinned
/// station certificate (and a wrong pin refused by the client), tokens never in the daemon's log.
@Suite("TCP listener: tokens, scopes, CORS, TLS", .serialized)
struct ListenerLiveTests {
    static let origin = "https://his.benhvien.example:8443"

    /// A daemon with the listener on an ephemeral loopback port.
    func daemon(_ name: String, tls: Bool = false) throws -> (DaemonUnderTest, ListenerWire) {
        let daemon = try DaemonUnderTest(
            name: name,
            extraConfig: """
                [listener]
                enabled = true
                address = 127.0.0.1
                port = 0
                tls = \(tls)
                cors_origins = \(Self.origin), http://localhost:3000

                """)
        try daemon.start()
        let (status, body) = try daemon.curl("GET", ControlPaths.listener)
        #expect(status == 200, "\(body)")
        let listener = try ControlJSON.decoder().decode(ListenerWire.self, from: Data(body.utf8))
        #expect(listener.enabled && listener.port > 0)
        return (daemon, listener)
    }

    /// Issues a token with `stationctl client add` (as root, a supervisor) and returns it.
    func issue(_ daemon: DaemonUnderTest, _ name: String) throws -> String {
        let result = try daemon.stationctl(["client", "add", name, "--scope", "health:verify", "--json"])
        #expect(result.status == 0, "\(result.output)")
        let created = try ControlJSON.decoder().decode(ClientCreated.self, from: Data(result.output.utf8))
        #expect(created.token.hasPrefix("stn_") && created.token.count > 40)
        return created.token
    }

    /// `curl` over TCP; the token goes in a 0600 header file (`-H @file`), never on the command line.
    func tcp(
        _ daemon: DaemonUnderTest, _ listener: ListenerWire, _ method: String, _ path: String, token: String? = nil,
        body: String? = nil, headers: [String] = [], tlsArguments: [String] = []
    ) throws -> (status: Int, headers: String, body: String, exit: Int32) {
        var arguments = ["-s", "-D", "-", "-X", method, "--max-time", "20"] + tlsArguments
        if let token {
            let file = daemon.directory.appendingPathComponent("auth-\(UUID().uuidString).hdr")
            #expect(
                FileManager.default.createFile(
                    atPath: file.path, contents: Data("Authorization: Bearer \(token)\n".utf8),
                    attributes: [.posixPermissions: 0o600]))
            arguments += ["-H", "@\(file.path)"]
        }
        for header in headers { arguments += ["-H", header] }
        if let body { arguments += ["-H", "Content-Type: application/json", "--data-binary", body] }
        let scheme = listener.tls ? "https" : "http"
        arguments.append("\(scheme)://127.0.0.1:\(listener.port)\(path)")
        let result = try runTool("/usr/bin/curl", arguments, timeout: 30)
        let text = result.output.replacingOccurrences(of: "\r\n", with: "\n")
        guard let split = text.range(of: "\n\n") else { return (0, text, "", result.status) }
        let head = String(text[..<split.lowerBound])
        let status = head.split(separator: " ").dropFirst().first.flatMap { Int($0) } ?? 0
        return (status, head.lowercased(), String(text[split.upperBound...]), result.status)
    }

    @Test("no token 401, desk token on a queue route 403, in scope it reaches the route, revoked 401")
    func tokensAndScopes() throws {
        let (daemon, listener) = try daemon("listener-tokens")
        let token = try issue(daemon, "his-reception-1")

        let none = try tcp(daemon, listener, "GET", "/v1/queue")
        #expect(none.status == 401, "\(none)")
        #expect(errorCode(none.body) == ListenerErrorCode.unauthorized.rawValue)
        #expect(none.headers.contains("www-authenticate: bearer"))
        let wrong = try tcp(daemon, listener, "POST", "/v1/verify", token: "stn_not-a-token", body: "{}")
        #expect(wrong.status == 401, "\(wrong)")

        for (method, path) in [
            ("GET", "/v1/queue"), ("GET", "/v1/status"), ("POST", "/v1/intake"), ("GET", "/v1/clients"),
            ("POST", "/v1/upload"), ("GET", "/metrics"),
        ] {
            let refused = try tcp(daemon, listener, method, path, token: token, body: method == "POST" ? "{}" : nil)
            #expect(refused.status == 403, "\(method) \(path): \(refused)")
            #expect(errorCode(refused.body) == ListenerErrorCode.outOfScope.rawValue, "\(method) \(path)")
        }
        // In scope: the route itself answers (no key given: 400 desk.no_key, before any reader is touched, so the
        // answer does not depend on a card another suite left in the shared reader).
        let verify = try tcp(
            daemon, listener, "POST", "/v1/verify", token: token, body: "{}", headers: ["Accept-Language: en"])
        #expect(verify.status == 400, "\(verify)")
        #expect(errorCode(verify.body) == "desk.no_key")

        // Client management is the supervisors' business, on the socket.
        let asOperator = try daemon.stationctl(
            ["client", "add", "sneaky"], asGroups: [TestGroups.socket, TestGroups.operators])
        #expect(asOperator.status == 3, "\(asOperator.output)")
        let listed = try daemon.stationctl(["client", "ls", "--json"])
        #expect(listed.status == 0)
        #expect(listed.output.contains("his-reception-1") && !listed.output.contains(token))
        let duplicate = try daemon.stationctl(["client", "add", "his-reception-1"])
        #expect(duplicate.status == 5, "\(duplicate.output)")

        let revoked = try daemon.stationctl(["client", "revoke", "his-reception-1"])
        #expect(revoked.status == 0, "\(revoked.output)")
        let after = try tcp(daemon, listener, "POST", "/v1/verify", token: token, body: #"{"can":"123456"}"#)
        #expect(after.status == 401, "\(after)")
        #expect(errorCode(after.body) == ListenerErrorCode.unauthorized.rawValue)
        let again = try daemon.stationctl(["client", "revoke", "his-reception-1"])
        #expect(again.status == 4)

        // Stored hashed, 0600; the token appears in no log line and no file of the station.
        let clientsFile = daemon.directory.appendingPathComponent("state/clients.json").path
        var info = stat()
        #expect(stat(clientsFile, &info) == 0)
        #expect(info.st_mode & 0o777 == 0o600)
        let stored = (try? String(contentsOfFile: clientsFile, encoding: .utf8)) ?? ""
        #expect(stored.contains("his-reception-1") && !stored.contains(token))
        #expect(!daemon.log.isEmpty && !daemon.log.contains(token))
        #expect(!daemon.log.contains(String(token.dropFirst(4))))
        // The audit names the client and the supervisor.
        #expect(daemon.log.contains("client token issued") && daemon.log.contains("client token revoked"))
    }

    @Test("CORS: an allowed origin's preflight 204 with its headers, another origin 403 without them")
    func corsPreflight() throws {
        let (daemon, listener) = try daemon("listener-cors")
        let preflight = [
            "Origin: \(Self.origin)", "Access-Control-Request-Method: POST",
            "Access-Control-Request-Headers: authorization, content-type",
        ]
        let allowed = try tcp(daemon, listener, "OPTIONS", "/v1/verify", headers: preflight)
        #expect(allowed.status == 204, "\(allowed)")
        #expect(allowed.headers.contains("access-control-allow-origin: \(Self.origin)"))
        #expect(allowed.headers.contains("access-control-allow-headers: authorization"))
        #expect(allowed.headers.contains("access-control-allow-methods:"))

        let evil = ["Origin: https://evil.example", "Access-Control-Request-Method: POST"]
        let denied = try tcp(daemon, listener, "OPTIONS", "/v1/verify", headers: evil)
        #expect(denied.status == 403, "\(denied)")
        #expect(errorCode(denied.body) == ListenerErrorCode.originNotAllowed.rawValue)
        #expect(!denied.headers.contains("access-control-allow-origin"))

        // The actual request from the allowed origin carries the header even when it is refused (so the page can
        // read the 401), from another origin it is refused.
        let token = try issue(daemon, "his-web")
        let fromPage = try tcp(daemon, listener, "GET", "/v1/status", headers: ["Origin: \(Self.origin)"])
        #expect(fromPage.status == 401)
        #expect(fromPage.headers.contains("access-control-allow-origin: \(Self.origin)"))
        let fromEvil = try tcp(
            daemon, listener, "POST", "/v1/verify", token: token, body: "{}", headers: ["Origin: https://evil.example"])
        #expect(fromEvil.status == 403 && errorCode(fromEvil.body) == ListenerErrorCode.originNotAllowed.rawValue)
    }

    @Test("TLS: the station certificate made at start (key 0600), the pinned key works, a wrong pin fails")
    func tlsPinned() throws {
        let (daemon, listener) = try daemon("listener-tls", tls: true)
        #expect(listener.tls)
        let pin = try #require(listener.publicKeySHA256)
        let fingerprint = try #require(listener.certificateSHA256)
        #expect(fingerprint.split(separator: ":").count == 32)
        let certificate = try #require(listener.certificatePath)
        let key = daemon.directory.appendingPathComponent("state/listener/station.key").path
        var info = stat()
        #expect(stat(key, &info) == 0 && info.st_mode & 0o777 == 0o600)
        // The fingerprint shown is the certificate's (openssl agrees).
        let openssl = try runTool(
            "/usr/bin/openssl", ["x509", "-in", certificate, "-noout", "-fingerprint", "-sha256"])
        #expect(openssl.output.uppercased().contains(fingerprint), "\(openssl.output)")
        // `stationctl listener show` prints both for the technician.
        let shown = try daemon.stationctl(["listener", "show", "--lang", "en"])
        #expect(shown.output.contains(fingerprint) && shown.output.contains("sha256//\(pin)"), "\(shown.output)")

        let token = try issue(daemon, "his-tls")
        let pinned = try tcp(
            daemon, listener, "POST", "/v1/verify", token: token, body: "{}",
            tlsArguments: ["--cacert", certificate, "--pinnedpubkey", "sha256//\(pin)"])
        #expect(pinned.exit == 0 && pinned.status == 400, "\(pinned)")
        let wrongPin = "sha256//" + Data(repeating: 7, count: 32).base64EncodedString()
        let refused = try tcp(
            daemon, listener, "POST", "/v1/verify", token: token, body: #"{"can":"123456"}"#,
            tlsArguments: ["--cacert", certificate, "--pinnedpubkey", wrongPin])
        #expect(refused.exit == 90, "curl: SSL public key does not match pinned public key: \(refused)")
        #expect(refused.status == 0)
        // Plain HTTP to the TLS port gets no answer from the API.
        let plain = try runTool(
            "/usr/bin/curl",
            [
                "-s", "--max-time", "5", "-o", "/dev/null", "-w", "%{http_code}",
                "http://127.0.0.1:\(listener.port)/v1/verify",
            ])
        #expect(plain.output.hasPrefix("000") || plain.output == "400", "\(plain.output)")
        // A restart keeps the certificate the HIS pinned.
        _ = daemon.stop()
        try daemon.start()
        let (_, body) = try daemon.curl("GET", ControlPaths.listener)
        let again = try ControlJSON.decoder().decode(ListenerWire.self, from: Data(body.utf8))
        #expect(again.certificateSHA256 == fingerprint)
        #expect(!daemon.log.contains(token))
        // A certificate without its key is never replaced silently (the HIS pinned it): the start stops, naming both.
        _ = daemon.stop()
        unlink(key)
        #expect(throws: (any Error).self) { try daemon.start(readyTimeout: 10) }
        #expect(daemon.log.contains("listener.key") && daemon.log.contains("must both exist"), "\(daemon.log)")
        #expect(FileManager.default.fileExists(atPath: certificate) && !FileManager.default.fileExists(atPath: key))
    }
}

/// The socket's hardening on the TCP side: a request that does not arrive in time is 408 and closed, and an
/// address over its connection share is answered 429 at once.
@Suite("TCP listener: slow clients and connection limits", .serialized)
struct ListenerLimitsLiveTests {
    /// A raw loopback TCP connection (the test needs to send half a request).
    final class RawConnection {
        let fd: Int32
        init(port: Int) throws {
            fd = try TestSockets.loopback(port: port, receiveTimeout: 5)
        }
        deinit { close(fd) }
        func send(_ text: String) { _ = text.withCString { Glibc.send(fd, $0, strlen($0), Int32(MSG_NOSIGNAL)) } }
        /// Everything until the peer closes or 5 s pass.
        func readAll() -> String {
            var data = [UInt8]()
            var chunk = [UInt8](repeating: 0, count: 4096)
            while true {
                let count = recv(fd, &chunk, chunk.count, 0)
                if count <= 0 { break }
                data += chunk[0..<count]
            }
            return String(decoding: data, as: UTF8.self)
        }
    }

    @Test("half a request on TCP is 408 after request_timeout_seconds; the third connection of an address is 429")
    func slowClientAndConnectionShare() throws {
        let daemon = try DaemonUnderTest(
            name: "listener-limits",
            extraConfig: """
                [control]
                request_timeout_seconds = 1
                max_connections_per_uid = 2
                [listener]
                enabled = true
                port = 0

                """)
        try daemon.start()
        defer { _ = daemon.stop() }
        let listener = try ControlJSON.decoder().decode(
            ListenerWire.self, from: Data(try daemon.curl("GET", ControlPaths.listener).1.utf8))

        let slow = try RawConnection(port: listener.port)
        slow.send("POST /v1/verify HTTP/1.1\r\nHost: station\r\n")
        let started = Date()
        let answer = slow.readAll()
        #expect(answer.hasPrefix("HTTP/1.1 408"), "\(answer)")
        #expect(answer.contains(ControlErrorCode.requestTimeout.rawValue))
        #expect(Date().timeIntervalSince(started) < 4)

        let first = try RawConnection(port: listener.port)
        let second = try RawConnection(port: listener.port)
        usleep(200_000)
        let third = try RawConnection(port: listener.port)
        let refused = third.readAll()
        #expect(refused.hasPrefix("HTTP/1.1 429"), "\(refused)")
        #expect(refused.contains(ControlErrorCode.callerLimit.rawValue))
        withExtendedLifetime((first, second)) {}
    }
}

/// A health desk over the TCP listener through the real pcscd + vpcd + the simulated card: the desk's event
/// stream (SSE, with its token) sees the card arrive and the check's result, and `POST /v1/verify` with the token
/// reads the card.
@Suite("TCP listener: the desk's events and verify with a real reader", .serialized)
struct ListenerDeskLiveTests {
    let lease: LivePCSC.Lease
    var harness: PCSCHarness { lease.harness }
    init() async throws { lease = try await LivePCSC.acquire() }

    static let dataSet = LivePCSC.packageRoot.appendingPathComponent("Devices/cards/nguyen-van-an.json")

    @Test("a token's SSE stream receives card.inserted and verify.done; verify over TCP answers the verdict")
    func deskEventsOverTCP() throws {
        let daemon = try DaemonUnderTest(
            name: "listener-desk",
            extraConfig: """
                [station]
                profile = health
                [listener]
                enabled = true
                port = 0

                """,
            environment: harness.clientEnvironment)
        try daemon.start()
        defer { _ = daemon.stop() }
        let listener = try ControlJSON.decoder().decode(
            ListenerWire.self, from: Data(try daemon.curl("GET", ControlPaths.listener).1.utf8))
        let created = try daemon.stationctl(["client", "add", "his-desk", "--scope", "health:verify", "--json"])
        let token = try ControlJSON.decoder().decode(ClientCreated.self, from: Data(created.output.utf8)).token
        let header = daemon.directory.appendingPathComponent("auth.hdr")
        #expect(
            FileManager.default.createFile(
                atPath: header.path, contents: Data("Authorization: Bearer \(token)\n".utf8),
                attributes: [.posixPermissions: 0o600]))

        let stream = try ManagedProcess(
            "sse", executable: "/usr/bin/curl",
            arguments: [
                "-s", "-N", "--max-time", "60", "-H", "@\(header.path)",
                "http://127.0.0.1:\(listener.port)\(ControlPaths.events)",
            ],
            logFile: daemon.directory.appendingPathComponent("sse.log"))
        defer { stream.stop() }
        try waitFor(20, "the event stream to open") { stream.output.contains(": stationd events") }

        let card = try harness.startCard(slot: 0, arguments: ["--dataset", Self.dataSet.path])
        defer { card.stop() }
        try waitFor(30, "card.inserted on the desk's stream") { stream.output.contains("event: card.inserted") }

        let can = try CitizenDataSet.load(Self.dataSet).can
        let body = daemon.directory.appendingPathComponent("verify.json")
        #expect(
            FileManager.default.createFile(
                atPath: body.path, contents: Data(#"{"can":"\#(can)"}"#.utf8), attributes: [.posixPermissions: 0o600]))
        let verify = try runTool(
            "/usr/bin/curl",
            [
                "-s", "-w", "\n%{http_code}", "--max-time", "30", "-H", "@\(header.path)", "-H",
                "Content-Type: application/json", "--data-binary", "@\(body.path)",
                "http://127.0.0.1:\(listener.port)\(ControlPaths.verify)",
            ], timeout: 40)
        #expect(verify.output.hasSuffix("\n200"), "\(verify.output)\n\(daemon.log)")
        #expect(verify.output.contains(#""verdict""#))
        try waitFor(10, "verify.done on the desk's stream") { stream.output.contains("event: verify.done") }
        // The desk's scope sees no queue or intake events.
        #expect(!stream.output.contains("event: queue.") && !stream.output.contains("event: intake."))
        #expect(!daemon.log.contains(token))
    }

    /// No token is 401 at the upgrade; a desk token receives `patient.verified` with the answer; a revoked token is
    /// refused and its open socket closed.
    @Test("events over WebSocket: 401 at the upgrade, patient.verified with the answer, revoked closed")
    func deskEventsOverWebSocket() throws {
        let daemon = try DaemonUnderTest(
            name: "listener-ws",
            extraConfig: """
                [station]
                profile = health
                [listener]
                enabled = true
                port = 0
                cors_origins = https://his.benhvien.example

                """,
            environment: harness.clientEnvironment)
        try daemon.start()
        defer { _ = daemon.stop() }
        let listener = try ControlJSON.decoder().decode(
            ListenerWire.self, from: Data(try daemon.curl("GET", ControlPaths.listener).1.utf8))
        let created = try daemon.stationctl(["client", "add", "his-ws", "--scope", "health:verify", "--json"])
        let token = try ControlJSON.decoder().decode(ClientCreated.self, from: Data(created.output.utf8)).token

        // Refused at the upgrade, with the listener's JSON errors: no token, an unknown one, a foreign origin.
        let anonymous = try WebSocketTestClient(port: listener.port, path: ControlPaths.eventsSocket, token: nil)
        #expect(anonymous.status == 401, "\(anonymous.head)")
        #expect(anonymous.head.contains("www-authenticate: bearer"))
        #expect(anonymous.body.contains(ListenerErrorCode.unauthorized.rawValue), "\(anonymous.body)")
        let forged = try WebSocketTestClient(
            port: listener.port, path: ControlPaths.eventsSocket, token: "stn_" + String(repeating: "A", count: 43))
        #expect(forged.status == 401)
        let foreign = try WebSocketTestClient(
            port: listener.port, path: ControlPaths.eventsSocket, token: token,
            headers: ["Origin: https://evil.example"])
        #expect(foreign.status == 403 && foreign.body.contains(ListenerErrorCode.originNotAllowed.rawValue))
        // A browser's WebSocket cannot send Authorization: the token comes as a subprotocol instead.
        let browser = try WebSocketTestClient(
            port: listener.port, path: ControlPaths.eventsSocket, token: nil,
            headers: [
                "Origin: https://his.benhvien.example",
                "Sec-WebSocket-Protocol: stationd.events, stationd.bearer.\(token)",
            ])
        #expect(browser.status == 101, "\(browser.head)\(browser.body)")
        #expect(browser.head.contains("sec-websocket-protocol: stationd.events\r\n"))
        browser.sendClose()
        let wrongProtocol = try WebSocketTestClient(
            port: listener.port, path: ControlPaths.eventsSocket, token: nil,
            headers: [
                "Sec-WebSocket-Protocol: stationd.events, stationd.bearer.stn_" + String(repeating: "B", count: 43)
            ])
        #expect(wrongProtocol.status == 401 && wrongProtocol.body.contains(ListenerErrorCode.unauthorized.rawValue))

        let socket = try WebSocketTestClient(port: listener.port, path: ControlPaths.eventsSocket, token: token)
        #expect(socket.status == 101, "\(socket.head)\(socket.body)\n\(daemon.log)")
        #expect(socket.head.contains("upgrade: websocket") && socket.head.contains("sec-websocket-accept:"))
        func events(_ type: String) throws -> [StationEvent] {
            try socket.messages.map { try ControlJSON.decoder().decode(StationEvent.self, from: Data($0.utf8)) }
                .filter { $0.type == type }
        }

        let card = try harness.startCard(slot: 0, arguments: ["--dataset", Self.dataSet.path])
        defer { card.stop() }
        try waitFor(30, "card.inserted on the WebSocket") { (try? events("card.inserted").isEmpty) == false }

        let can = try CitizenDataSet.load(Self.dataSet).can
        let header = daemon.directory.appendingPathComponent("auth.hdr")
        #expect(
            FileManager.default.createFile(
                atPath: header.path, contents: Data("Authorization: Bearer \(token)\n".utf8),
                attributes: [.posixPermissions: 0o600]))
        let body = daemon.directory.appendingPathComponent("verify.json")
        #expect(
            FileManager.default.createFile(
                atPath: body.path, contents: Data(#"{"can":"\#(can)"}"#.utf8), attributes: [.posixPermissions: 0o600]))
        let verify = try runTool(
            "/usr/bin/curl",
            [
                "-s", "--max-time", "30", "-H", "@\(header.path)", "-H", "Content-Type: application/json",
                "--data-binary", "@\(body.path)", "http://127.0.0.1:\(listener.port)\(ControlPaths.verify)",
            ], timeout: 40)
        let answer = try ControlJSON.decoder().decode(PatientVerification.self, from: Data(verify.output.utf8))
        try waitFor(10, "patient.verified on the WebSocket") { (try? events("patient.verified").isEmpty) == false }
        // The event carries the answer the HIS's POST got, field for field.
        #expect(try events("patient.verified").first?.patient == answer)
        #expect(answer.idNumber == "001099012345")
        // The desk's scope sees no queue or intake events.
        #expect(socket.messages.allSatisfy { !$0.contains(#""type":"queue."#) && !$0.contains(#""type":"intake."#) })
        #expect(!daemon.log.contains(token))

        // Revoked: a new upgrade is refused, and the open socket is closed at the next event (policy violation).
        let revoked = try daemon.stationctl(["client", "revoke", "his-ws"])
        #expect(revoked.status == 0, "\(revoked.output)")
        let receivedBeforeRevocation = socket.messages.count
        let again = try WebSocketTestClient(port: listener.port, path: ControlPaths.eventsSocket, token: token)
        #expect(again.status == 401 && again.body.contains(ListenerErrorCode.unauthorized.rawValue))
        #expect(socket.closedWith == nil)
        card.stop()
        try waitFor(20, "the revoked client's socket to close") { socket.closedWith != nil }
        #expect(socket.closedWith == 1008)
        // The card's removal was the next event: closed instead of sent (the desk's warm reset may have sent an
        // earlier card.removed, before the revocation).
        #expect(socket.messages.count == receivedBeforeRevocation, "an event sent after the revocation")
    }

    func waitFor(_ seconds: Double, _ what: String, _ condition: () -> Bool) throws {
        let deadline = Date(timeIntervalSinceNow: seconds)
        while Date() < deadline {
            if condition() { return }
            usleep(50_000)
        }
        throw HarnessError("timed out waiting for \(what)")
    }
}
