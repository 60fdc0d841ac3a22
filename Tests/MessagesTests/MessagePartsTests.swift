import Messages
import Testing

/// A placeholder whose value is itself a message (a finger's name, a problem's detail) is shown in the language of
/// the message around it.
@Suite struct MessagePartsTests {
    @Test func aNestedMessageFollowsTheReadersLanguage() {
        let message = Message(.intakeFingerprintMissing, parts: ["finger": Message(.fingerLeftIndex)])
        #expect(message.text(.vietnamese).hasPrefix("Chưa lấy vân tay ngón trỏ tay trái."))
        #expect(message.text(.english).hasPrefix("No print for the left index finger."))
        #expect(message.description == message.text(.vietnamese))
    }

    @Test func partsAndArgumentsFillTogetherAndCompareByValue() {
        let low = Message(
            .intakeFingerprintLowQuality, ["quality": "12", "minimum": "40"],
            parts: ["finger": Message(.fingerRightThumb)])
        #expect(low.text(.english).hasPrefix("The right thumb print quality is low (12 < 40)."))
        let same = Message(
            .intakeFingerprintLowQuality, ["quality": "12", "minimum": "40"],
            parts: ["finger": Message(.fingerRightThumb)])
        let other = Message(
            .intakeFingerprintLowQuality, ["quality": "12", "minimum": "40"],
            parts: ["finger": Message(.fingerLeftThumb)])
        #expect(low == same && low != other)
    }

    @Test func aMessageWithoutPartsReadsAsBefore() {
        #expect(
            Message(.inputBothForms, ["option": "can"]).text(.vietnamese) == "Chỉ dùng một trong --can và --can-file.")
        #expect(Message(.ctlDoctorFailed, ["count": "2"]).text(.english) == "2 check(s) failed.")
    }
}
