import Foundation

/// What Passive Authentication established, check by check (ICAO 9303-11 §5.1). Nothing is summarised away:
/// `isGenuine` is true only when every data group read is intact, the SOD signature verifies, and the document
/// signer chains to a trusted CSCA.
public struct PassiveAuthenticationVerdict: Sendable, Hashable {
    /// The document signer's chain to a CSCA.
    public enum Chain: String, Sendable, Hashable {
        /// Signed by a configured CSCA, valid the ICAO way, not revoked.
        case trusted
        /// Trust anchors are configured and no configured CSCA vouches for the DS: none is its issuer, or the
        /// issuer's key does not verify the DS certificate. `chainReason` says which.
        case untrusted
        /// A configured CSCA issued the DS, but the DS fails a check of its own under the validity model in force
        /// (expired, not yet valid, signed outside its validity), or its CSCA revoked it or was not valid:
        /// `chainReasonCode` says which. Never genuine.
        case invalid
        /// No trust anchor is configured at all, so the chain was not checked (normal for CCCDs until the
        /// authority provides the Vietnamese CSCA, which is not published).
        case unknown
    }

    /// One data group's integrity.
    public enum DataGroupStatus: String, Sendable, Hashable {
        /// Hash matches the SOD.
        case intact
        /// Hash differs from the SOD: the data group was altered.
        case altered
        /// Listed in the SOD but not read (e.g. EAC-protected DG3): not checked.
        case notRead
        /// Read, but the SOD does not cover it: its content is not authenticated.
        case notCovered
    }

    /// Revocation status of the DS.
    public enum Revocation: String, Sendable, Hashable {
        /// No CRL from the DS's CSCA is configured.
        case notChecked
        /// A CRL from the DS's CSCA was checked and does not list the DS.
        case notRevoked
        /// A CRL from the DS's CSCA lists the DS.
        case revoked
    }

    /// The data-group hash algorithm.
    public var hashAlgorithm: DigestAlgorithm
    /// LDSSecurityObject version and LDS version info.
    public var securityObjectVersion: Int
    /// LDS version from the SOD (v1 only).
    public var ldsVersion: String?
    /// Per data group.
    public var dataGroups: [Int: DataGroupStatus]
    /// The SOD signature scheme.
    public var signatureScheme: String
    /// messageDigest matches the LDSSecurityObject.
    public var messageDigestValid: Bool
    /// The signature over the signed attributes verifies with the embedded DS certificate.
    public var signatureValid: Bool
    /// Chain to a CSCA.
    public var chain: Chain
    /// Why the chain is what it is (English, no personal data).
    public var chainReason: String
    /// The same as a stable code (`documentSignerExpired`, `issuerNotTrusted`, …).
    public var chainReasonCode: ChainReason
    /// The validity model the DS was checked under.
    public var validityModel: SignerValidityModel
    /// DS subject / issuer (institutional names only).
    public var signerSubject: String
    /// DS issuer.
    public var signerIssuer: String
    /// DS validity.
    public var signerNotBefore: Date
    /// DS validity end.
    public var signerNotAfter: Date
    /// The SOD's signing time, when present.
    public var signingTime: Date?
    /// The moment validity was checked at: the time of the check (`checkTime` model), or the signing time, else the
    /// DS's notBefore when the SOD has none (`signingTime` model).
    public var validityCheckedAt: Date
    /// Whether the DS was valid at `validityCheckedAt`.
    public var signerValidAtSigning: Bool
    /// The DS certificate has expired by now (informational: does not fail a document that was valid when issued).
    public var signerExpiredNow: Bool
    /// CSCA that signed the DS, when found.
    public var cscaSubject: String?
    /// Revocation status.
    public var revocation: Revocation

