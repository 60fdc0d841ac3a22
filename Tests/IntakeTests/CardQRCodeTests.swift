import Foundation
import Intake
import Testing

@Suite("The card's QR code (CCCD-CHIP.md §4)")
struct CardQRCodeTests {
    static let old = "001099012345|123456789|Nguyễn Văn An|01011999|Nam|Số 12 Ngõ 34, Phường Dịch Vọng|15042021"
    static let new2024 = "079304001234||Trần Thị Bích|29022004|Nữ|Phường Bến Nghé, TP Hồ Chí Minh|02082024||||"

    @Test func cccd2021SevenFields() throws {
        let qr = try CardQRCode(parsing: Self.old)
        #expect(qr.layout == .cccd2021)
        #expect(qr.idNumber.digits == "001099012345")
        #expect(qr.oldIDNumber == "123456789")
        #expect(qr.fullName == "Nguyễn Văn An")
        #expect(qr.dateOfBirth == date("1999-01-01"))
        #expect(qr.sex == .male)
        #expect(qr.residence == "Số 12 Ngõ 34, Phường Dịch Vọng")
        #expect(qr.issueDate == date("2021-04-15"))
        #expect(qr.trailingFields.isEmpty)
        #expect(qr.can == "012345")
    }

    @Test func canCuoc2024ElevenFields() throws {
        let qr = try CardQRCode(parsing: Self.new2024)
        #expect(qr.layout == .canCuoc2024)
        #expect(qr.oldIDNumber == nil)
        #expect(qr.sex == .female)
        #expect(qr.dateOfBirth == date("2004-02-29"))
        #expect(qr.issueDate == date("2024-08-02"))
        #expect(qr.trailingFields == ["", "", "", ""])
        #expect(qr.can == "001234")
    }

    @Test func zaloSixFieldsWithSlashedDates() throws {
        let qr = try CardQRCode(parsing: "001099012345|Nguyễn Văn An|01/01/1999|Nam|Hà Nội|15/04/2021")
        #expect(qr.layout == .zalo)
        #expect(qr.oldIDNumber == nil)
        #expect(qr.dateOfBirth == date("1999-01-01"))
        #expect(qr.issueDate == date("2021-04-15"))
    }

    @Test func scannerBOMAndLineEndAreRemovedAndNamesNormalized() throws {
        // "Nữ" decomposed (u + combining horn + combining tilde) as some scanners send it.
        let decomposed = "Nu\u{031B}\u{0303}"
        let qr = try CardQRCode(
            parsing: "\u{FEFF}" + Self.new2024.replacingOccurrences(of: "Nữ", with: decomposed)
                + "\r\n")
        #expect(qr.sex == .female)
        #expect(qr.idNumber.digits == "079304001234")
    }

    @Test func descriptionShowsNoPersonalData() throws {
        let qr = try CardQRCode(parsing: Self.old)
        let shown = "\(qr) \(String(reflecting: qr))"
        #expect(!shown.contains("Nguyễn"))
        #expect(!shown.contains("001099012345"))
        #expect(!shown.contains("1999"))
        #expect(shown.contains("*********345"))
    }

    @Test(arguments: [
        ("", CardQRError.Code.empty, nil as Int?),
        ("   \r\n", .empty, nil),
        ("hello world", .fieldCount, nil),
        // 6 fields = Zalo's layout (no old ID): its name field holds digits (field 3 of the 7-field layout).
        ("001099012345|123456789|A|01011999|Nam|X", .fullName, 3),
        ("00109901234|123456789|Nguyễn Văn An|01011999|Nam|Hà Nội|15042021", .idNumber, 1),
        ("00109901234X|123456789|Nguyễn Văn An|01011999|Nam|Hà Nội|15042021", .idNumber, 1),
        ("001099012345|12345678|Nguyễn Văn An|01011999|Nam|Hà Nội|15042021", .oldIDNumber, 2),
        ("001099012345|123456789||01011999|Nam|Hà Nội|15042021", .fullName, 3),
        ("001099012345|123456789|Nguyễn Văn 4n|01011999|Nam|Hà Nội|15042021", .fullName, 3),
        ("001099012345|123456789|Nguyễn Văn An|31021999|Nam|Hà Nội|15042021", .dateOfBirth, 4),
        ("001099012345|123456789|Nguyễn Văn An|1999-01-01|Nam|Hà Nội|15042021", .dateOfBirth, 4),
        ("001099012345|123456789|Nguyễn Văn An|01011999|Male|Hà Nội|15042021", .sex, 5),
        ("001099012345|123456789|Nguyễn Văn An|01011999|Nam|Hà Nội|1504202", .issueDate, 7),
        ("001099012345|123456789|Nguyễn Văn An|01011999|Nam|Hà Nội|15041998", .issueDate, 7),
        ("001099012345|123456789|Nguyễn Văn An|01011999|Nam|Hà Nội|15042021|x|y", .fieldCount, nil),
    ])
    func malformedIsATypedErrorNamingTheField(text: String, code: CardQRError.Code, field: Int?) {
        #expect {
            _ = try CardQRCode(parsing: text)
        } throws: { error in
            guard let error = error as? CardQRError else { return false }
            return error.code == code && error.field == field && !error.vietnamese.isEmpty
                && !error.english.contains("Nguyễn") && !error.vietnamese.contains("001099012345")
        }
    }

    @Test func tooLongIsRefused() {
        let text = String(repeating: "1|", count: 600) + "1"
        #expect(throws: CardQRError(.tooLong, field: nil)) { try CardQRCode(parsing: text) }
    }

    @Test func fieldCountErrorSaysHowMany() {
        do {
            _ = try CardQRCode(parsing: "a|b|c")
            Issue.record("parsed")
        } catch {
            #expect(error.count == 3)
            #expect(error.vietnamese.contains("3 trường"))
        }
    }

    // MARK: - Cross-check against the chip

    static let chip = ChipIdentity(
        idNumber: CitizenID("001099012345")!, fullName: "NGUYỄN  Văn An", dateOfBirth: date("1999-01-01"),
        sex: .male, expiry: date("2039-01-01"))

    @Test func agreeingQRIsConsistentWhateverCaseOrSpacing() throws {
        let qr = try CardQRCode(parsing: Self.old)
        let check = QRCrossCheck(
            qr: qr, chip: Self.chip, residence: " số 12 Ngõ 34,  Phường Dịch Vọng", issueDate: date("2021-04-15"))
        #expect(check.consistent)
        #expect(check.compared == [.idNumber, .fullName, .dateOfBirth, .sex, .residence, .issueDate])
    }

    @Test func everyDisagreementIsFlagged() throws {
        let qr = try CardQRCode(
            parsing: "001099012346|123456789|Nguyễn Văn Anh|02011999|Nữ|Hà Nội|16042021")
        let check = QRCrossCheck(qr: qr, chip: Self.chip, residence: "Huế", issueDate: date("2021-04-15"))
        #expect(!check.consistent)
        #expect(check.mismatches == [.idNumber, .fullName, .dateOfBirth, .sex, .residence, .issueDate])
    }

    @Test func withoutDG13FieldsOnlyTheIdentityIsCompared() throws {
        let qr = try CardQRCode(parsing: Self.old)
        let check = QRCrossCheck(qr: qr, chip: Self.chip)
        #expect(check.compared == [.idNumber, .fullName, .dateOfBirth, .sex])
        #expect(check.consistent)
    }
}
