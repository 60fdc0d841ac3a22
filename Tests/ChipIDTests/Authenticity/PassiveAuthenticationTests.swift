import Foundation
import Testing

@testable import ChipID

@Suite("Passive Authentication: EF.SOD parsing, signature, data-group hashes (BSI TR-03105-5)")
struct PassiveAuthenticationTests {
    @Test("EF.SOD parses: v0 LDSSecurityObject, SHA-256, the five published hashes, RSA-PSS signer")
    func parsesSOD() throws {
        guard let files = AuthenticityFixtures.bsiFiles, let sodBytes = files[.sod] else { return }
        let sod = try SecurityObject(sodBytes)
        #expect(sod.version == 0)
        #expect(sod.hashAlgorithm == .sha256)
        #expect(sod.ldsVersion == nil)
        #expect(sod.dataGroupHashes.count == AuthenticityFixtures.bsiHashes.count)
        for (number, expected) in AuthenticityFixtures.bsiHashes {
            #expect(sod.dataGroupHashes[number].map(hexString) == expected, "DG\(number)")
        }
        #expect(sod.signedData.contentType == "2.23.136.1.1.1")
        #expect(sod.signedData.version == 3)
        #expect(sod.signer.contentTypeAttribute == "2.23.136.1.1.1")
        #expect(
            sod.signer.messageDigest.map(hexString)
                == "B46A0D05E280F398EFEEEBFF67E78C736ADD15E75670B1AD4C6C534E8187B9D6")
        let scheme = try SignatureScheme(algorithm: sod.signer.signatureAlgorithm, digest: .sha256)
        #expect(scheme == .rsaPSS(hash: .sha256, mgf1Hash: .sha256, saltLength: 32))
        let ds = try sod.documentSigner()
        #expect(ds.subject.contains("CN=HJP PB DS"))
        #expect(ds.issuer.contains("CN=HJP PB CS"))
        #expect(ds.publicKey.isRSA && ds.publicKey.bits == 2048)
    }

    @Test("Verdict: data groups intact, signature valid, chain unknown (no CSCA), honest about DG3/DG4/DG15")
    func verdictOnReferenceSet() throws {
        guard let files = AuthenticityFixtures.bsiFiles else { return }
        let verdict = try PassiveAuthentication.verify(files: files)
        #expect(verdict.dataGroupsIntact)
        #expect(verdict.signatureValid && verdict.messageDigestValid)
        #expect(verdict.chain == .unknown)
        #expect(verdict.chainReason.contains("no trust anchor"))
        #expect(!verdict.isGenuine && verdict.signatureAndIntegrityValid)
        #expect(verdict.intactDataGroups == [1, 2, 14])
        #expect(verdict.unreadDataGroups == [3, 4])
        #expect(verdict.uncoveredDataGroups == [15])
        #expect(verdict.mismatchedDataGroups.isEmpty)
        #expect(verdict.hashAlgorithm == .sha256)
        #expect(verdict.signatureScheme.contains("PSS"))
        // No signing time in this SOD; the DS expired in 2014. Checked at the time of the check by default, at the
        // DS's start under the signing-time model; with no anchor the chain is not checked either way.
        #expect(verdict.signingTime == nil)
        #expect(verdict.validityModel == .checkTime && abs(verdict.validityCheckedAt.timeIntervalSinceNow) < 60)
        #expect(verdict.signerExpiredNow && verdict.chainReason.contains("expired"))
        var icao = CSCATrustList()
        icao.validityModel = .signingTime
        let atSigning = try PassiveAuthentication.verify(files: files, trustList: icao)
        #expect(atSigning.validityCheckedAt == atSigning.signerNotBefore && atSigning.chain == .unknown)
        #expect(verdict.revocation == .notChecked)
    }

    @Test("Flipping one byte of any listed data group is a mismatch for exactly that group")
    func flippedDataGroups() throws {
        guard let files = AuthenticityFixtures.bsiFiles else { return }
        for number in [1, 2, 14] {
            for position in [0, files[.dg(number)]!.count / 2, files[.dg(number)]!.count - 1] {
                var altered = files
                altered[.dg(number)]![position] ^= 0x01
                let verdict = try PassiveAuthentication.verify(files: altered)
                #expect(verdict.mismatchedDataGroups == [number], "DG\(number) byte \(position)")
                #expect(!verdict.dataGroupsIntact && verdict.signatureValid)
                #expect(verdict.dataGroups[number] == .altered)
            }
        }
        // A data group the SOD does not cover (DG15 here) changes nothing but stays "not covered".
        var extra = files
        extra[.dg(15)]![10] ^= 0xFF
        let verdict = try PassiveAuthentication.verify(files: extra)
        #expect(verdict.dataGroupsIntact && verdict.uncoveredDataGroups == [15])
    }

    @Test("A changed signature or LDSSecurityObject byte makes the signature invalid")
    func tamperedSOD() throws {
        guard let files = AuthenticityFixtures.bsiFiles, let sod = files[.sod] else { return }
        var badSignature = files
        badSignature[.sod]![sod.count - 5] ^= 0x40  // inside the final signature OCTET STRING
        let signatureVerdict = try PassiveAuthentication.verify(files: badSignature)
        #expect(!signatureVerdict.signatureValid)
        #expect(signatureVerdict.messageDigestValid)
        var badContent = files
        badContent[.sod]![100] ^= 0x01  // inside a DG hash value of the LDSSecurityObject (offset 61 + 39)
        let contentVerdict = try PassiveAuthentication.verify(files: badContent)
        #expect(!contentVerdict.messageDigestValid && !contentVerdict.signatureValid)
    }

    @Test("OpenSSL's command line agrees: same eContent, signature verifies, tampered copy fails")
    func openSSLCrossCheck() throws {
        guard let files = AuthenticityFixtures.bsiFiles, let sodBytes = files[.sod],
            let openssl = AuthenticityFixtures.openssl
        else { return }
        let folder = try AuthenticityFixtures.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let contentInfo = try TLV.parse(sodBytes).0.value
        let input = folder.appendingPathComponent("sod.der")
        let output = folder.appendingPathComponent("content.der")
        try Data(contentInfo).write(to: input)
        let verified = try AuthenticityFixtures.run(
            openssl,
            [
                "cms", "-verify", "-noverify", "-inform", "DER", "-in",
                input.path, "-binary", "-out", output.path,
            ])
        let ours = try SecurityObject(sodBytes)
        #expect(verified.status == 0, "\(verified.err)")
        #expect(verified.err.contains("Verification successful"))
        #expect([UInt8](try Data(contentsOf: output)) == ours.signedData.content)
        #expect(try PassiveAuthentication.verify(files: files).signatureValid)
        var tampered = contentInfo
        tampered[tampered.count - 5] ^= 0x40
        try Data(tampered).write(to: input)
        let refused = try AuthenticityFixtures.run(
            openssl,
            [
                "cms", "-verify", "-noverify", "-inform", "DER", "-in",
                input.path, "-binary", "-out", output.path,
            ])
        #expect(refused.status != 0)
        var ourTampered = files
        ourTampered[.sod] = TLV.encode(tag: 0x77, value: tampered)
        #expect(try !PassiveAuthentication.verify(files: ourTampered).signatureValid)
    }

    @Test("LDS folder names: FIDs, ef-prefixed, reference-set names")
    func folderNames() {
        #expect(LDSFolder.file(named: "011D") == .sod)
        #expect(LDSFolder.file(named: "ef011D.bin") == .sod)
        #expect(LDSFolder.file(named: "EF_SOD.bin") == .sod)
        #expect(LDSFolder.file(named: "EF_COM.bin") == .com)
        #expect(LDSFolder.file(named: "Datagroup13.bin") == .dg(13))
        #expect(LDSFolder.file(named: "DG2.bin") == .dg(2))
        #expect(LDSFolder.file(named: "0101") == .dg(1))
        #expect(LDSFolder.file(named: "ef010F.bin") == .dg(15))
        #expect(LDSFolder.file(named: "README.md") == nil)
        #expect(LDSFolder.file(named: "Datagroup17.bin") == nil)
    }

    @Test("Benchmark entry point: PA over the BSI set within the 50 ms budget")
    func benchmark() throws {
        guard let folder = AuthenticityFixtures.bsiFolder else { return }
        let result = try PassiveAuthenticationBenchmark.run(folder: folder, iterations: 20)
        print("ChipIDTests: \(result)")
        #expect(result.verdict.signatureValid && result.verdict.dataGroupsIntact)
        #expect(result.medianMilliseconds < 50)
    }
}
