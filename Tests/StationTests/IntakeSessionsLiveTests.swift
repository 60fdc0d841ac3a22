import ControlAPI
import Foundation
import Simulation
import StationTestKit
import Testing

@testable import Station

/// A busy day's worth of intake sessions through the daemon: every commit and every abandon gets its answer,
/// exactly once, however many sessions ended before it.
@Suite(.serialized)
struct IntakeSessionsLiveTests {
    let lease: LivePCSC.Lease
    var harness: PCSCHarness { lease.harness }
    init() async throws { lease = try await LivePCSC.acquire() }

    /// 200 sessions: committed (then cancelled by the supervisor so the citizen may come again), abandoned before
    /// and after the card read, and dropped by the client (connection closed). Before the fix, once 32 sessions had
    /// ended, the session that had just been committed was usually evicted from the finished list and the commit
    /// that stored its row answered 404 `control.no_intake_session`.
    @Test func everyCommitAndAbandonIsAnsweredAfterManySessions() async throws {
        let url = LivePCSC.packageRoot.appendingPathComponent("Devices/cards/nguyen-van-an.json")
        let set = try CitizenDataSet.load(url)
        let daemon = try DaemonUnderTest(
            name: "sessions",
            extraConfig: "[authenticity]\nsupervisor_overrides = unconfirmed, untrustedSigner, notChecked\n",
            environment: harness.clientEnvironment)
        try daemon.start()
        defer { _ = daemon.stop() }
        let card = try harness.startCardReported(arguments: ["--dataset", url.path])
        defer { card.stop() }
        let deadline = Date(timeIntervalSinceNow: 15)
        while try !daemon.curl("GET", "/v1/readers").1.contains(#""cardPresent":true"#) && Date() < deadline {
            try await Task.sleep(for: .milliseconds(100))
        }
        let portrait = IntakeLiveTests.syntheticJPEG(width: 480, height: 640)

        var commits = 0
        var abandons = 0
        var drops = 0
        var committedIDs: Set<String> = []
        for index in 0..<200 {
            let client = daemon.client()
            let started = try client.request("POST", "/v1/intake", body: Data("{}".utf8))
            #expect(started.status == 201, "session \(index): \(String(decoding: started.body, as: UTF8.self))")
            let session = try started.decode(IntakeSessionWire.self)
            switch index % 8 {
            case 0:
                let read = try client.request(
                    "POST", "/v1/intake/\(session.id)/card", body: Data(#"{"can":"\#(set.can)"}"#.utf8))
                #expect(read.status == 200, "\(String(decoding: read.body, as: UTF8.self))")
                for finger in [2, 7] {
                    let captured = try client.request(
                        "POST", "/v1/intake/\(session.id)/fingers", json: FingerRequest(finger: finger))
                    #expect(captured.status == 200, "\(String(decoding: captured.body, as: UTF8.self))")
                }
                let attached = try client.request(
                    "PUT", "/v1/intake/\(session.id)/portrait", body: portrait, contentType: "image/jpeg")
                #expect(attached.status == 200)
                var details = DetailsRequest()
                details.phone = "0912345678"
                details.overrideReason = "training station: no CSCA list"
                #expect(try client.request("PUT", "/v1/intake/\(session.id)/details", json: details).status == 200)
                let committed = try client.request("POST", "/v1/intake/\(session.id)/commit")
                #expect(
                    committed.status == 200,
                    "commit \(index) after \(index) sessions: \(String(decoding: committed.body, as: UTF8.self))")
                let wire = try committed.decode(IntakeSessionWire.self)
                #expect(wire.state == "committed")
                let id = try #require(wire.applicationID)
                #expect(committedIDs.insert(id).inserted)
                commits += 1
                // The supervisor (root) cancels it so the same citizen may be taken again.
                let cancelled = try daemon.stationctl(["queue", "cancel", id, "--reason", "other"])
                #expect(cancelled.status == 0, "\(cancelled.output)")
            case 1, 2, 3:
                let abandoned = try client.request("DELETE", "/v1/intake/\(session.id)")
                #expect(
                    [200, 204].contains(abandoned.status),
                    "abandon \(index): \(String(decoding: abandoned.body, as: UTF8.self))")
                if abandoned.status == 200 {
                    #expect(try abandoned.decode(IntakeSessionWire.self).state == "abandoned")
                }
                abandons += 1
            case 4, 5:
                let read = try client.request(
                    "POST", "/v1/intake/\(session.id)/card", body: Data(#"{"can":"\#(set.can)"}"#.utf8))
                #expect(read.status == 200)
                let abandoned = try client.request("DELETE", "/v1/intake/\(session.id)")
                #expect([200, 204].contains(abandoned.status))
                abandons += 1
            default:
                // The client goes away: the station frees itself for the next one.
                drops += 1
            }
            client.close()
            // The next session may start only once the station saw the connection close.
            if index % 8 >= 6 {
                let freed = Date(timeIntervalSinceNow: 30)  // ends at once when freed; long only for a loaded machine
                while Date() < freed {
                    let status = try #require(jsonObject(try daemon.curl("GET", "/v1/status").1))
                    if (status["intake"] as? [String: Any])?["active"] as? Bool == false { break }
                    try await Task.sleep(for: .milliseconds(20))
                }
            }
        }
        #expect(commits == 25 && abandons == 125 && drops == 50)
        #expect(committedIDs.count == 25)
        // Every commit stored exactly one row, every one of them cancelled afterwards.
        let status = try #require(jsonObject(try daemon.curl("GET", "/v1/status").1))
        let queue = try #require(status["queue"] as? [String: Any])
        #expect(queue["total"] as? Int == 25)
        #expect((queue["byState"] as? [String: Int])?["cancelled"] == 25)
    }

    /// The bounded list keeps the sessions in the order they ended and drops the oldest first.
    @Test func finishedSessionsKeepTheNewest() {
        var finished = FinishedSessions(capacity: 4)
        for index in 0..<10 {
            finished.record(IntakeSessionWire(id: "s\(index)", state: "committed"))
            #expect(finished["s\(index)"]?.id == "s\(index)")
        }
        #expect(finished.count == 4)
        #expect(finished["s5"] == nil)
        #expect(finished["s6"] != nil && finished["s9"] != nil)
        finished.record(IntakeSessionWire(id: "s6", state: "abandoned"))
        #expect(finished.count == 4)
        #expect(finished["s6"]?.state == "abandoned")
    }
}
