import CentralAPI
import CentralEvidence
import ChipID
import Crypto
import Foundation
import Intake
import Queue
import Simulation
import Station
import StationTestKit
import Uplink

/// `station-bench evidence`: the three figures issue 17 names for the chip evidence (EF.SOD, DG1, DG13, DG14,
/// DG15 and the CA/AA transcript), each against a floor measured in the same run:
/// bytes per application on the wire with and without it (goal ≤ 1.05×), the time it adds to a commit (goal
/// ≤ 2 ms), and the receiver's re-verification rate on one core (goal ≥ 200 packets/s).
enum EvidenceBench {
    static func run(commits: Int = 200) async throws {
        print("== Chip evidence (issue 17): wire bytes, commit time, receiver re-verification")
        let root = LivePCSC.packageRoot
        let trust = try CSCATrustList.load(folder: root.appendingPathComponent("Devices/cards/pki/trust"))
        let evidence = try await readEvidence(
            dataset: root.appendingPathComponent("Devices/cards/nguyen-van-an.json"), trust: trust)
        // The queue benchmark's application: two ~15 KB fingerprint records, a ~12 KB live portrait, 6 KB chip
        // portrait (incompressible, like real WSQ/JPEG).
        let plain = SampleApplications.application(
            for: SampleApplications.citizens(1)[0], biometricBytes: 30_000)
        var withEvidence = plain
        withEvidence.chipEvidence = evidence
        // The ratio depends on the application's size: also the kit's default (~20 KB of fingerprint records, the
        // ~39 KB application of the earlier upload figure).
        let small = SampleApplications.application(for: SampleApplications.citizens(1)[0])
        var smallWithEvidence = small
        smallWithEvidence.chipEvidence = evidence
        print("-- application with ~20 KB of fingerprint records")
        try wireBytes(plain: small, withEvidence: smallWithEvidence, evidence: evidence, parts: false)
        print("-- application with ~30 KB of fingerprint records (the queue benchmark's)")
        try wireBytes(plain: plain, withEvidence: withEvidence, evidence: evidence, parts: true)
        try commitTime(plain: plain, withEvidence: withEvidence, commits: commits)
        try verificationRate(evidence: evidence, trust: trust)
    }

    /// A full authenticated read of the simulated CCCD in this process (PACE-CAN, PA, Chip Authentication), mapped
    /// to the evidence the station sends exactly as intake does (`ChipEvidence(read:)`).
    static func readEvidence(dataset: URL, trust: CSCATrustList) async throws -> ChipEvidence {
        let parts = try SimulatedCCCD.make(dataSet: dataset)
        var reader = ChipReader(transport: DirectCardTransport(card: parts.card))
        reader.files = [.com, .dg(1), .dg(2), .dg(13), .dg(14), .dg(15), .sod]
        reader.authentication = AuthenticationOptions(trustList: trust)
        let read = try await reader.read(key: try AccessKey.can(digits: "012345"))
        guard let evidence = ChipEvidence(read: read) else { throw HarnessError("the simulated card gave no EF.SOD") }
        return evidence
    }

    /// The envelope as the uploader packages it (`Packager.package`: EF.SOD without its DS certificate, then
    /// canonical encoding → zlib → Ed25519 → HPKE): its size is what one application costs on the wire (the manifest
    /// entry and HTTP framing are the same with or without). The DS certificate goes once per batch in the manifest:
    /// its share per application is printed for a batch of the default size and for a batch of one; and, for
    /// comparison, the envelope with EF.SOD whole (the certificate in every packet, before).
    static func wireBytes(plain: Application, withEvidence: Application, evidence: ChipEvidence, parts: Bool) throws {
        let credentials = try benchCredentials()
        let without = try Packager.package(plain, credentials: credentials).envelope.count
        let packaged = try Packager.package(withEvidence, credentials: credentials)
        let with = packaged.envelope.count
        let certificate = packaged.dsCertificate?.count ?? 0
        let whole = try ItemEnvelope.seal(
            CanonicalEncoding.encode(withEvidence), application: withEvidence.id.text,
            station: credentials.stationID, signingKey: credentials.signingKey, centralKey: credentials.centralKey!
        ).count
        let batch = BatchPolicy().maxCount
        let ratio = Double(with) / Double(without)
        func times(_ bytes: Double) -> String { String(format: "%.3f×", bytes / Double(without)) }
        print(
            "wire bytes per application: without evidence \(without) B, with \(with) B: +\(with - without) B = "
                + String(format: "%.3f× (goal ≤ 1.05×)", ratio) + (ratio > 1.05 ? "  ABOVE THE GOAL" : "")
                + "; the DS certificate (\(certificate) B, once per batch in the manifest): "
                + "\(times(Double(with) + Double(certificate) / Double(batch))) in a batch of \(batch) (the default), "
                + "\(times(Double(with + certificate))) in a batch of one; "
                + "before (EF.SOD whole in every packet): \(whole) B = \(times(Double(whole)))")
        guard parts else { return }
        // What the evidence is made of, each part alone raw and zlib'd (parts compress a little better together).
        let detached = DSCertificateSharing.detach(evidence)
        var pieces: [(String, Data)] = [("EF.SOD", evidence.sod)]
        if let certificate = detached.certificate {
            pieces += [("EF.SOD without its DS certificate", detached.evidence.sod), ("DS certificate", certificate)]
        }
        pieces.append(("DG1", evidence.dg1))
        if let dg13 = evidence.dg13 { pieces.append(("DG13", dg13)) }
        if let dg14 = evidence.dg14 { pieces.append(("DG14", dg14)) }
        if let dg15 = evidence.dg15 { pieces.append(("DG15", dg15)) }
        if let ca = evidence.chipAuthentication {
            pieces.append(
                ("CA transcript", ca.terminalPrivateKey + ca.terminalPublicKey + ca.protectedResponse + ca.responseSSC))
        }
        if let aa = evidence.activeAuthentication { pieces.append(("AA transcript", aa.challenge + aa.signature)) }
        let described = try pieces.map { name, bytes in
            "\(name) \(bytes.count) B (zlib \(try Deflate.compress(bytes).count))"
        }
        print("  evidence parts, raw: " + described.joined(separator: ", ") + " (DG2 is not sent)")
    }