    /// Every data group the SOD covers that was read matches.
    public var dataGroupsIntact: Bool { !dataGroups.values.contains(.altered) }
    /// Numbers of altered data groups, ascending.
    public var mismatchedDataGroups: [Int] { dataGroups.filter { $0.value == .altered }.map(\.key).sorted() }
    /// Read data groups the SOD does not cover.
    public var uncoveredDataGroups: [Int] { dataGroups.filter { $0.value == .notCovered }.map(\.key).sorted() }
    /// Data groups the SOD lists that were not read.
    public var unreadDataGroups: [Int] { dataGroups.filter { $0.value == .notRead }.map(\.key).sorted() }
    /// Data groups hashed and matching.
    public var intactDataGroups: [Int] { dataGroups.filter { $0.value == .intact }.map(\.key).sorted() }
    /// Integrity and signature hold (what offline PA can prove without the CSCA).
    public var signatureAndIntegrityValid: Bool { dataGroupsIntact && signatureValid && messageDigestValid }
    /// Everything holds, chain included.
    public var isGenuine: Bool { signatureAndIntegrityValid && chain == .trusted }
}

/// Why the chain is what it is: stable codes for reports, metrics and later verdict names.
public enum ChainReason: String, Sendable, Hashable {
    /// Chains to a configured CSCA, valid under the model in force, not revoked.
    case trusted
    /// No trust anchor installed: chain not checked.
    case noTrustAnchor
    /// No configured CSCA is the DS's issuer.
    case issuerNotTrusted
    /// A configured CSCA has the issuer's name but its key does not verify the DS certificate.
    case issuerKeyMismatch
    /// The DS certificate has expired (at the time of the check).
    case documentSignerExpired
    /// The DS certificate is not valid yet (at the time of the check).
    case documentSignerNotYetValid
    /// The SOD was signed outside the DS's validity (signing-time model).
    case signedOutsideValidity
    /// A CRL of the DS's CSCA lists it.
    case documentSignerRevoked
    /// The CSCA was not valid when it issued the DS, or is not valid now (check-time model).
    case cscaNotValid
}

/// Passive Authentication of raw LDS files against EF.SOD and a CSCA trust list.
public enum PassiveAuthentication {
    /// Runs PA. `files` are the raw files as read (full TLVs); EF.COM and EF.CardAccess are not hashed.
    /// Throws only when EF.SOD is absent or unusable; every other outcome is in the verdict.
    public static func verify(
        files: [LDSFile: [UInt8]], trustList: CSCATrustList = CSCATrustList(),
        now: Date = Date()
    ) throws(ChipIDError) -> PassiveAuthenticationVerdict {
        guard let sodBytes = files[.sod] else { throw ChipIDError(.fileMissing, "EF.SOD was not read") }
        let sod = try SecurityObject(sodBytes)
        return try verify(sod: sod, files: files, trustList: trustList, now: now)
    }

