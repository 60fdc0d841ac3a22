import Foundation
import Intake
import Messages
import Testing

/// Intake's operator messages come from the catalog with their values, word for word as they read before the
/// catalog (the daemon's answers and the pty tests compare these texts).
@Suite struct IntakeMessageTextTests {
    func texts(_ error: IntakeError?) -> [String] {
        guard let error else { return [] }
        return [error.vietnamese, error.english]
    }

    func firstError(_ body: () throws -> Void) -> IntakeError? {
        do {
            try body()
            return nil
        } catch let error as IntakeError {
            return error
        } catch {
            return nil
        }
    }

    @Test func validationMessagesReadAsBefore() {
        var application = validApplication(born: date("2013-02-10"))
        application.fingerprints = [capture(.leftIndex, quality: 1)]
        application.bundle = .fourInOne(BankAccountRequest(bankBIN: "970436"), benefits: [])
        let errors = ValidationPolicy().rules.check(application, in: context())
        let byCode = Dictionary(errors.map { ($0.code, $0) }, uniquingKeysWith: { first, _ in first })
        #expect(
            texts(byCode[.underAge]) == [
                "Công dân chưa đủ 14 tuổi, chưa đăng ký được tài khoản định danh mức 2. Hẹn lại từ ngày 2027-02-10.",
                "The citizen is under 14; a level-2 account cannot be registered yet. Invite them back on or after "
                    + "2027-02-10.",
            ])
        #expect(
            texts(byCode[.fingerprintLowQuality]) == [
                "Vân tay ngón trỏ tay trái chất lượng thấp (1 < 40). Lau ngón tay và máy quét rồi lấy lại, hoặc "
                    + "ghi nhận lý do.",
                "The left index finger print quality is low (1 < 40). Clean the finger and scanner and retry, or "
                    + "record why.",
            ])
        #expect(
            texts(byCode[.fingerprintMissing]) == [
                "Chưa lấy vân tay ngón trỏ tay phải. Lấy vân tay, hoặc ghi nhận lý do (mất ngón, chấn thương).",
                "No print for the right index finger. Capture it, or record why (missing finger, injury).",
            ])
        #expect(
            texts(byCode[.bundleDetails]) == [
                "Thông tin gói dịch vụ chưa đủ: chưa chọn khoản an sinh. Bổ sung trước khi xác nhận.",
                "Bundle details incomplete: no benefit chosen. Complete them before confirming.",
            ])
    }

    @Test func phoneAndPortraitMessagesReadAsBefore() {
        #expect(
            texts(firstError { _ = try PhoneNumber(parsing: "0243 825 1234") }) == [
                "Số máy bàn không nhận được tin nhắn kích hoạt VNeID. Hãy hỏi công dân số di động đang dùng.",
                "A landline cannot receive the VNeID activation SMS. Ask the citizen for the mobile number in use.",
            ])
        #expect(
            texts(firstError { _ = try LivePortrait(jpeg: Data(repeating: 0xFF, count: 20_000)) }) == [
                "Ảnh chân dung không phải tệp JPEG hợp lệ (no SOI/EOI markers). Kiểm tra máy ảnh và chụp lại.",
                "The portrait is not a valid JPEG (no SOI/EOI markers). Check the camera and take it again.",
            ])
    }

    @Test func fingersAreNamedInEitherLanguage() {
        #expect(FingerPosition.rightIndex.vietnameseName == "ngón trỏ tay phải")
        #expect(FingerPosition.leftLittle.vietnameseName == "ngón út tay trái")
        #expect(FingerPosition.leftRing.englishName == "left ring finger")
        #expect(FingerPosition.rightThumb.name.text(.english) == "right thumb")
    }

    @Test func qrMessagesReadAsBefore() {
        #expect(
            CardQRError(.fieldCount, field: nil, count: 3).vietnamese
                == "Mã QR có 3 trường, thẻ CCCD có 7 (thẻ mới 11). Quét lại mã QR trên thẻ, hoặc nhập CAN (6 số cuối "
                + "của số định danh).")
        #expect(
            CardQRError(.sex, field: 5).english
                == "Field 5 (sex) is neither Nam nor Nữ. Scan the card's QR code again, or type the CAN (last 6 digits "
                + "of the ID number).")
    }
}
