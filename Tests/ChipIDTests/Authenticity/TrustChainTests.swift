import COpenSSL
import Foundation
import Testing

@testable import ChipID

@Suite("Passive Authentication chain to a CSCA (synthetic brainpoolP384r1 PKI made with OpenSSL)", .serialized)
struct TrustChainTests {
    @Test(
        "SOD signed by OpenSSL: trusted with the CSCA configured, unknown without",
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
        #expect(verdict.signingTime != nil && verdict.validityModel == .checkTime)
        #expect(abs(verdict.validityCheckedAt.timeIntervalSinceNow) < 60)
        #expect(verdict.cscaSubject?.contains("Test CSCA") == true)
        #expect(verdict.revocation == .notChecked)
        let alone = try PassiveAuthentication.verify(files: pki.files)
        #expect(alone.chain == .unknown && alone.signatureAndIntegrityValid)
        var altered = pki.files
        altered[.dg(13)]![20] ^= 0x04
        let tampered = try PassiveAuthentication.verify(files: altered, trustList: trust)
        #expect(tampered.mismatchedDataGroups == [13] && !tampered.isGenuine && tampered.chain == .trusted)
    }

    @Test("DS validity: at the time of the check by default (expired DS → invalid); the ICAO model on request")
    func validityModel() throws {
        let dates = SyntheticPKI.Dates(
            cscaStart: "20140101000000Z", dsStart: "20150101000000Z",
            dsEnd: "20160101000000Z")
        guard let old = try SyntheticPKI.make(dates: dates, signedAttributes: false) else { return }
        defer { old.remove() }
        var trust = try CSCATrustList.load(folder: old.trustFolder)
        #expect(trust.validityModel == .checkTime, "the default model")
        let checkedNow = try PassiveAuthentication.verify(files: old.files, trustList: trust)
        #expect(checkedNow.signatureAndIntegrityValid && checkedNow.signerExpiredNow)
        #expect(checkedNow.chain == .invalid && !checkedNow.isGenuine, "\(checkedNow.chainReason)")
        #expect(checkedNow.chainReasonCode == .documentSignerExpired)
        #expect(checkedNow.validityModel == .checkTime)
        #expect(abs(checkedNow.validityCheckedAt.timeIntervalSinceNow) < 60)
        // The ICAO chain model, for authorities that need it: valid when it signed (no signing time: DS start).
        trust.validityModel = .signingTime
        let verdict = try PassiveAuthentication.verify(files: old.files, trustList: trust)
        #expect(verdict.signingTime == nil && verdict.signerExpiredNow)
        #expect(verdict.validityCheckedAt == verdict.signerNotBefore)
        #expect(verdict.chain == .trusted && verdict.isGenuine, "\(verdict.chainReason)")
        #expect(verdict.chainReason.contains("no signing time") && verdict.chainReasonCode == .trusted)
        #expect(verdict.validityModel == .signingTime)
        // Same DS, SOD signed now (signingTime attribute): expired now, and signed outside the DS validity.
        guard let late = try SyntheticPKI.make(dates: dates) else { return }
        defer { late.remove() }
        var lateTrust = try CSCATrustList.load(folder: late.trustFolder)
        let lateNow = try PassiveAuthentication.verify(files: late.files, trustList: lateTrust)
        #expect(lateNow.chain == .invalid && lateNow.chainReasonCode == .documentSignerExpired)
        lateTrust.validityModel = .signingTime
        let lateVerdict = try PassiveAuthentication.verify(files: late.files, trustList: lateTrust)
        #expect(lateVerdict.signatureValid && !lateVerdict.signerValidAtSigning)
        #expect(lateVerdict.chain == .invalid && lateVerdict.chainReason.contains("outside"))
        #expect(lateVerdict.chainReasonCode == .signedOutsideValidity)
        // A DS issued before its CSCA existed: invalid under either model.
        let early = SyntheticPKI.Dates(
            cscaStart: "20200101000000Z", dsStart: "20150101000000Z",
            dsEnd: "20390101000000Z")
        guard let backdated = try SyntheticPKI.make(dates: early) else { return }
        defer { backdated.remove() }
        var backdatedTrust = try CSCATrustList.load(folder: backdated.trustFolder)
        for model in SignerValidityModel.allCases {
            backdatedTrust.validityModel = model
            let backdatedVerdict = try PassiveAuthentication.verify(files: backdated.files, trustList: backdatedTrust)
            #expect(backdatedVerdict.chain == .invalid && backdatedVerdict.chainReason.contains("CSCA was not valid"))
            #expect(backdatedVerdict.chainReasonCode == .cscaNotValid)
        }
        // No anchor at all: the DS is only what the SOD says, so its expiry proves nothing; chain unknown, named.
        let alone = try PassiveAuthentication.verify(files: old.files)
        #expect(alone.chain == .unknown && alone.chainReasonCode == .noTrustAnchor)
        #expect(alone.chainReason.contains("expired"), "\(alone.chainReason)")
    }

    @Test("A CSCA with the same name but another key: untrusted")
    func impostorCSCA() throws {
        guard let pki = try SyntheticPKI.make() else { return }
        defer { pki.remove() }
        try pki.ssl(["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:brainpoolP384r1", "-out", "x.key"])
        try pki.ssl([
            "req", "-x509", "-new", "-key", "x.key", "-subj", "/C=VN/O=Test Authority/CN=Test CSCA",
            "-days", "3650", "-out", "x.pem",
        ])
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
        let (named, signing) = both.issuers(of: try SecurityObject(pki.files[.sod]!).documentSigner())
        #expect(named.count == 2 && signing.count == 1)
        #expect(try PassiveAuthentication.verify(files: pki.files, trustList: trust).chain == .untrusted)
    }

    @Test("CRLs in the trust folder: revoked DS is invalid, a clean CRL says not revoked")
    func revocation() throws {
        guard let pki = try SyntheticPKI.make() else { return }
        defer { pki.remove() }
        let clean = try pki.crl(revokeDS: false)
        try FileManager.default.copyItem(at: clean, to: pki.trustFolder.appendingPathComponent("clean.crl"))
        let cleanVerdict = try PassiveAuthentication.verify(
            files: pki.files,
            trustList: try CSCATrustList.load(folder: pki.trustFolder))
        #expect(cleanVerdict.chain == .trusted && cleanVerdict.revocation == .notRevoked)
        let revoked = try pki.crl(revokeDS: true)
        try FileManager.default.removeItem(at: pki.trustFolder.appendingPathComponent("clean.crl"))
        try FileManager.default.copyItem(at: revoked, to: pki.trustFolder.appendingPathComponent("revoked.crl"))
        let verdict = try PassiveAuthentication.verify(
            files: pki.files,
            trustList: try CSCATrustList.load(folder: pki.trustFolder))
        #expect(verdict.revocation == .revoked)
        #expect(verdict.chain == .invalid && verdict.chainReason.contains("revoked"))
        #expect(verdict.chainReasonCode == .documentSignerRevoked)
    }
}

extension CSCATrustList {
    init(certificates: [Certificate]) {
        self.init()
        self.certificates = certificates
    }
}
