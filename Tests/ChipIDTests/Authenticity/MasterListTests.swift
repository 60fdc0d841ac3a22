import Foundation
import Testing

@testable import ChipID

@Suite("ICAO CSCA master list and trust list")
struct MasterListTests {
    @Test("The Netherlands' master list loads, its signature verifies, its CSCAs are counted")
    func netherlands() throws {
        guard let bytes = AuthenticityFixtures.netherlandsMasterList else { return }
        let list = try CSCAMasterList(der: bytes)
        print(
            "ChipIDTests: NL master list 2021-12-07: \(list.certificates.count) CSCA certificates from "
                + "\(list.countries.count) countries, \(list.skippedEntries) unparseable, signed \(list.signatureScheme)"
        )
        #expect(list.certificates.count > 300)
        #expect(list.skippedEntries == 0)
        #expect(list.countries.contains("NL") && list.countries.contains("DE"))
        #expect(list.signer.subject.contains("NL"))
        #expect(list.signatureScheme.contains("PKCS#1") && list.signatureScheme.contains("SHA-256"))
        #expect(list.signerChainsToListedCSCA)  // signer issued by "CSCA NL", which is in the list
        // Published certificates as ECDSA-on-brainpool vectors: Lithuania's CSCAs are self-signed on
        // brainpoolP256r1 with explicit parameters; every one must verify with its own key.
        let lithuania = list.certificates.filter { $0.country == "LT" && $0.publicKey.curveNID == 927 }  // bP256r1
        #expect(lithuania.count >= 4)  // NID 927 = NID_brainpoolP256r1
        #expect(lithuania.allSatisfy { $0.isSelfSigned })
        let brainpool = list.certificates.filter { $0.publicKey.isEC && $0.isSelfSigned }
        print("ChipIDTests: \(brainpool.count) self-signed EC CSCAs verify; \(lithuania.count) LT on brainpoolP256r1")
        let signing = list.signingTime.map { Calendar(identifier: .gregorian).dateComponents(in: .gmt, from: $0) }
        #expect(signing?.year == 2021 && signing?.month == 12 && signing?.day == 7)
    }

    @Test("A master list with a broken signature is refused and nothing is loaded")
    func brokenSignature() throws {
        guard let bytes = AuthenticityFixtures.netherlandsMasterList else { return }
        var broken = bytes
        broken[broken.count - 20] ^= 0x01  // inside the final signature value
        #expect(chipError { _ = try CSCAMasterList(der: broken) }?.code == .masterListSignatureInvalid)
        var alteredContent = bytes
        alteredContent[2_000] ^= 0x01  // inside a listed certificate: messageDigest no longer matches
        #expect(chipError { _ = try CSCAMasterList(der: alteredContent) }?.code == .masterListSignatureInvalid)

        let folder = try AuthenticityFixtures.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appendingPathComponent("broken.mls")
        try Data(broken).write(to: file)
        var trust = CSCATrustList()
        #expect(chipError { try trust.addMasterList(file: file) }?.code == .masterListSignatureInvalid)
        #expect(trust.isEmpty && trust.sources.isEmpty)
        #expect(chipError { _ = try CSCATrustList.load(folder: folder) }?.code == .masterListSignatureInvalid)
    }

    @Test("The BSI document signer's issuer is not in the NL master list: chain untrusted, with the reason")
    func bsiAgainstMasterList() throws {
        guard let bytes = AuthenticityFixtures.netherlandsMasterList, let files = AuthenticityFixtures.bsiFiles
        else { return }
        var trust = CSCATrustList()
        trust.add(try CSCAMasterList(der: bytes), source: "NL")
        let verdict = try PassiveAuthentication.verify(files: files, trustList: trust)
        #expect(verdict.chain == .untrusted)
        #expect(verdict.chainReason.contains("no configured CSCA matches"))
        // The same files with no anchor at all: "unknown", the chain was not checked.
        #expect(try PassiveAuthentication.verify(files: files).chain == .unknown)
        #expect(verdict.signatureValid && verdict.dataGroupsIntact)
    }
}