    /// Runs PA with an already parsed SOD.
    public static func verify(
        sod: SecurityObject, files: [LDSFile: [UInt8]], trustList: CSCATrustList,
        now: Date = Date()
    ) throws(ChipIDError) -> PassiveAuthenticationVerdict {
        // 1. Data-group hashes.
        var statuses: [Int: PassiveAuthenticationVerdict.DataGroupStatus] = [:]
        for (number, expected) in sod.dataGroupHashes {
            guard let bytes = files[.dg(number)] else {
                statuses[number] = .notRead
                continue
            }
            let actual = sod.hashAlgorithm.hash(bytes)
            statuses[number] = SecureMessagingSession.constantTimeEqual(actual, expected) ? .intact : .altered
        }
        for case .dg(let number) in files.keys where sod.dataGroupHashes[number] == nil {
            statuses[number] = .notCovered
        }
        // 2. Signature.
        let signer = sod.signer
        let ds = try sod.documentSigner()
        let check = try signer.check(content: sod.signedData.content, certificate: ds)
        // 3. The DS's own validity under the model in force, then the chain.
        let model = trustList.validityModel
        let checkedAt = model == .checkTime ? now : (signer.signingTime ?? ds.notBefore)
        let validAtSigning = ds.isValid(at: signer.signingTime ?? ds.notBefore)
        var chain = PassiveAuthenticationVerdict.Chain.unknown
        var code = ChainReason.noTrustAnchor
        var reason: String
        var csca: Certificate?
        var revocation = PassiveAuthenticationVerdict.Revocation.notChecked
        let signerFailure: (ChainReason, String)? =
            switch model {
            case .checkTime where now > ds.notAfter:
                (
                    .documentSignerExpired,
                    "the document signer certificate has expired (validity checked at the time of "
                        + "the check)"
                )
            case .checkTime where now < ds.notBefore:
                (.documentSignerNotYetValid, "the document signer certificate is not valid yet")
            case .signingTime where !validAtSigning:
                (
                    .signedOutsideValidity,
                    "the SOD was signed outside the DS certificate's validity period"
                        + (signer.signingTime == nil ? " (SOD has no signing time: DS validity start used)" : "")
                )
            default: nil
            }
        if trustList.isEmpty {
            reason = "no trust anchor configured (the issuing CSCA is not available): chain not checked"
            // Without an anchor the DS is whatever the SOD says it is: its validity proves nothing either way, so
            // the chain stays "unknown"; the finding is still named for the technician.
            if let failure = signerFailure { reason += " (also: \(failure.1))" }
        } else {
            let (named, signing) = trustList.issuers(of: ds)
            // The CSCA must have been valid when it issued the DS, and under the check-time model also now.
            let cscaValid = { (candidate: Certificate) in
                candidate.isValid(at: ds.notBefore) && (model == .signingTime || candidate.isValid(at: now))
            }
            if named.isEmpty {
                chain = .untrusted
                code = .issuerNotTrusted
                reason = "no configured CSCA matches the document signer's issuer: the signer is not trusted"
            } else if signing.isEmpty {
                chain = .untrusted
                code = .issuerKeyMismatch
                reason = "a configured CSCA matches the issuer name but its key does not verify the DS certificate"
            } else if let valid = signing.first(where: cscaValid) {
                csca = valid
                let crls = trustList.revocationLists.filter { $0.isIssued(by: valid) }
                if !crls.isEmpty { revocation = crls.contains { $0.revokes(ds) } ? .revoked : .notRevoked }
                if revocation == .revoked {
                    chain = .invalid
                    code = .documentSignerRevoked
                    reason = "the DS certificate is revoked by its CSCA's CRL"
                } else if let failure = signerFailure {
                    chain = .invalid
                    code = failure.0
                    reason = failure.1
                } else {
                    chain = .trusted
                    code = .trusted
                    reason =
                        model == .checkTime
                        ? "DS signed by a trusted CSCA; both valid at the time of the check"
                        : "DS signed by a trusted CSCA that was valid when the DS was issued"
                            + (signer.signingTime == nil ? " (SOD has no signing time: DS validity start used)" : "")
                    reason += revocation == .notChecked ? "; no CRL for this CSCA" : "; CRL checked"
                }
            } else {
                csca = signing.first
                chain = .invalid
                code = .cscaNotValid
                reason =
                    model == .checkTime && signing.contains(where: { $0.isValid(at: ds.notBefore) })
                    ? "the signing CSCA is not valid at the time of the check"
                    : "the signing CSCA was not valid when the DS certificate was issued"
            }
        }
        return PassiveAuthenticationVerdict(
            hashAlgorithm: sod.hashAlgorithm, securityObjectVersion: sod.version, ldsVersion: sod.ldsVersion,
            dataGroups: statuses, signatureScheme: check.scheme, messageDigestValid: check.messageDigestValid,
            signatureValid: check.signatureValid && check.messageDigestValid, chain: chain, chainReason: reason,
            chainReasonCode: code, validityModel: model,
            signerSubject: ds.subject, signerIssuer: ds.issuer, signerNotBefore: ds.notBefore,
            signerNotAfter: ds.notAfter, signingTime: signer.signingTime, validityCheckedAt: checkedAt,
            signerValidAtSigning: validAtSigning, signerExpiredNow: now > ds.notAfter, cscaSubject: csca?.subject,
            revocation: revocation)
    }
}
