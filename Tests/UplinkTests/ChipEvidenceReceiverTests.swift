import CentralAPI
import CentralEvidence
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

    /// The DS certificate travels once per batch: each packet's EF.SOD goes without its certificate set and names
    /// it by SHA-256; the manifest carries it once. Taken out and put back, the SOD is byte for byte EF.SOD as read
    /// and the check gives the same outcome as on the whole SOD.
    @Test func theSODWithoutItsCertificateVerifiesTheSameOnceItIsPutBack() throws {
        let evidence = try Self.evidence()
        let (detached, certificate) = DSCertificateSharing.detach(evidence)
        let der = try #require(certificate)
        #expect(detached.sod.count + der.count < evidence.sod.count)
        #expect(detached.dsCertificateSHA256 == DSCertificateSharing.sha256(der))
        #expect(try DetachedSOD.attach([UInt8](der), to: [UInt8](detached.sod)) == [UInt8](evidence.sod))
        let check = ChipEvidenceCheck(
            trustList: try CSCATrustList.load(folder: Self.cards.appendingPathComponent("pki/trust")))
        #expect(check.check(evidence, claimed: .unconfirmed) == .passiveOnly)
        #expect(
            check.check(detached, claimed: .unconfirmed) { $0 == detached.dsCertificateSHA256 ? der : nil }
                == .passiveOnly)
        // The SOD alone no longer names a certificate the check can use.
        #expect(check.check(detached, claimed: .unconfirmed) == .unknownCertificate(DSCertificateSharing.sha256(der)))
        var bare = detached
        bare.dsCertificateSHA256 = nil
        #expect(check.check(bare, claimed: .unconfirmed) != .passiveOnly)
        // Another certificate under the hash is not taken.
        #expect(
            check.check(detached, claimed: .unconfirmed) { _ in der.dropLast() }
                == .unknownCertificate(DSCertificateSharing.sha256(der)))
        // A batch's certificates, each once.
        #expect(DSCertificateSharing.distinct([der, nil, der]) == [der])
        #expect(DSCertificateSharing.distinct([nil]) == nil)
    }

    /// Online and on removable media: the manifest carries each DS certificate once; a packet naming a certificate
    /// no manifest brought is refused with `DS_CERTIFICATE_UNKNOWN` (the station shows needsAttention with it).
    @Test(.timeLimit(.minutes(2))) func theCertificateTravelsOncePerBatchAndAnUnknownOneIsRefused() async throws {
        let citizens = SampleApplications.citizens(5, start: 50_000)
        let receiver = try Self.receiver(citizens)
        let station = try await StationFixture(receiver: receiver)
        let evidence = try Self.evidence()
        func application(_ index: Int, _ evidence: ChipEvidence) -> Application {
            var application = SampleApplications.application(for: citizens[index], seed: index)
            application.authenticity = .unconfirmed
            application.authenticityOverride = SupervisorOverride(supervisor: OperatorID("sup-01"), reason: "no AA")
            application.chipEvidence = evidence
            return application
        }
        // Packaged, the certificate leaves the envelope and goes to the manifest, once for the batch.
        let packaged = try [0, 1].map {
            try Packager.package(application($0, evidence), credentials: station.credentials)
        }
        #expect(PackagedItem.dsCertificates(packaged)?.count == 1)
        let whole = try Packager.package(
            {
                var plain = application(0, evidence)
                plain.chipEvidence = nil
                return plain
            }(),
            credentials: station.credentials)
        let certificate = try #require(packaged[0].dsCertificate)
        print(
            "DS certificate \(certificate.count) B once per batch; envelope with evidence "
                + "\(packaged[0].envelope.count) B, "
                + "without \(whole.envelope.count) B")

        let sent = try [0, 1].map { try Self.commit(application($0, evidence), at: station) }
        // Evidence that already names a certificate is sent as it is: no manifest brings that one.
        var orphan = DSCertificateSharing.detach(evidence).evidence
        orphan.dsCertificateSHA256 = String(repeating: "0", count: 64)
        let unknown = try Self.commit(application(2, orphan), at: station)
        _ = try await station.uploader(receiver).drain(until: Date().addingTimeInterval(60))
        #expect(Set(try await receiver.items()) == Set(sent.map(\.text)))
        var stats = try await receiver.stats()
        #expect(stats.chipPassiveOnly == 2 && stats.chipEvidenceRejected == 1)
        #expect(try station.queue.status(of: unknown).local == .needsAttention)
        #expect(
            try station.queue.auditTrail(for: unknown).contains {
                $0.action == "upload_refused" && $0.reasonCode == "DS_CERTIFICATE_UNKNOWN"
            })

        // Exported to removable media: the signed manifest carries the certificate; the import verifies the same.
        let exported = try [3, 4].map { try Self.commit(application($0, evidence), at: station) }
        let media = station.directory + "/usb"
        let report = try Exporter(queue: station.queue, credentials: station.credentials).export(to: media)
        let folder = try #require(report.folders.first)
        let manifest = try CanonicalEncoding.decode(
            ExportManifest.self,
            from: try Data(contentsOf: URL(fileURLWithPath: folder + "/" + ExportLayout.manifest)))
        #expect(manifest.batch.dsCertificates == [certificate])
        let data = try await receiver.client.send("POST", "/admin/import", body: Data(media.utf8), headers: [])
        let results = try CanonicalEncoding.decode([ItemResult].self, from: data)
        #expect(results.count == 2 && results.allSatisfy { $0.outcome == .received }, "\(results)")
        #expect(Set(try await receiver.items()) == Set((sent + exported).map(\.text)))
        stats = try await receiver.stats()
        #expect(stats.chipPassiveOnly == 4 && stats.chipEvidenceRejected == 1)
    }

    /// The status sync answers each station with its own figures, not the receiver's totals.
    @Test(.timeLimit(.minutes(2))) func eachStationGetsItsOwnFigures() async throws {
        let citizens = SampleApplications.citizens(3, start: 60_000)
        let receiver = try Self.receiver(citizens)
        let first = try await StationFixture(receiver: receiver)
        let second = try await StationFixture(receiver: receiver, token: "\(receiver.token)-1")
        let evidence = try Self.evidence()
        func application(_ index: Int, _ verdict: AuthenticityVerdict) -> Application {
            var application = SampleApplications.application(for: citizens[index], seed: index)
            application.authenticity = verdict
            if verdict == .unconfirmed {
                application.authenticityOverride = SupervisorOverride(
                    supervisor: OperatorID("sup-01"), reason: "no AA")
            }
            application.chipEvidence = evidence
            return application
        }
        _ = try Self.commit(application(0, .unconfirmed), at: first)
        _ = try Self.commit(application(1, .genuine), at: first)  // no transcript: refused
        _ = try Self.commit(application(2, .unconfirmed), at: second)
        for station in [first, second] {
            let uploader = try station.uploader(receiver)
            _ = try await uploader.drain(until: Date().addingTimeInterval(60))
        }
        let stats = try await receiver.stats()
        #expect(stats.chipPassiveOnly == 2 && stats.chipEvidenceRejected == 1, "the receiver's totals")
        for station in [first, second] { try await station.uploader(receiver).syncStatus() }
        #expect(
            SyncRecord(directory: first.directory).read()?.chipEvidence
                == ChipEvidenceFigures(chipVerified: 0, chipEvidenceRejected: 1, chipPassiveOnly: 1))
        #expect(
            SyncRecord(directory: second.directory).read()?.chipEvidence
                == ChipEvidenceFigures(chipVerified: 0, chipEvidenceRejected: 0, chipPassiveOnly: 1))
    }
}
