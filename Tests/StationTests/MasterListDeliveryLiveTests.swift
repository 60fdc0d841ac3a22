import ControlAPI
import Foundation
import Queue
import Simulation
import StationTestKit
import Testing

/// Issue 17 item 5 through pcscd → vpcd → the simulated CCCD → the daemon → the real `central-receiver`: the station
/// has no CSCA, so an operator's read is `verifiedOffline`; the central's status answer delivers the test master
/// list, signed with the central's key the station pinned; a tampered list or one of an unknown format is refused
/// (nothing loaded, audited, shown in the status); the signed list is installed and the next read is `genuine`,
/// without a restart.
@Suite(.serialized)
struct MasterListDeliveryLiveTests {
    let lease: LivePCSC.Lease
    var harness: PCSCHarness { lease.harness }
    init() async throws { lease = try await LivePCSC.acquire() }

    @Test(.timeLimit(.minutes(10))) func aDeliveredMasterListTurnsTheNextReadGenuine() async throws {
        let root = LivePCSC.packageRoot
        let pki = root.appendingPathComponent("Devices/cards/pki")
        let masterList = pki.appendingPathComponent("masterlist-TEST-ONLY.ml")
        let (receiver, daemon) = try DaemonUnderTest.stationWithoutCSCA(name: "masterlist", harness: harness)
        defer { _ = daemon.stop() }
        let portrait = daemon.directory.appendingPathComponent("portrait.jpg")
        try IntakeLiveTests.syntheticJPEG(width: 480, height: 640).write(to: portrait)

        func deliver(_ file: URL, tampered: Bool = false) throws {
            let result = try runTool(
                "/usr/bin/curl",
                [
                    "-s", "--fail", "--max-time", "10", "-X", "POST", "--data-binary", "@" + file.path,
                    receiver.baseURL + "/admin/masterlist" + (tampered ? "?tampered=1" : ""),
                ])
            #expect(result.status == 0, "\(result.output)")
        }
        func status() throws -> StationStatus {
            try ControlJSON.decoder().decode(
                StationStatus.self, from: Data(try daemon.stationctl(["status", "--json"]).output.utf8))
        }
        func syncStatus() throws {
            let run = try daemon.stationctl(["upload", "--wait"], timeout: 90)
            #expect(run.status == 0, "\(run.output)\n\(daemon.log.suffix(2000))")
        }
        /// An operator's intake of the card: the verdict it committed with.
        func intake(_ dataSet: String) async throws -> String {
            let id = try await operatorIntake(dataSet, daemon: daemon, harness: harness, portrait: portrait)
            let shown = try daemon.stationctl(["queue", "show", id, "--json"])
            return try ControlJSON.decoder().decode(ApplicationDetailWire.self, from: Data(shown.output.utf8))
                .authenticity
        }

        #expect(try await intake("nguyen-van-an.json") == "verifiedOffline")
        #expect(try status().trustAnchors == 0)

        // A list altered after the central signed it: refused, nothing loaded.
        try deliver(masterList, tampered: true)
        try syncStatus()
        var now = try status()
        #expect(now.uplink.masterListRefused == "trust.masterlist_signature_invalid", "\(now.uplink)")
        #expect(now.trustAnchors == 0 && (now.trustSources ?? []).isEmpty, "\(String(describing: now.trustSources))")
        // Signed by the central but not a master list (a bare certificate): refused, nothing loaded.
        try deliver(pki.appendingPathComponent("csca-TEST-ONLY.cert.der"))
        try syncStatus()
        try syncStatus()  // delivered again at the next sync: still refused, audited once
        now = try status()
        #expect(now.uplink.masterListRefused == "trust.masterlist_unknown_format", "\(now.uplink)")
        #expect(now.trustAnchors == 0)
        #expect(try await intake("pham-van-duc-no-expiry.json") == "verifiedOffline")

        // The list as the central signed it: installed beside the configured anchors, the next read is genuine.
        try deliver(masterList)
        try syncStatus()
        now = try status()
        #expect(now.uplink.masterListRefused == nil)
        #expect(now.trustAnchors == 1)
        let source = try #require(now.trustSources?.first { $0.origin == .central })
        #expect(source.certificates == 1 && source.countries == ["VN"], "\(source)")
        let shown = try daemon.stationctl(["status", "--lang", "en"]).output
        #expect(shown.contains("delivered by the central: delivered.ml"), "\(shown)")
        #expect(FileManager.default.fileExists(atPath: daemon.directory.path + "/state/trust/delivered.ml"))
        #expect(try await intake("cong-ton-nu-long-name.json") == "genuine")

        #expect(daemon.stop() == 0)
        let queue = try ApplicationQueue(
            configuration: .init(
                databasePath: daemon.directory.path + "/state/queue.sqlite",
                keyFilePath: daemon.directory.path + "/state/queue.key"))
        let trail = try queue.auditTrail(for: nil)
        #expect(
            trail.filter { $0.action == "trust_list_refused" }.map(\.reasonCode)
                == ["trust.masterlist_signature_invalid", "trust.masterlist_unknown_format"])
        #expect(trail.filter { $0.action == "trust_list_installed" }.count == 1)
    }
}
