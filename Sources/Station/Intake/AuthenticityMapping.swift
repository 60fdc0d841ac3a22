import ChipID
import Foundation
import Intake

extension Intake.AuthenticityVerdict {
    /// The one mapping from what a read established (`ChipID.AuthenticityFindings`) to the verdict policy acts on,
    /// most serious finding first. Used by intake, `/v1/verify` and `stationd card read`.
    ///
    /// - a failed Chip/Active Authentication: `clone` (the reader stops after a failed CA, EF.SOD may be unread);
    /// - no Passive Authentication (no findings, EF.SOD unreadable): `notChecked`;
    /// - a data group altered, or the SOD digest or signature not verifying: `hashMismatch`;
    /// - a document signer or CSCA out of validity or revoked: `chainInvalid`; no chain to the installed anchors:
    ///   `untrustedSigner`;
    /// - the anti-clone check not passed (no DG14/DG15, an error proving nothing) or its key not covered by the SOD:
    ///   `unconfirmed`;
    /// - otherwise `genuine` with a trusted chain, `verifiedOffline` when no anchor for the issuer is installed.
    public init(findings: AuthenticityFindings?) {
        guard let findings else {
            self = .notChecked
            return
        }
        if findings.cloneCheck.outcome == .failed {
            self = .clone
            return
        }
        guard let passive = findings.passive else {
            self = .notChecked
            return
        }
        if !passive.dataGroupsIntact || !passive.messageDigestValid || !passive.signatureValid {
            self = .hashMismatch
            return
        }
        switch passive.chain {
        case .invalid:
            self = .chainInvalid
        case .untrusted:
            self = .untrustedSigner
        case .trusted, .unknown:
            if findings.cloneCheck.outcome != .passed || !findings.cloneCheckKeyAuthenticated {
                self = .unconfirmed
            } else {
                self = passive.chain == .trusted ? .genuine : .verifiedOffline
            }
        }
    }
}

extension ChipEvidence {
    /// The evidence a read gives the central: EF.SOD, DG1, DG13, DG14, DG15 as read and the transcript of the
    /// anti-clone check that passed; nil without EF.SOD (nothing for the central to verify).
    public init?(read: ChipRead) {
        guard let sod = read.files[.sod]?.bytes, let dg1 = read.files[.dg(1)]?.bytes else { return nil }
        let check = read.authenticity?.cloneCheck
        let chip = check?.outcome == .passed ? check?.chipAuthenticationTranscript : nil
        let active = check?.outcome == .passed ? check?.activeAuthenticationTranscript : nil
        self.init(
            sod: Data(sod), dg1: Data(dg1), dg13: read.files[.dg(13)].map { Data($0.bytes) },
            dg14: read.files[.dg(14)].map { Data($0.bytes) }, dg15: read.files[.dg(15)].map { Data($0.bytes) },
            chipAuthentication: chip.map {
                ChipAuthenticationEvidence(
                    terminalPrivateKey: Data($0.terminalPrivateKey), terminalPublicKey: Data($0.terminalPublicKey),
                    protectedResponse: Data($0.protectedResponse), responseSSC: Data($0.responseSSC))
            },
            activeAuthentication: active.map {
                ActiveAuthenticationEvidence(challenge: Data($0.challenge), signature: Data($0.signature))
            })
    }
}
