import CentralAPI
import ControlAPI
import Foundation
import Intake
import Queue
import Simulation
import StationTestKit
import Testing

/// Issue 17 items 3–4 through pcscd → vpcd → the simulated CCCD → the daemon → the real `central-receiver`: the
/// station has no CSCA (operators commit `verifiedOffline`); the receiver holds the TEST CSCA and re-verifies each
/// packet's chip evidence: the card it can chain is `chipVerified`; one signed under another CSCA is refused with
/// `CHIP_EVIDENCE_INVALID` and shows at the station as needsAttention with that reason.
@Suite(.serialized)
struct ChipEvidenceLiveTests {
    let lease: LivePCSC.Lease
    var harness: PCSCHarness { lease.harness }
    init() async throws { lease = try await LivePCSC.acquire() }

    @Test(.timeLimit(.minutes(10))) func theReceiverReverifiesTheChipEvidence() async throws {
        let root = LivePCSC.packageRoot
        let pki = root.appendingPathComponent("Devices/cards/pki")
        let (receiver, daemon) = try DaemonUnderTest.stationWithoutCSCA(name: "chip-evidence", harness: harness)
        defer { _ = daemon.stop() }
        let portrait = daemon.directory.appendingPathComponent("portrait.jpg")
        try IntakeLiveTests.syntheticJPEG(width: 480, height: 640).write(to: portrait)

        func intake(_ dataSet: String, _ extra: [String]) async throws -> String {
            try await operatorIntake(dataSet, extra: extra, daemon: daemon, harness: harness, portrait: portrait)
        }
        let verified = try await intake("nguyen-van-an.json", [])
        let foreign = try await intake(
            "pham-van-duc-no-expiry.json", ["--pki", pki.appendingPathComponent("untrusted-csca").path])

        // The refused item makes the run end non-zero; the figures below are what matters.
        _ = try daemon.stationctl(["upload", "--wait"], timeout: 90)
        let stats = try #require(try receiver.admin("/admin/stats") as? [String: Any])
        #expect(stats["chipVerified"] as? Int == 1, "\(stats)")
        #expect(stats["chipEvidenceRejected"] as? Int == 1, "\(stats)")
        #expect(try receiver.admin("/admin/items") as? [String] == [verified])
        // The status sync carries the receiver's figures to the station (`stationctl status`, `/v1/status`).
        let status = try ControlJSON.decoder().decode(
            StationStatus.self, from: Data(try daemon.stationctl(["status", "--json"]).output.utf8))
        #expect(status.uplink.chipVerified == 1 && status.uplink.chipEvidenceRejected == 1, "\(status.uplink)")
        let shown = try daemon.stationctl(["status", "--lang", "en"]).output
        #expect(shown.contains("Chip evidence at the central: 1 verified, 1 rejected"), "\(shown)")

        let page = try ControlJSON.decoder().decode(
            QueuePageWire.self, from: Data(try daemon.stationctl(["queue", "ls", "--json"]).output.utf8))
        #expect(page.items.first { $0.id == foreign }?.local == "needsAttention", "\(page.items)")
        #expect(page.items.first { $0.id == verified }?.local == "uploaded", "\(page.items)")
        #expect(daemon.stop() == 0)
        let queue = try ApplicationQueue(
            configuration: .init(
                databasePath: daemon.directory.path + "/state/queue.sqlite",
                keyFilePath: daemon.directory.path + "/state/queue.key"))
        let trail = try queue.auditTrail(for: ApplicationID(foreign))
        #expect(trail.contains { $0.action == "upload_refused" && $0.reasonCode == "CHIP_EVIDENCE_INVALID" })
        let stored = try queue.application(try #require(ApplicationID(verified)))
        #expect(stored.chipEvidence?.chipAuthentication != nil && stored.chipEvidence?.dg13 != nil)
        // Figure (issue 17 bench): what the evidence adds to the compressed payload (the test's portrait is a
        // synthetic, highly compressible JPEG: see the report for the share on a real 39 KB application).
        var bare = stored
        bare.chipEvidence = nil
        let with = try Deflate.compress(try CanonicalEncoding.encode(stored)).count
        let without = try Deflate.compress(try CanonicalEncoding.encode(bare)).count
        print("chip evidence: +\(with - without) bytes compressed per application (\(without) → \(with))")
        #expect(with > without)
    }
}
