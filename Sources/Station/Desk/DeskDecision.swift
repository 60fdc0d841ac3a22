import ControlAPI
import Intake

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
            reason = DeskReason(
                code: "desk.dg1_dg13_mismatch",
                vi: "Dữ liệu trong chip không khớp nhau (DG1/DG13): kiểm tra giấy tờ trực tiếp.",
                en: "The chip's data groups disagree (DG1/DG13): check the card by hand.")
        } else if expired {
            accept = false
            reason = DeskReason(
                code: "desk.card_expired", vi: "Thẻ đã hết hạn: hướng dẫn người bệnh làm lại thẻ, đối chiếu giấy tờ.",
                en: "The card has expired: ask the patient to renew it and check other documents.")
        } else if qrMismatch {
            accept = false
            reason = DeskReason(
                code: "desk.qr_mismatch",
                vi: "Mã QR không khớp với chip: dùng dữ liệu chip, kiểm tra lại thẻ đã quét.",
                en: "The QR code does not match the chip: the chip's data is shown; check which card was scanned.")
        } else if authenticity == .genuine {
            accept = true
            reason = DeskReason(
                code: "desk.accepted", vi: "Thẻ thật, còn hạn, dữ liệu chip khớp.",
                en: "Genuine card, valid, chip data consistent.")
        } else {
            accept = true
            reason = DeskReason(
                code: "desk.accepted_offline",
                vi: "Dữ liệu chip nguyên vẹn, chữ ký hợp lệ, chip không bị sao chép; trạm chưa có chứng thư gốc nên "
                    + "nơi cấp sẽ được trung tâm xác minh. So khuôn mặt với ảnh trong chip.",
                en: "The chip's data is intact, its signature valid and the chip not cloned; the station has no CSCA, "
                    + "so the issuer is checked by the central. Compare the face with the chip's portrait.")
        }
    }

    /// The refer reason of a verdict the health policy does not accept.
    static func refusal(_ verdict: AuthenticityVerdict) -> DeskReason {
        switch verdict {
        case .genuine, .verifiedOffline:
            // Only when the station's policy was narrowed (e.g. `health_accepts = genuine`).
            return DeskReason(
                code: "desk.not_accepted_here",
                vi: "Cấu hình của trạm không chấp nhận kết quả xác thực này: so khuôn "
                    + "mặt với ảnh trong chip và kiểm tra giấy tờ khác.",
                en: "The station's policy does not accept this result: compare the face with the chip's portrait and "
                    + "check other documents.")
        case .clone:
            return DeskReason(
                code: "desk.clone",
                vi: "Chip không vượt qua xác thực chống sao chép: thẻ có thể là bản sao. "
                    + "So khuôn mặt với ảnh trong chip và kiểm tra giấy tờ khác.",
                en: "The chip failed the anti-cloning check: the card may be a copy. Compare the face with the "
                    + "chip's portrait and check other documents.")
        case .hashMismatch:
            return DeskReason(
                code: "desk.altered",
                vi: "Dữ liệu chip đã bị sửa đổi (sai mã băm): không dùng thẻ này để xác định "
                    + "danh tính.",
                en: "The chip's data was altered (hash mismatch): do not use this card to identify the patient.")
        case .untrustedSigner:
            return DeskReason(
                code: "desk.untrusted_signer",
                vi: "Chữ ký của chip không do cơ quan cấp thẻ tin cậy ký: so khuôn "
                    + "mặt với ảnh trong chip và kiểm tra giấy tờ khác.",
                en: "The chip is not signed by a trusted issuer: compare the face with the chip's portrait and check "
                    + "other documents.")
        case .chainInvalid:
            return DeskReason(
                code: "desk.chain_invalid",
                vi: "Chứng thư ký của chip không hợp lệ (ví dụ đã hết hạn): so khuôn mặt "
                    + "với ảnh trong chip và kiểm tra giấy tờ khác.",
                en: "The chip's signing certificate is not valid (e.g. expired): compare the face with the chip's "
                    + "portrait and check other documents.")
        case .unconfirmed:
            return DeskReason(
                code: "desk.unconfirmed",
                vi: "Dữ liệu chip nguyên vẹn nhưng chưa kiểm tra được chống sao chép: so "
                    + "khuôn mặt với ảnh trong chip.",
                en: "The chip's data is intact but the anti-cloning check could not run: compare the face with the "
                    + "chip's portrait.")
        case .notChecked:
            return DeskReason(
                code: "desk.not_checked", vi: "Chưa xác thực được chip: so khuôn mặt với ảnh trong chip.",
                en: "The chip could not be authenticated: compare the face with the chip's portrait.")
        }
    }
}
