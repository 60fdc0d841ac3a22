import ControlAPI
import Foundation
import StationTestKit
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// `stationd run` as a real process, driven through curl and stationctl over its socket.
@Suite(.serialized)
struct DaemonTests {
    @Test func readyOnlyAfterSocketBoundWithStatusLines() throws {
        let daemon = try DaemonUnderTest(name: "ready")
        let messages = try daemon.start()
        // READY=1 comes with a status; STATUS= lines precede it (store, devices).
        #expect(messages.contains { $0.contains("STATUS=opening the store") })
        #expect(messages.contains { $0.contains("STATUS=probing devices") })
        let ready = try #require(messages.first { $0.contains("READY=1") })
        #expect(ready.contains("STATUS=ready"))
        // Ready means the socket is there with mode 0660 and the configured group.
        var info = stat()
        #expect(stat(daemon.socketPath, &info) == 0)
        #expect(info.st_mode & 0o777 == 0o660)
        #expect(info.st_gid == TestGroups.socket)
        let (status, body) = try daemon.curl("GET", "/v1/status")
        #expect(status == 200)
        let object = try #require(jsonObject(body))
        #expect(object["version"] as? String == StationVersion.current)
        #expect(object["profile"] as? String == "intake")
        #expect(object["storeConsistent"] as? Bool == true)
        let queue = try #require(object["queue"] as? [String: Any])
        #expect(queue["total"] as? Int == 0)
        #expect((queue["byState"] as? [String: Int])?.keys.contains("held") == true)
        #expect((object["uplink"] as? [String: Any])?["state"] as? String == "notConfigured")
        let scanners = (object["devices"] as? [String: Any])?["fingerprintScanners"] as? [[String: Any]]
        #expect(scanners?.first?["id"] as? String == "sim:0")
        // SIGTERM: graceful, exit 0, STOPPING=1 sent, socket removed.
        #expect(daemon.stop() == 0)
        #expect(daemon.notify.waitFor("STOPPING=1", timeout: 2).contains { $0.contains("STOPPING=1") })
        #expect(access(daemon.socketPath, F_OK) != 0)
    }

    @Test func watchdogPingsAtHalfThePeriod() throws {
        let daemon = try DaemonUnderTest(name: "watchdog")
        let start = Date()
        try daemon.start(extraEnvironment: ["WATCHDOG_USEC": "400000"])
        let messages = daemon.notify.waitFor("WATCHDOG=1", timeout: 3)
        let pings = messages.filter { $0 == "WATCHDOG=1" }.count
        #expect(pings >= 1)
        Thread.sleep(forTimeInterval: 1.0)
        let later = daemon.notify.waitFor("never", timeout: 0.3).filter { $0 == "WATCHDOG=1" }.count
        let elapsed = Date().timeIntervalSince(start)
        // Every 0.2 s after READY: at least a few more in the extra second, not a flood.
        #expect(later >= pings + 3)
        #expect(Double(later) <= elapsed / 0.2 + 2)
        _ = daemon.stop()
    }

    @Test func stationctlStatusAndDevicesTextAndJSON() throws {
        let daemon = try DaemonUnderTest(name: "ctl")
        try daemon.start()
        let text = try daemon.stationctl(["status"])
        #expect(text.status == 0)
        #expect(text.output.contains("Hàng đợi: 0 hồ sơ"))
        let english = try daemon.stationctl(["status", "--lang", "en"])
        #expect(english.output.contains("Queue: 0 applications"))
        let json = try daemon.stationctl(["status", "--json"])
        #expect(jsonObject(json.output)?["profile"] as? String == "intake")
        let devices = try daemon.stationctl(["devices", "--lang", "en"])
        #expect(devices.status == 0)
        #expect(devices.output.contains("sim:0"))
        let queue = try daemon.stationctl(["queue", "ls", "--json"])
        #expect(queue.status == 0)
        #expect((jsonObject(queue.output)?["items"] as? [Any])?.isEmpty == true)
        let report = try daemon.stationctl(["report", "weekly", "--date", "2026-11-25", "--json"])
        #expect(jsonObject(report.output)?["from"] as? String == "2026-11-21")  // Saturday to Friday
        #expect(jsonObject(report.output)?["through"] as? String == "2026-11-27")
        let upload = try daemon.stationctl(["upload", "--lang", "en"])
        #expect(upload.status == 6)
        #expect(upload.output.contains("control.unavailable"))
        let missing = try daemon.stationctl(["queue", "show", UUID().uuidString])
        #expect(missing.status == 4)
        #expect(missing.output.contains("queue.not_found"))
        _ = daemon.stop()
        let unreachable = try daemon.stationctl(["status"])
        #expect(unreachable.status == 2)
    }

