import COpenSSL
import Foundation
import Testing
@testable import ChipID

@Suite("Passive Authentication chain to a CSCA (synthetic brainpoolP384r1 PKI made with OpenSSL)", .serialized)
struct TrustChainTests {
    @Test("SOD signed by OpenSSL: trusted with the CSCA configured, unknown without",
          arguments: SyntheticPKI.Signer.allCases)
    func trusted(signer: SyntheticPKI.Signer) throws {
        guard let pki = try SyntheticPKI.make(signer: signer) else { return }
        defer { pki.remove() }
        let trust = try CSCATrustList.load(folder: pki.trustFolder)
        #expect(trust.certificates.count == 1)
        let verdict = try PassiveAuthentication.verify(files: pki.files, trustList: trust)
        #expect(verdict.chain == .trusted, "\(verdict.chainReason)")
        #expect(verdict.isGenuine)
        switch signer {
        case .rsaPSS: #expect(verdict.signatureScheme == "RSASSA-PSS (SHA-256, MGF1-SHA-256, salt 32)")
        default: #expect(verdict.signatureScheme == "ECDSA with SHA-256")
        }
        if signer == .brainpoolP384r1Explicit {
            let ds = try SecurityObject(pki.files[.sod]!).documentSigner()
            #expect(ds.publicKey.curveNID == NID_brainpoolP384r1)  // recognised from explicit parameters
            #expect(ds.der.count > 600)  // the explicit curve parameters are in the certificate
        }
        var badSignature = pki.files
        badSignature[.sod]![badSignature[.sod]!.count - 3] ^= 0x01
        #expect(try !PassiveAuthentication.verify(files: badSignature, trustList: trust).signatureValid)
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

    @Test("ICAO validity: an expired DS does not fail a SOD without signing time; signed after expiry does")
    func validityModel() throws {
        let dates = SyntheticPKI.Dates(cscaStart: "20140101000000Z", dsStart: "20150101000000Z",
                                       dsEnd: "20160101000000Z")
        guard let old = try SyntheticPKI.make(dates: dates, signedAttributes: false) else { return }
        defer { old.remove() }
        let trust = try CSCATrustList.load(folder: old.trustFolder)
        let verdict = try PassiveAuthentication.verify(files: old.files, trustList: trust)
        #expect(verdict.signingTime == nil && verdict.signerExpiredNow)
        #expect(verdict.validityCheckedAt == verdict.signerNotBefore)
        #expect(verdict.chain == .trusted && verdict.isGenuine, "\(verdict.chainReason)")
        #expect(verdict.chainReason.contains("no signing time"))
        // Same DS, SOD signed now (signingTime attribute): outside the DS validity, untrusted.
        guard let late = try SyntheticPKI.make(dates: dates) else { return }
        defer { late.remove() }
        let lateVerdict = try PassiveAuthentication.verify(files: late.files,
                                                           trustList: try CSCATrustList.load(folder: late.trustFolder))
        #expect(lateVerdict.signatureValid && !lateVerdict.signerValidAtSigning)
        #expect(lateVerdict.chain == .untrusted && lateVerdict.chainReason.contains("outside"))
        // A DS issued before its CSCA existed: untrusted.
        let early = SyntheticPKI.Dates(cscaStart: "20200101000000Z", dsStart: "20150101000000Z",
                                       dsEnd: "20390101000000Z")
        guard let backdated = try SyntheticPKI.make(dates: early) else { return }
        defer { backdated.remove() }
        let backdatedVerdict = try PassiveAuthentication.verify(
            files: backdated.files, trustList: try CSCATrustList.load(folder: backdated.trustFolder))
        #expect(backdatedVerdict.chain == .untrusted && backdatedVerdict.chainReason.contains("CSCA was not valid"))
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
        // The DS signature cache is keyed by both certificates: the real CSCA's cached "signed" never leaks to the
        // impostor of the same name in a list that holds both, nor the other way round.
        let real = try CSCATrustList.load(folder: pki.trustFolder)
        #expect(try PassiveAuthentication.verify(files: pki.files, trustList: real).chain == .trusted)
        var both = real
        both.certificates += trust.certificates
        let mixed = try PassiveAuthentication.verify(files: pki.files, trustList: both)
        #expect(mixed.chain == .trusted)
        let (named, signing) = both.issuers(of: try #require(try SecurityObject(pki.files[.sod]!).documentSigner()))
        #expect(named.count == 2 && signing.count == 1)
        #expect(try PassiveAuthentication.verify(files: pki.files, trustList: trust).chain == .untrusted)
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
