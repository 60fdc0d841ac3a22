import ChipID
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
