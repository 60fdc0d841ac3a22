import ChipID
import Foundation

/// Writes a CCCD's TD1 MRZ (CCCD-CHIP.md §2): `IDVNM` + the last 9 digits of the ID + check digit + the 12-digit ID
/// + `<<` + check digit; birth, sex, expiry (`991231` for no expiry), `VNM`, composite check digit; the name in
/// ASCII without diacritics.
public enum CCCDMRZ {
    /// The three 30-character lines.
    public static func lines(for citizen: CitizenDataSet) -> [String] {
        let id = citizen.idNumber
        let document = String(id.suffix(9))
        let optional = id + "<<"
        var line1 = "IDVNM" + document + digit(document) + optional
        line1 += digit(optional)
        let birth = citizen.dateOfBirthYYMMDD
        let expiry = citizen.dateOfExpiryYYMMDD
        var line2 = birth + digit(birth) + (citizen.sex == "F" ? "F" : "M") + expiry + digit(expiry) + "VNM"
        line2 += String(repeating: "<", count: 11)
        let l1 = Array(line1)
        let l2 = Array(line2)
        let composite = String(l1[5..<30]) + String(l2[0..<7]) + String(l2[8..<15]) + String(l2[18..<29])
        line2 += digit(composite)
        return [line1, line2, nameLine(citizen.fullName)]
    }

    /// `SURNAME<<GIVEN<NAMES` in 30 characters, diacritics removed (Đ → D).
    public static func nameLine(_ fullName: String) -> String {
        let words = ascii(fullName).uppercased().split(whereSeparator: { !$0.isLetter })
        guard let surname = words.first else { return String(repeating: "<", count: 30) }
        var text = String(surname)
        if words.count > 1 { text += "<<" + words.dropFirst().joined(separator: "<") }
        text = String(text.prefix(30))
        return text + String(repeating: "<", count: 30 - text.count)
    }

    /// Vietnamese text folded to ASCII letters.
    public static func ascii(_ text: String) -> String {
        text.replacingOccurrences(of: "Đ", with: "D").replacingOccurrences(of: "đ", with: "d")
            .folding(options: [.diacriticInsensitive, .caseInsensitive], locale: Locale(identifier: "en_US_POSIX"))
    }

    private static func digit(_ field: String) -> String { String(MRZCheckDigit.compute(field) ?? "0") }
}
