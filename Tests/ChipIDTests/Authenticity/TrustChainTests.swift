import Foundation
import Testing
@testable import ChipID

@Suite("Passive Authentication chain to a CSCA (synthetic brainpoolP384r1 PKI made with OpenSSL)", .serialized)
struct TrustChainTests {
    @Test("ECDSA brainpoolP384r1 SOD: trusted with the CSCA configured, unknown without")
    func trusted() throws {
        guard let pki = try SyntheticPKI.make() else { return }
        defer { pki.remove() }
        let trust = try CSCATrustList.load(folder: pki.trustFolder)
        #expect(trust.certificates.count == 1)
        let verdict = try PassiveAuthentication.verify(files: pki.files, trustList: trust)
        #expect(verdict.chain == .trusted, "\(verdict.chainReason)")
        #expect(verdict.isGenuine)
        #expect(verdict.signatureScheme == "ECDSA with SHA-256")
        #expect(verdict.intactDataGroups == [1, 2, 13])
        #expect(verdict.ldsVersion == "0108" && verdict.securityObjectVersion == 1)
        #expect(verdict.signingTime != nil && verdict.validityCheckedAt == verdict.signingTime)
        #expect(verdict.cscaSubject?.contains("Test CSCA") == true)
        #expect(verdict.revocation == .notChecked)
        let alone = try PassiveAuthentication.verify(files: pki.files)
        #expect(alone.chain == .unknown && alone.signatureAndIntegrityValid)
        var altered = pki.files
        altered[.dg(13)]![20] ^= 0x04
        let tampered = try PassiveAuthentication.verify(files: altered, trustList: trust)
        #expect(tampered.mismatchedDataGroups == [13] && !tampered.isGenuine && tampered.chain == .trusted)
    }

    @Test("A CSCA with the same name but another key: untrusted")
    func impostorCSCA() throws {
        guard let pki = try SyntheticPKI.make() else { return }
        defer { pki.remove() }
        try pki.ssl(["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:brainpoolP384r1", "-out", "x.key"])
        try pki.ssl(["req", "-x509", "-new", "-key", "x.key", "-subj", "/C=VN/O=Test Authority/CN=Test CSCA",
                     "-days", "3650", "-out", "x.pem"])
        let trust = CSCATrustList(certificates: try Certificate.load([UInt8](Data(contentsOf: pki.path("x.pem")))))
        let verdict = try PassiveAuthentication.verify(files: pki.files, trustList: trust)
        #expect(verdict.chain == .untrusted)
        #expect(verdict.signatureValid && !verdict.isGenuine)
    }

    @Test("CRLs in the trust folder: revoked DS is untrusted, a clean CRL says not revoked")
    func revocation() throws {
        guard let pki = try SyntheticPKI.make() else { return }
        defer { pki.remove() }
        let clean = try pki.crl(revokeDS: false)
        try FileManager.default.copyItem(at: clean, to: pki.trustFolder.appendingPathComponent("clean.crl"))
        let cleanVerdict = try PassiveAuthentication.verify(files: pki.files,
                                                            trustList: try CSCATrustList.load(folder: pki.trustFolder))
        #expect(cleanVerdict.chain == .trusted && cleanVerdict.revocation == .notRevoked)
        let revoked = try pki.crl(revokeDS: true)
        try FileManager.default.removeItem(at: pki.trustFolder.appendingPathComponent("clean.crl"))
        try FileManager.default.copyItem(at: revoked, to: pki.trustFolder.appendingPathComponent("revoked.crl"))
        let verdict = try PassiveAuthentication.verify(files: pki.files,
                                                       trustList: try CSCATrustList.load(folder: pki.trustFolder))
        #expect(verdict.revocation == .revoked)
        #expect(verdict.chain == .untrusted && verdict.chainReason.contains("revoked"))
    }
}

extension CSCATrustList {
    init(certificates: [Certificate]) {
        self.init()
        self.certificates = certificates
    }
}
