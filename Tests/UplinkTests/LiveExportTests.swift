import CentralAPI
import Foundation
import Intake
import Queue
import StationTestKit
import Testing
import Uplink

@Suite(.serialized) struct LiveExportTests {
    /// Export → import → status sync; exporting twice and importing twice (over HTTP and by the CLI) still
    /// stores each application exactly once.
    @Test(.timeLimit(.minutes(3))) func exportImportRoundTripIsIdempotent() async throws {
        let citizens = SampleApplications.citizens(25, start: 40_000)
        let receiver = try ReceiverProcess(citizens: citizens)
        let station = try await StationFixture(receiver: receiver)
        let ids = try station.addReady(citizens, biometricBytes: 4_000)
        let media = station.directory + "/usb"
        let exporter = Exporter(queue: station.queue, credentials: station.credentials)
        let first = try exporter.export(to: media, batchSize: 10)
        #expect(first.items == ids.count && first.folders.count == 3)
        #expect(try station.statuses(ids).allSatisfy { $0 == .init(local: .exported, central: .unknown) })
        let second = try exporter.export(to: media, batchSize: 10)
        #expect(second.items == 0 && second.folders.isEmpty)

        for _ in 0..<2 {
            let data = try await receiver.client.send("POST", "/admin/import", body: Data(media.utf8), headers: [])
            let results = try CanonicalEncoding.decode([ItemResult].self, from: data)
            #expect(results.count == ids.count && results.allSatisfy { $0.outcome == .received })
        }
        let cli = try runTool(
            try Binaries.path("central-receiver"),
            ["import", "--data", receiver.directory.appendingPathComponent("central").path, media], timeout: 30)
        #expect(cli.status == 0, "\(cli.output)")
        #expect(cli.output.contains("imported \(ids.count) items: 0 new"))
        let stored = try await receiver.items()
        #expect(stored.count == ids.count && Set(stored) == Set(ids.map(\.text)))

        try await Task.sleep(for: .milliseconds(400))
        let uploader = try station.uploader(receiver)
        #expect(try await uploader.syncStatus() == ids.count)
        #expect(try station.statuses(ids).allSatisfy { $0.local == .uploaded && $0.central != .unknown })

        // A tampered export folder is refused as a whole.
        let tamperedMedia = station.directory + "/usb2"
        let more = SampleApplications.citizens(2, start: 41_000)
        try station.addReady(more)
        let third = try exporter.export(to: tamperedMedia)
        let manifestPath = try #require(third.folders.first) + "/" + ExportLayout.manifest
        var manifest = try Data(contentsOf: URL(fileURLWithPath: manifestPath))
        manifest[manifest.count - 3] ^= 0x01
        try manifest.write(to: URL(fileURLWithPath: manifestPath))
        let refused = try runTool(
            try Binaries.path("central-receiver"),
            ["import", "--data", receiver.directory.appendingPathComponent("central").path, tamperedMedia], timeout: 30)
        #expect(refused.status != 0)
        #expect(try await receiver.items().count == ids.count)
    }

    /// The freeze evaluator with a real queue: intake refused past the pending limit, allowed again after an
    /// export brings the count back under it.
    @Test(.timeLimit(.minutes(3))) func freezeRulesLiftAfterExport() async throws {
        let citizens = SampleApplications.citizens(5, start: 50_000)
        let receiver = try ReceiverProcess(citizens: citizens)
        let station = try await StationFixture(receiver: receiver)
        let rules = FreezeRules(maxDaysWithoutSync: 7, maxPendingApplications: 5, minFreeBytes: 1)
        func violations() throws -> [String] {
            rules.evaluate(
                .gather(
                    pendingApplications: FreezeRules.pending(in: try station.queue.summary()),
                    stateDirectory: station.directory, storeDirectory: station.directory)
            ).map(\.code)
        }
        try station.addReady(Array(citizens.prefix(4)))
        #expect(try violations().isEmpty)
        try station.addReady(Array(citizens.suffix(1)))
        #expect(try violations() == ["freeze.too_many_pending"])
        _ = try Exporter(queue: station.queue, credentials: station.credentials).export(to: station.directory + "/usb")
        #expect(try violations().isEmpty)
    }
}
