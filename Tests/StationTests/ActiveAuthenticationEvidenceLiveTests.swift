import CentralAPI
import ControlAPI
import Foundation
import Intake
import Queue
import Simulation
import StationTestKit
import Testing

/// Issue 17 through pcscd → vpcd → the simulated CCCD → the daemon → the real `central-receiver`, on a card whose
/// DG14 offers no Chip Authentication (`--active-authentication-only`): the station runs Active Authentication, the
/// AA transcript (challenge and the chip's signature) travels in the packet, and the receiver, holding the TEST
/// CSCA, verifies it against DG15: `chipVerified`.
@Suite(.serialized)
struct ActiveAuthenticationEvidenceLiveTests {
    let lease: LivePCSC.Lease
    var harness: PCSCHarness { lease.harness }
    init() async throws { lease = try await LivePCSC.acquire() }

    @Test(.timeLimit(.minutes(4))) func theActiveAuthenticationTranscriptTravelsAndVerifies() async throws {
        let root = LivePCSC.packageRoot
        let receiver = try CentralReceiverProcess(
            population: root.appendingPathComponent("Devices/central/population.csv"),
            extraArguments: ["--trust", root.appendingPathComponent("Devices/cards/pki/trust").path])
        let daemon = try DaemonUnderTest(
            name: "aa-evidence",
            extraConfig: """
                [trust]
                folder =
                [point]
                commune_code = 26734
                [uplink]
                url = \(receiver.baseURL)
                token = \(receiver.token)
                central_fingerprint = \(receiver.fingerprint)
                station_id = station-test-aa-evidence
                state = /tmp/stationd-test-\(getpid())-aa-evidence/uplink
                interval_seconds = 3600

                """,
            environment: harness.clientEnvironment)
        try daemon.start()
        defer { _ = daemon.stop() }
        let portrait = daemon.directory.appendingPathComponent("portrait.jpg")
        try IntakeLiveTests.syntheticJPEG(width: 480, height: 640).write(to: portrait)

        let url = root.appendingPathComponent("Devices/cards/nguyen-van-an.json")
        let set = try CitizenDataSet.load(url)
        let card = try harness.startCard(arguments: ["--dataset", url.path, "--active-authentication-only"])
        defer { card.stop() }
        let deadline = Date(timeIntervalSinceNow: 45)
        while try !daemon.curl("GET", "/v1/readers").1.contains(#""cardPresent":true"#) && Date() < deadline {
            try await Task.sleep(for: .milliseconds(200))
        }
        // A plain operator commits it: AA passed, no anchor, so verifiedOffline.
        let committed = try daemon.stationctl(
            ["intake", "--can", set.can, "--portrait", portrait.path, "--phone", "0912345678", "--yes", "--json"],
            asGroups: OperatorIdentityTests.operators, timeout: 90)
        #expect(committed.status == 0, "\(committed.output)\n\(daemon.log.suffix(2000))")
        card.stop()
        let line = committed.output.split(separator: "\n").last { $0.hasPrefix("{") }.map(String.init) ?? ""
        let id = try #require(
            try ControlJSON.decoder().decode(IntakeSessionWire.self, from: Data(line.utf8)).applicationID)

        let upload = try daemon.stationctl(["upload", "--wait"], timeout: 90)
        #expect(upload.status == 0, "\(upload.output)")
        let stats = try #require(try receiver.admin("/admin/stats") as? [String: Any])
        #expect(stats["chipVerified"] as? Int == 1, "\(stats)")
        #expect(stats["chipEvidenceRejected"] as? Int == 0, "\(stats)")
        #expect(try receiver.admin("/admin/items") as? [String] == [id])

        #expect(daemon.stop() == 0)
        let queue = try ApplicationQueue(
            configuration: .init(
                databasePath: daemon.directory.path + "/state/queue.sqlite",
                keyFilePath: daemon.directory.path + "/state/queue.key"))
        let stored = try queue.application(try #require(ApplicationID(id)))
        #expect(stored.authenticity == .verifiedOffline)
        let evidence = try #require(stored.chipEvidence)
        #expect(evidence.chipAuthentication == nil)
        let active = try #require(evidence.activeAuthentication)
        #expect(active.challenge.count == 8 && !active.signature.isEmpty && evidence.dg15 != nil)
    }
}
