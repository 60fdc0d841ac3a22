import Foundation
import Intake
import Queue
import StationTestKit
import Testing
import Uplink

/// The queue API the uploader relies on (`Sources/Queue/Operations/UplinkSupport.swift`).
@Suite struct UplinkSupportTests {
    func makeQueue() throws -> (ApplicationQueue, String) {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("support-\(UUID().uuidString)")
            .path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let queue = try ApplicationQueue(
            configuration: .init(
                databasePath: directory + "/q.sqlite", keyFilePath: directory + "/q.key", minimumFreeBytes: 1 << 20))
        return (queue, directory)
    }

    @Test func changesApplyInOneTransactionStepByStepAndReportRefusals() throws {
        let (queue, directory) = try makeQueue()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var ids: [ApplicationID] = []
        for citizen in SampleApplications.citizens(3, start: 90_000) {
            let application = SampleApplications.application(for: citizen, biometricBytes: 1_000)
            try queue.commit(application, by: .system)
            try queue.transition(application.id, to: .init(local: .ready, central: .unknown), by: .system)
            ids.append(application.id)
        }
        let candidates = try queue.uplinkCandidates(in: [.ready], limit: 10)
        #expect(candidates.count == 3 && Set(candidates.map(\.id)) == Set(ids))
        #expect(candidates.allSatisfy { $0.sealedBytes > 1_000 })

        let toUploaded: @Sendable (ApplicationStatus) -> [ApplicationStatus] = { _ in
            [
                .init(local: .batched, central: .unknown), .init(local: .uploaded, central: .received),
                .init(local: .uploaded, central: .accepted),
            ]
        }
        // ready → accepted directly is not in the table: the third change stops at its first step.
        let outcome = try queue.applyUplinkChanges(
            [
                UplinkChange(id: ids[0], action: "test", steps: toUploaded),
                UplinkChange(id: ids[1], action: "test", steps: toUploaded),
                UplinkChange(id: ids[2], action: "test") { _ in [.init(local: .uploaded, central: .accepted)] },
                UplinkChange(id: ApplicationID(), action: "test", steps: toUploaded),
            ], by: .system)
        #expect(outcome.changed == [ids[0], ids[1]])
        #expect(outcome.refusals.count == 2 && outcome.refusals[ids[2]] != nil)
        #expect(try queue.status(of: ids[0]) == .init(local: .uploaded, central: .accepted))
        #expect(try queue.status(of: ids[2]) == .init(local: .ready, central: .unknown))
        #expect(try queue.auditTrail(for: ids[0]).suffix(3).map(\.action) == ["test", "test", "test"])
        #expect(Set(try queue.uplinkOpenApplications(limit: 10)) == [ids[0], ids[1]])

        // An officer may not record central states: the whole call is refused, nothing written.
        #expect(throws: QueueError.self) {
            try queue.applyUplinkChanges(
                [
                    UplinkChange(id: ids[2], action: "test") { _ in [.init(local: .batched, central: .unknown)] },
                    UplinkChange(id: ids[0], action: "test") { _ in [.init(local: .uploaded, central: .activated)] },
                ], by: .officer(OperatorID("op")))
        }
        #expect(try queue.status(of: ids[2]) == .init(local: .ready, central: .unknown))
        #expect(try queue.verifyAudit().isIntact)
    }

    @Test func stationKeyIsCreatedOwnerOnlyAndRefusedWhenOthersCanReadIt() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("keys-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let first = try StationCredentials.load(directory: directory, stationID: "s1")
        let mode =
            try FileManager.default.attributesOfItem(atPath: directory + "/station.key")[.posixPermissions] as? Int
        #expect(mode == 0o600)
        #expect(first.centralKey == nil)
        // Same key on the next start.
        #expect(
            try StationCredentials.load(directory: directory, stationID: "s1").keyFingerprint == first.keyFingerprint)
        chmod(directory + "/station.key", 0o644)
        #expect(throws: UplinkError.self) { try StationCredentials.load(directory: directory, stationID: "s1") }
    }
}