    /// Station credentials as enrollment leaves them (a fresh key pair, a central encryption key), in a folder
    /// under `.build/station-bench`: what `Packager.package` needs.
    static func benchCredentials() throws -> StationCredentials {
        struct Enrollment: Codable {
            var stationID: String
            var centralKey: Data
        }
        let directory = LivePCSC.packageRoot.appendingPathComponent(".build/station-bench/credentials-\(getpid())")
            .path
        try? FileManager.default.removeItem(atPath: directory)
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let enrollment = Enrollment(
            stationID: "bench-station", centralKey: Curve25519.KeyAgreement.PrivateKey().publicKey.rawRepresentation)
        try CanonicalEncoding.encode(enrollment).write(to: URL(fileURLWithPath: directory + "/enrollment.json"))
        return try StationCredentials.load(directory: directory, stationID: "bench-station")
    }

    /// `ApplicationQueue.commit` (synchronous=FULL) in a temporary store, alternating an application without and
    /// with evidence so both see the same store and the same disk.
    static func commitTime(plain: Application, withEvidence: Application, commits: Int) throws {
        let directory = LivePCSC.packageRoot.appendingPathComponent(".build/station-bench/evidence-\(getpid())").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let queue = try ApplicationQueue(
            configuration: ApplicationQueue.Configuration(
                databasePath: directory + "/bench.sqlite", keyFilePath: directory + "/bench.key",
                minimumFreeBytes: 64 << 20))
        let citizens = SampleApplications.citizens(2 * commits + 20)
        func commit(_ template: Application, _ index: Int) throws -> Double {
            var application = template
            application.id = ApplicationID()
            application.identity.idNumber = CitizenID(citizens[index].idNumber)!
            application.capturedAt = Date()
            let start = now()
            _ = try queue.commit(application, by: .system)
            return now() - start
        }
        for i in 0..<10 { _ = try commit(i % 2 == 0 ? plain : withEvidence, i) }  // warm up
        var without: [Double] = []
        var with: [Double] = []
        for i in 0..<commits {
            without.append(try commit(plain, 20 + 2 * i))
            with.append(try commit(withEvidence, 21 + 2 * i))
        }
        let a = Statistics(without)
        let b = Statistics(with)
        func ms(_ seconds: Double) -> String { String(format: "%.2f ms", seconds * 1000) }
        let added = b.median - a.median
        print(
            "commit ×\(commits) each (synchronous=FULL): without evidence p50 \(ms(a.median)) p99 \(ms(a.p99)); "
                + "with p50 \(ms(b.median)) p99 \(ms(b.p99)); evidence adds \(ms(added)) at p50, "
                + "\(ms(b.p99 - a.p99)) at p99 (goal ≤ 2 ms)" + (added > 0.002 ? "  ABOVE THE GOAL" : ""))
    }

    /// The receiver's check (`CentralEvidence`'s `ChipEvidenceCheck`, as `central-receiver` runs it, with the test
    /// CSCA trust list) on one packet's evidence as sent (its DS certificate put back first), one core; floor:
    /// Passive Authentication alone on the files as read.
    static func verificationRate(evidence: ChipEvidence, trust: CSCATrustList) throws {
        let check = ChipEvidenceCheck(trustList: trust)
        let inputs = ChipEvidenceCheck.Inputs(evidence)
        // As the packet carries it: EF.SOD without its DS certificate, put back from the batch's certificates.
        let (sent, certificate) = DSCertificateSharing.detach(evidence)
        let certificates = Dictionary(
            uniqueKeysWithValues: [certificate].compactMap { $0 }.map { (DSCertificateSharing.sha256($0), $0) })
        func verify() -> ChipEvidenceCheck.Outcome { check.check(sent, claimed: .genuine) { certificates[$0] } }
        guard verify() == .chipVerified else { throw HarnessError("the evidence does not verify") }
        func rate(seconds: Double = 2, _ body: () throws -> Void) rethrows -> Double {
            for _ in 0..<5 { try body() }
            var count = 0
            let start = now()
            while now() - start < seconds {
                try body()
                count += 1
            }
            return Double(count) / (now() - start)
        }
        let full = rate { _ = verify() }
        let passive = try rate { _ = try PassiveAuthentication.verify(files: inputs.files, trustList: trust) }
        print(
            String(
                format: "receiver re-verification (PA + %@ transcript, one core): %.0f packets/s = %.2f ms each "
                    + "(goal ≥ 200/s)%@; floor, Passive Authentication alone: %.0f/s = %.2f ms",
                inputs.chipAuthentication != nil ? "CA" : inputs.activeAuthentication != nil ? "AA" : "no", full,
                1000 / full,
                full < 200 ? "  BELOW THE GOAL" : "", passive, 1000 / passive))
    }
}
