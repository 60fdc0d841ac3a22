import ControlAPI
import Intake
import Messages

/// The desk's `accept` / `refer` and its reason: the one place where authenticity verdicts, card validity and the QR
/// cross-check become a decision (verdict names change in one `switch` here).
///
/// Refer reasons in order of weight: a copied or altered chip first, then the issuer, then the card's data, expiry,
/// and last a QR that does not match the chip.
struct DeskDecision: Sendable, Hashable {
    /// `accept` or `refer`.
    var accept: Bool
    /// Why.
    var reason: DeskReason

    /// Decides from what the chip read said; `policy` (`[authenticity] health_accepts`) says which verdicts are
    /// accepted (by default `genuine` and `verifiedOffline`).
    init(
        authenticity: AuthenticityVerdict, policy: AuthenticityPolicy, consistency: DataGroupConsistency,
        expired: Bool, qrMismatch: Bool
    ) {
        if !policy.healthAccepts(authenticity) {
            accept = false
            reason = Self.refusal(authenticity)
        } else if consistency == .mismatch {
            accept = false
            reason = DeskReason(code: "desk.dg1_dg13_mismatch", Message(.deskDg1Dg13Mismatch))
        } else if expired {
            accept = false
            reason = DeskReason(code: "desk.card_expired", Message(.deskCardExpired))
        } else if qrMismatch {
            accept = false
            reason = DeskReason(code: "desk.qr_mismatch", Message(.deskQrMismatch))
        } else if authenticity == .genuine {
            accept = true
            reason = DeskReason(code: "desk.accepted", Message(.deskAccepted))
        } else {
            accept = true
            reason = DeskReason(code: "desk.accepted_offline", Message(.deskAcceptedOffline))
        }
    }

    /// The refer reason of a verdict the health policy does not accept.
    static func refusal(_ verdict: AuthenticityVerdict) -> DeskReason {
        switch verdict {
        case .genuine, .verifiedOffline:
            // Only when the station's policy was narrowed (e.g. `health_accepts = genuine`).
            return DeskReason(code: "desk.not_accepted_here", Message(.deskNotAcceptedHere))
        case .clone:
            return DeskReason(code: "desk.clone", Message(.deskClone))
        case .hashMismatch:
            return DeskReason(code: "desk.altered", Message(.deskAltered))
        case .untrustedSigner:
            return DeskReason(code: "desk.untrusted_signer", Message(.deskUntrustedSigner))
        case .chainInvalid:
            return DeskReason(code: "desk.chain_invalid", Message(.deskChainInvalid))
        case .unconfirmed:
            return DeskReason(code: "desk.unconfirmed", Message(.deskUnconfirmed))
        case .notChecked, .noCard:
            // `noCard` is never a chip's verdict (a card was read); said as "not checked" all the same.
            return DeskReason(code: "desk.not_checked", Message(.deskNotChecked))
        }
    }
}
