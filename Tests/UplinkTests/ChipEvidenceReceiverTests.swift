import CentralAPI
import ChipID
import Foundation
import Intake
import Queue
import Simulation
import StationTestKit
import Testing
import Uplink

/// Issue 17: the real `central-receiver` (holding the TEST CSCA) against packets crafted here, uploaded by the real
/// uploader: the chip evidence is the simulated CCCD's files (EF.SOD signed by the TEST DS; DG15 offers Active
/// Authentication), with or without a transcript, under the verdict the station claims.
@Suite(.serialized) struct ChipEvidenceReceiverTests {
    static let cards = LivePCSC.packageRoot.appendingPathComponent("Devices/cards")

    /// The card's files as read: EF.SOD, DG1, DG13, DG15 (no transcript).
    static func evidence() throws -> ChipEvidence {
        let citizen = try CitizenDataSet.load(cards.appendingPathComponent("nguyen-van-an.json"))
        let files = try SimulatedCCCD.build(citizen, pkiDirectory: cards.appendingPathComponent("pki"))
        let sod = try #require(files[.sod])
        let dg1 = try #require(files[.dg(1)])
        return ChipEvidence(
            sod: Data(sod), dg1: Data(dg1), dg13: files[.dg(13)].map { Data($0) },
            dg14: files[.dg(14)].map { Data($0) }, dg15: files[.dg(15)].map { Data($0) })
    }

    static func receiver(_ citizens: [SampleApplications.Citizen]) throws -> ReceiverProcess {
        try ReceiverProcess(
            citizens: citizens, flags: ["--trust", cards.appendingPathComponent("pki/trust").path])
    }

    /// Commits `application` as ready at `station`.
    static func commit(_ application: Application, at station: StationFixture) throws -> ApplicationID {
        try station.queue.commit(application, by: .system)
        try station.queue.transition(
            application.id, to: ApplicationStatus(local: .ready, central: .unknown), by: .system)
        return application.id
    }

    /// A verdict that claims the anti-clone proof ran (`genuine`, `verifiedOffline`) with no transcript is refused
    /// with `CHIP_EVIDENCE_INVALID`, though Passive Authentication alone passes; an `unconfirmed` verdict a
    /// supervisor accepted (no transcript, by definition) is stored and counted as passive-only, not chipVerified.
    @Test(.timeLimit(.minutes(2))) func aMissingTranscriptIsRefusedUnlessTheVerdictSaysItDidNotRun() async throws {
        let citizens = SampleApplications.citizens(3)
        let receiver = try Self.receiver(citizens)
        let station = try await StationFixture(receiver: receiver)
        let evidence = try Self.evidence()
        #expect(evidence.dg15 != nil)
        func application(_ index: Int, _ verdict: AuthenticityVerdict) -> Application {
            var application = SampleApplications.application(for: citizens[index], seed: index)
            application.authenticity = verdict
            application.chipEvidence = evidence
            return application
        }
        let genuine = try Self.commit(application(0, .genuine), at: station)
        let offline = try Self.commit(application(1, .verifiedOffline), at: station)
        var accepted = application(2, .unconfirmed)
        accepted.authenticityOverride = SupervisorOverride(
            supervisor: OperatorID("sup-01"), reason: "chip answered no anti-clone check")
        let unconfirmed = try Self.commit(accepted, at: station)

        let uploader = try station.uploader(receiver)
        _ = try await uploader.drain(until: Date().addingTimeInterval(60))
        #expect(try await receiver.items() == [unconfirmed.text])
        let stats = try await receiver.stats()
        #expect(stats.chipVerified == 0 && stats.chipEvidenceRejected == 2 && stats.chipPassiveOnly == 1)
        for refused in [genuine, offline] {
            #expect(try station.queue.status(of: refused).local == .needsAttention)
            #expect(
                try station.queue.auditTrail(for: refused).contains {
                    $0.action == "upload_refused" && $0.reasonCode == "CHIP_EVIDENCE_INVALID"
                })
        }
        #expect(try station.queue.status(of: unconfirmed).local == .uploaded)
        // The status sync carries the figures to the station.
        try await uploader.syncStatus()
        let figures = SyncRecord(directory: station.directory).read()?.chipEvidence
        #expect(figures == ChipEvidenceFigures(chipVerified: 0, chipEvidenceRejected: 2, chipPassiveOnly: 1))
    }
}
