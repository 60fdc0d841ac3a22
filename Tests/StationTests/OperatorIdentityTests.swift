import ControlAPI
import Foundation
import Intake
import Queue
import Simulation
import StationTestKit
import Testing

/// The operator of record is the authenticated caller (SO_PEERCRED), never a name a client sends; a supervisor
/// may take an intake on behalf of an operator (audited) and end a session another client holds (audited).
@Suite(.serialized)
struct OperatorIdentityTests {
    let lease: LivePCSC.Lease
    var harness: PCSCHarness { lease.harness }
    init() async throws { lease = try await LivePCSC.acquire() }

    static let operators = [TestGroups.socket, TestGroups.operators]

    @Test func operatorOfRecordIsTheCaller() async throws {
        let url = TrustAnchorLiveTests.dataSet
        let set = try CitizenDataSet.load(url)
        let trust = TrustAnchorConfigurationTests.pki.appendingPathComponent("trust").path
        let daemon = try DaemonUnderTest(
            name: "operator-identity", extraConfig: "[trust]\nfolder = \(trust)\n",
            environment: harness.clientEnvironment)
        try daemon.start()
        defer { _ = daemon.stop() }
        let card = try harness.startCardReported(arguments: ["--dataset", url.path])
        defer { card.stop() }
        let deadline = Date(timeIntervalSinceNow: 45)
        while try !daemon.curl("GET", "/v1/readers").1.contains(#""cardPresent":true"#) && Date() < deadline {
            try await Task.sleep(for: .milliseconds(200))
        }
        let portrait = daemon.directory.appendingPathComponent("portrait.jpg")
        try IntakeLiveTests.syntheticJPEG(width: 480, height: 640).write(to: portrait)
        let intake = [
            "intake", "--can", set.can, "--portrait", portrait.path, "--phone", "0912345678", "--yes", "--json",
        ]

        // An operator (uid nobody) naming a supervisor: refused before anything happens.
        let (claimed, claimedBody) = try daemon.curl(
            "POST", "/v1/intake", body: #"{"operatorID":"supervisor-tran"}"#, asGroups: Self.operators)
        #expect(claimed == 400, "\(claimedBody)")
        #expect(errorCode(claimedBody) == ControlErrorCode.operatorNotCaller.rawValue)
        let impersonating = try daemon.stationctl(
            intake + ["--operator-id", "supervisor-tran"], asGroups: Self.operators, timeout: 90)
        #expect(impersonating.status != 0)
        #expect(impersonating.output.contains(ControlErrorCode.operatorNotCaller.rawValue), "\(impersonating.output)")
        #expect(try daemon.curl("GET", "/v1/queue").1.contains(#""items":[]"#))

        // The same operator without a name: the application is recorded under the caller's account.
        let own = try daemon.stationctl(intake, asGroups: Self.operators, timeout: 90)
        #expect(own.status == 0, "\(own.output)\n\(daemon.log)")
        let first = try #require(Self.applicationID(own.output))
        let page = try ControlJSON.decoder().decode(
            QueuePageWire.self, from: Data(try daemon.stationctl(["queue", "ls", "--json"]).output.utf8))
        #expect(page.items.first { $0.id == first }?.operatorID == "nobody")
        #expect(try daemon.stationctl(["queue", "cancel", first, "--reason", "other"]).status == 0)

        // A supervisor (root) on behalf of an operator: recorded under the operator, audited as on behalf.
        let onBehalf = try daemon.stationctl(intake + ["--operator-id", "op-7"], timeout: 90)
        #expect(onBehalf.status == 0, "\(onBehalf.output)")
        let second = try #require(Self.applicationID(onBehalf.output))
        let after = try ControlJSON.decoder().decode(
            QueuePageWire.self, from: Data(try daemon.stationctl(["queue", "ls", "--json"]).output.utf8))
        #expect(after.items.first { $0.id == second }?.operatorID == "op-7")

        #expect(daemon.stop() == 0)
        let queue = try ApplicationQueue(
            configuration: .init(
                databasePath: daemon.directory.path + "/state/queue.sqlite",
                keyFilePath: daemon.directory.path + "/state/queue.key"))
        let commit = try queue.auditTrail(for: ApplicationID(first)).first { $0.action == "commit" }
        #expect(commit?.actor == "nobody")
        let station = try queue.auditTrail(for: nil)
        #expect(
            station.contains {
                $0.action == "intake_on_behalf" && $0.actor == "root" && $0.reasonCode == "operator:op-7"
            })
    }

    @Test func supervisorEndsASessionAnotherClientHolds() throws {
        let daemon = try DaemonUnderTest(name: "operator-takeover")
        try daemon.start()
        defer { _ = daemon.stop() }
        // A client (a forgotten terminal) holds the station's session.
        let holder = daemon.client()
        let started = try holder.request("POST", "/v1/intake", body: Data("{}".utf8))
        #expect(started.status == 201)
        let session = try started.decode(IntakeSessionWire.self)
        // An operator cannot end it.
        let (refused, _) = try daemon.curl("DELETE", "/v1/intake/\(session.id)", asGroups: Self.operators)
        #expect(refused == 409)
        // A supervisor (root) can; the station is free for the next citizen.
        let (ended, body) = try daemon.curl("DELETE", "/v1/intake/\(session.id)")
        #expect(ended == 200, "\(body)")
        let wire = try ControlJSON.decoder().decode(IntakeSessionWire.self, from: Data(body.utf8))
        #expect(wire.state == "abandoned")
        #expect(wire.abandonReason == "endedBySupervisor")
        let next = daemon.client()
        #expect(try next.request("POST", "/v1/intake", body: Data("{}".utf8)).status == 201)
        // The holder is told its session is gone.
        #expect(try holder.request("POST", "/v1/intake/\(session.id)/review").status == 404)
        holder.close()
        next.close()
        #expect(daemon.stop() == 0)
        let queue = try ApplicationQueue(
            configuration: .init(
                databasePath: daemon.directory.path + "/state/queue.sqlite",
                keyFilePath: daemon.directory.path + "/state/queue.key"))
        #expect(
            try queue.auditTrail(for: nil).contains {
                $0.action == "intake_ended_by_supervisor" && $0.reasonCode == "session:\(session.id)"
            })
    }

    static func applicationID(_ output: String) -> String? {
        let line = output.split(separator: "\n").last { $0.hasPrefix("{") }.map(String.init) ?? ""
        return (try? ControlJSON.decoder().decode(IntakeSessionWire.self, from: Data(line.utf8)))?.applicationID
    }
}
