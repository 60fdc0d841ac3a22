import CentralAPI
import ControlAPI
import Foundation
import Intake
import Queue
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

    @Test(.timeLimit(.minutes(10))) func theActiveAuthenticationTranscriptTravelsAndVerifies() async throws {
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

        // A plain operator commits it: AA passed, no anchor, so verifiedOffline.
        let id = try await operatorIntake(
            "nguyen-van-an.json", extra: ["--active-authentication-only"], daemon: daemon, harness: harness,
            portrait: portrait)

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
