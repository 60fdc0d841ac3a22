import ControlAPI
import Foundation
import StationTestKit
import Testing

@testable import Station

/// An open event stream on the TCP listener (the console's EventSource, a desk's SSE) does not hold the daemon's
/// stop up. Before the fix the listener, the last service started, was the first one stopped and waited for its
/// connections, while the streams ended only when the intake-sessions service (stopped after it) finished the
/// event hub: SIGTERM waited until the service manager's kill (the test's 10 s SIGKILL).
@Suite(.serialized)
struct EventStreamShutdownTests {
    @Test(.timeLimit(.minutes(2))) func anOpenStreamOnTheListenerDoesNotHoldTheStopUp() throws {
        let daemon = try DaemonUnderTest(
            name: "stream-shutdown", extraConfig: "[listener]\nenabled = true\nport = 0\n")
        try daemon.start()
        defer { _ = daemon.stop(signal: SIGKILL) }
        let port = try daemon.listenerPort()
        let created = try daemon.stationctl(["client", "add", "desk", "--scope", "health:verify", "--json"])
        let token = try ControlJSON.decoder().decode(ClientCreated.self, from: Data(created.output.utf8)).token
        let header = daemon.directory.appendingPathComponent("auth.hdr")
        #expect(
            FileManager.default.createFile(
                atPath: header.path, contents: Data("Authorization: Bearer \(token)\n".utf8),
                attributes: [.posixPermissions: 0o600]))
        let stream = try ManagedProcess(
            "sse", executable: "/usr/bin/curl",
            arguments: ["-s", "-N", "--max-time", "60", "-H", "@\(header.path)", "http://127.0.0.1:\(port)/v1/events"],
            logFile: daemon.directory.appendingPathComponent("sse.log"))
        defer { stream.stop() }
        let opened = Date(timeIntervalSinceNow: 20)
        while !stream.output.contains(": stationd events") && Date() < opened { usleep(50_000) }
        #expect(stream.output.contains(": stationd events"))

        let stopping = Date()
        let status = daemon.stop(timeout: 10)
        let took = Date().timeIntervalSince(stopping)
        #expect(status == 0, "exit \(String(describing: status)) after \(took) s\n\(daemon.log.suffix(3000))")
        #expect(took < 5, "the stop took \(took) s")
        // The stream ended with the daemon (curl saw its end, not its own timeout).
        #expect(stream.wait(timeout: 5) != nil)
    }

    /// Once the hub is finished, a stream opened afterwards (a client reconnecting during the stop) ends at once too.
    @Test func aSubscriptionAfterTheHubFinishedEndsAtOnce() async {
        let hub = EventHub()
        let before = hub.subscribe()
        hub.finishAll()
        let after = hub.subscribe()
        hub.publish(StationEvent(type: "queue.changed", at: Date()))
        var seen = 0
        for await _ in before { seen += 1 }
        for await _ in after { seen += 1 }
        #expect(seen == 0)
        #expect(hub.subscriberCount == 0)
    }

    /// The console's event stream is not the officer's activity: it does not hold the idle logout off (a page left
    /// open still logs out), while the officer's own reads and every write do.
    @Test func theConsolesEventStreamDoesNotRenewTheIdleLogout() {
        #expect(!ConsoleLogin.renews(stateChanging: false, polled: false, path: ControlPaths.events))
        #expect(!ConsoleLogin.renews(stateChanging: false, polled: true, path: "/v1/status"))
        #expect(ConsoleLogin.renews(stateChanging: false, polled: false, path: "/v1/intake/abc"))
        #expect(ConsoleLogin.renews(stateChanging: true, polled: true, path: "/v1/intake"))
    }
}