    @Test func authorisationByPeerCredentials() throws {
        let daemon = try DaemonUnderTest(name: "auth")
        try daemon.start()
        let id = UUID().uuidString
        // In the socket group only: may connect, may not do anything.
        let (outsider, outsiderBody) = try daemon.curl(
            "GET", "/v1/status", asGroups: [TestGroups.socket])
        #expect(outsider == 403)
        #expect(errorCode(outsiderBody) == ControlErrorCode.forbidden.rawValue)
        #expect(outsiderBody.contains("uid 65534"))
        // Not even in the socket group: the kernel refuses the connection (mode 0660).
        let (noSocket, _) = try daemon.curl("GET", "/v1/status", asGroups: [])
        #expect(noSocket == 0)
        // Operators read and take applications, but may not hold or cancel.
        let operators = [TestGroups.socket, TestGroups.operators]
        #expect(try daemon.curl("GET", "/v1/status", asGroups: operators).0 == 200)
        let (hold, holdBody) = try daemon.curl(
            "POST", "/v1/queue/\(id)/hold", body: #"{"reason":"dataError"}"#, asGroups: operators)
        #expect(hold == 403)
        #expect(errorCode(holdBody) == ControlErrorCode.forbidden.rawValue)
        #expect(try daemon.curl("POST", "/v1/export", body: "{}", asGroups: operators).0 == 403)
        // Release is an operator action: it passes authorisation and reaches the queue (unknown id: 404).
        let (release, releaseBody) = try daemon.curl(
            "POST", "/v1/queue/\(id)/release", asGroups: operators)
        #expect(release == 404)
        #expect(errorCode(releaseBody) == "queue.not_found")
        // Supervisors may hold (unknown id → the queue's 404, not 403).
        let supervisors = [TestGroups.socket, TestGroups.supervisors]
        let (supervisorHold, supervisorBody) = try daemon.curl(
            "POST", "/v1/queue/\(id)/hold", body: #"{"reason":"dataError"}"#, asGroups: supervisors)
        #expect(supervisorHold == 404)
        #expect(errorCode(supervisorBody) == "queue.not_found")
        // stationctl as an outsider: exit 3 with the Vietnamese message.
        let ctl = try daemon.stationctl(["status"], asGroups: [TestGroups.socket])
        #expect(ctl.status == 3)
        #expect(ctl.output.contains("không thuộc nhóm"))
        _ = daemon.stop()
    }

    @Test func malformedRequestsGetTypedErrorsWhileOthersAreServed() throws {
        let daemon = try DaemonUnderTest(name: "malformed", extraConfig: "[control]\n")
        daemon.extraConfig = ""
        try daemon.start()
        let client = daemon.client()
        let started = try client.request("POST", "/v1/intake", body: Data("{}".utf8))
        #expect(started.status == 201)
        let session = try started.decode(IntakeSessionWire.self)
        let (badJSON, badBody) = try daemon.curl("POST", "/v1/queue/\(UUID())/hold", body: "{not json")
        #expect(badJSON == 400)
        #expect(errorCode(badBody) == ControlErrorCode.badRequest.rawValue)
        let wrongType = try client.request(
            "POST", "/v1/intake/\(session.id)/fingers", body: Data(#"{"finger":"two"}"#.utf8))
        #expect(wrongType.status == 400)
        #expect(wrongType.error?.code == ControlErrorCode.badRequest.rawValue)
        #expect(wrongType.error?.message.contains("finger") == true)
        // Over control.max_body_bytes (2 MiB) on a JSON route (the portrait's own limit is larger: a phone's photo).
        let huge = Data(repeating: 0x41, count: 3 << 20)
        let tooLarge = try daemon.client().request(
            "PUT", "/v1/intake/\(session.id)/details", body: huge)
        #expect(tooLarge.status == 413)
        #expect(tooLarge.error?.code == ControlErrorCode.tooLarge.rawValue)
        let (unknown, unknownBody) = try daemon.curl("GET", "/v1/nothing-here")
        #expect(unknown == 404)
        #expect(errorCode(unknownBody) == ControlErrorCode.notFound.rawValue)
        let (badState, _) = try daemon.curl("GET", "/v1/queue?state=bogus")
        #expect(badState == 400)
        let (badID, _) = try daemon.curl("GET", "/v1/queue/not-a-uuid")
        #expect(badID == 400)
        // Messages follow Accept-Language.
        let (_, vietnamese) = try daemon.curl("GET", "/v1/nothing-here")
        #expect(vietnamese.contains("Không có đường dẫn này"))
        let (_, english) = try daemon.curl("GET", "/v1/nothing-here", headers: ["Accept-Language: en"])
        #expect(english.contains("No such path"))
        // The session's own connection still works, and others are served.
        let again = try client.request("GET", "/v1/intake/\(session.id)")
        #expect(again.status == 200)
        #expect(try daemon.curl("GET", "/v1/status").0 == 200)
        _ = daemon.stop()
    }

    @Test func oneControllingClientAndDisconnectFreesTheSession() throws {
        let daemon = try DaemonUnderTest(name: "session")
        try daemon.start()
        let first = daemon.client()
        let started = try first.request("POST", "/v1/intake", body: Data("{}".utf8))
        #expect(started.status == 201)
        let session = try started.decode(IntakeSessionWire.self)
        #expect(session.state == "idle")
        // A second client cannot start or drive it (an operator: a supervisor or root may end it, see
        // OperatorIdentityTests).
        let second = daemon.client()
        let refused = try second.request("POST", "/v1/intake", body: Data("{}".utf8))
        #expect(refused.status == 409)
        #expect(refused.error?.code == ControlErrorCode.sessionBusy.rawValue)
        let drive = try daemon.curl(
            "DELETE", "/v1/intake/\(session.id)", asGroups: [TestGroups.socket, TestGroups.operators]
        ).0
        #expect(drive == 409)
        let status = try #require(jsonObject(try daemon.curl("GET", "/v1/status").1))
        #expect((status["intake"] as? [String: Any])?["active"] as? Bool == true)
        // The controlling client goes away: the session is abandoned and the station free again.
        first.close()
        var retry = try second.request("POST", "/v1/intake", body: Data("{}".utf8))
        let deadline = Date(timeIntervalSinceNow: 30)  // the daemon notices the close: seconds on a loaded machine
        while retry.status == 409 && Date() < deadline {
            Thread.sleep(forTimeInterval: 0.05)
            retry = try second.request("POST", "/v1/intake", body: Data("{}".utf8))
        }
        #expect(retry.status == 201)
        let old = try second.request("GET", "/v1/intake/\(session.id)")
        #expect(try old.decode(IntakeSessionWire.self).abandonReason == "clientGone")
        // Abandon explicitly.
        let mine = try retry.decode(IntakeSessionWire.self)
        let abandoned = try second.request("DELETE", "/v1/intake/\(mine.id)")
        #expect(abandoned.status == 200)
        #expect(try abandoned.decode(IntakeSessionWire.self).abandonReason == "operatorCancelled")
        #expect(try second.request("POST", "/v1/intake", body: Data("{}".utf8)).status == 201)
        _ = daemon.stop()
    }

    @Test func sigtermDuringIntakeLeavesAConsistentStore() throws {
        let daemon = try DaemonUnderTest(name: "sigterm")
        try daemon.start()
        let client = daemon.client()
        #expect(try client.request("POST", "/v1/intake", body: Data("{}".utf8)).status == 201)
        let events = daemon.client()
        // An open event stream must not hold the shutdown up.
        let streaming = Thread {
            _ = try? events.events { _, _ in true }
        }
        streaming.start()
        Thread.sleep(forTimeInterval: 0.3)
        let began = Date()
        #expect(daemon.stop() == 0)
        #expect(Date().timeIntervalSince(began) < 8)
        try daemon.start()
        let status = try #require(jsonObject(try daemon.curl("GET", "/v1/status").1))
        #expect(status["storeConsistent"] as? Bool == true)
        #expect((status["queue"] as? [String: Any])?["total"] as? Int == 0)
        #expect((status["intake"] as? [String: Any])?["active"] as? Bool == false)
        _ = daemon.stop()
    }

    @Test func eventsStreamAndMetrics() throws {
        let daemon = try DaemonUnderTest(name: "events")
        try daemon.start()
        let watcher = DispatchQueue(label: "watch")
        let received = NSLock()
        nonisolated(unsafe) var types: [String] = []
        let done = DispatchSemaphore(value: 0)
        watcher.async {
            let client = daemon.client()
            _ = try? client.events { type, _ in
                received.withLock { types.append(type) }
                return type != "intake.state"
                    || received.withLock { types.filter { $0 == "intake.state" }.count } < 2
            }
            done.signal()
        }
        Thread.sleep(forTimeInterval: 0.3)
        let client = daemon.client()
        let session = try client.request("POST", "/v1/intake", body: Data("{}".utf8)).decode(
            IntakeSessionWire.self)
        client.close()  // → abandoned: a second intake.state event
        #expect(done.wait(timeout: .now() + 5) == .success)
        #expect(received.withLock { types.filter { $0 == "intake.state" }.count } >= 2)
        _ = try daemon.curl("GET", "/v1/intake/\(session.id)")
        #expect(try daemon.curl("GET", "/v1/nothing-here").0 == 404)
        // swift-metrics → swift-prometheus: requests by route template, method and status, durations as a
        // histogram, queue counts by state and open connections as gauges.
        let (status, text) = try daemon.curl("GET", "/metrics")
        #expect(status == 200)
        let metrics = MetricsText(text)
        #expect(metrics.types["stationd_http_requests_total"] == "counter")
        #expect(metrics.types["stationd_http_request_duration_seconds"] == "histogram")
        #expect(metrics.types["stationd_queue_applications"] == "gauge")
        let started: KeyValuePairs<String, String> = ["route": "/v1/intake", "method": "POST", "status": "201"]
        #expect(metrics.value("stationd_http_requests_total", started) == 1, "\(text)")
        let unknown: KeyValuePairs<String, String> = ["route": "NotFound", "method": "GET", "status": "404"]
        #expect(metrics.value("stationd_http_requests_total", unknown) == 1)
        let timed: KeyValuePairs<String, String> = ["route": "/v1/intake", "method": "POST"]
        #expect(metrics.value("stationd_http_request_duration_seconds_count", timed) == 1, "\(text)")
        #expect(metrics.samples.keys.contains { $0.contains(#"route="/v1/intake/{session}""#) }, "\(text)")
        #expect(metrics.value("stationd_queue_applications", ["state": "captured"]) == 0)
        #expect((metrics.value("stationd_control_connections") ?? 0) >= 1)  // the scrape's own connection
        #expect(metrics.value("stationd_readers") != nil)
        // Labels carry route templates, never ids.
        #expect(!text.contains(session.id))
        _ = daemon.stop()
    }

    @Test func healthProfileRefusesIntake() throws {
        // No pcscd for this daemon (the live suites may run one in parallel): no reader, no card.
        var environment = ProcessInfo.processInfo.environment
        environment["PCSCLITE_CSOCK_NAME"] = "/nonexistent/pcscd.comm"
        let daemon = try DaemonUnderTest(
            name: "health", extraConfig: "[station]\nprofile = health\n", environment: environment)
        try daemon.start()
        let (status, body) = try daemon.curl("POST", "/v1/intake", body: "{}", headers: ["Accept-Language: en"])
        #expect(status == 503)
        #expect(errorCode(body) == ControlErrorCode.unavailable.rawValue)
        #expect(body.contains("health profile"))
        let verify = try daemon.stationctl(["verify", "--can", "123456"])
        #expect(verify.status == 5, "\(verify.output)")  // no card on any reader: refused, not crashed
        #expect(verify.output.contains("smartcard.no_card"))
        #expect(jsonObject(try daemon.curl("GET", "/v1/status").1)?["profile"] as? String == "health")
        _ = daemon.stop()
    }

    @Test func invalidConfigurationNamesKeyAndLine() throws {
        let directory = URL(fileURLWithPath: "/tmp/stationd-test-\(getpid())-config")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("bad.conf").path
        try "[station]\nprofile = clinic\n[control]\nsockt = /tmp/x\nmax_body_bytes = lots\n"
            .write(toFile: file, atomically: true, encoding: .utf8)
        let result = try runTool(try Binaries.path("stationd"), ["run", "--config", file])
        #expect(result.status == 78)
        #expect(result.output.contains("line 2: station.profile"))
        #expect(result.output.contains("line 4: control.sockt: unknown key"))
        #expect(result.output.contains("line 5: control.max_body_bytes"))
        let check = try runTool(try Binaries.path("stationctl"), ["config", "check", file])
        #expect(check.status == 78)
        let example = LivePCSC.packageRoot.appendingPathComponent(
            "Devices/config/stationd.conf.example"
        ).path
        let good = try runTool(try Binaries.path("stationctl"), ["config", "check", example])
        #expect(good.status == 0)
        #expect(good.output.contains("configuration OK"))
    }

    @Test func socketActivationWithAPassedFD() throws {
        let daemon = try DaemonUnderTest(name: "activation")
        try daemon.configuration.write(toFile: daemon.configPath, atomically: true, encoding: .utf8)
        // The "systemd" socket: another path than the configuration's, passed as fd 3.
        let activated = daemon.directory.appendingPathComponent("activated.sock").path
        let listener = try TestSockets.unix(activated, bind: true)
        #expect(listen(listener, 16) == 0)
        // fd 3 in the child; LISTEN_PID must be the daemon's pid: the shell sets it and execs.
        var environment = ProcessInfo.processInfo.environment
        environment["NOTIFY_SOCKET"] = daemon.notify.path
        environment["LISTEN_FDS"] = "1"
        let pid = try spawnWithFD3(
            listener, "/bin/sh",
            [
                "-c", #"LISTEN_PID=$$ exec "$0" run --config "$1" 2>>"$2""#, try Binaries.path("stationd"),
                daemon.configPath, daemon.directory.appendingPathComponent("stationd.log").path,
            ],
            environment: environment)
        close(listener)
        var reaped = false
        defer {
            if !reaped {
                kill(pid, SIGKILL)
                var raw: Int32 = 0
                waitpid(pid, &raw, 0)
            }
        }
        let messages = daemon.notify.waitFor("READY=1", timeout: 20)
        let log = {
            (try? String(
                contentsOfFile: daemon.directory.appendingPathComponent("stationd.log").path,
                encoding: .utf8)) ?? ""
        }
        #expect(messages.contains { $0.contains("READY=1") }, "\(log())")
        let client = ControlClient(socketPath: activated, language: "en")
        let status = try client.request("GET", "/v1/status")
        #expect(status.status == 200)
        #expect(access(daemon.socketPath, F_OK) != 0)  // the configured path was not used
        #expect(log().contains("socket activation"))
        kill(pid, SIGTERM)
        var raw: Int32 = 0
        let deadline = Date(timeIntervalSinceNow: 10)
        while waitpid(pid, &raw, WNOHANG) != pid && Date() < deadline { usleep(10_000) }
        reaped = Date() < deadline
        #expect(reaped)
        #expect(raw == 0)
    }

    /// posix_spawn with `fd` as the child's fd 3 (as systemd passes listening sockets).
    private func spawnWithFD3(
        _ fd: Int32, _ executable: String, _ arguments: [String], environment: [String: String]
    )
        throws -> pid_t
    {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, fd, 3)
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            argv.forEach { free($0) }
            envp.forEach { free($0) }
        }
        var pid: pid_t = 0
        let result = posix_spawn(&pid, executable, &actions, nil, argv, envp)
        guard result == 0 else { throw HarnessError("posix_spawn: \(result)") }
        return pid
    }
}
