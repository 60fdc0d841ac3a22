import Foundation

/// A synthetic citizen for a simulated CCCD (`Devices/cards/*.json`). Every value is made up. Dates are ISO
/// `yyyy-MM-dd`; `dateOfExpiry` null means "Không thời hạn" (no expiry, MRZ `991231`).
public struct CitizenDataSet: Sendable, Hashable, Codable {
    /// What this data set exercises (for people reading the JSON).
    public var note: String?
    /// The 12-digit ID number (số định danh cá nhân).
    public var idNumber: String
    /// Full name with diacritics ("Nguyễn Văn A").
    public var fullName: String
    /// Date of birth, `yyyy-MM-dd`.
    public var dateOfBirth: String
    /// `M` or `F`.
    public var sex: String
    /// Date of issue, `yyyy-MM-dd`.
    public var dateOfIssue: String
    /// Date of expiry, `yyyy-MM-dd`, or nil for "Không thời hạn".
    public var dateOfExpiry: String?
    /// Quốc tịch (DG13 field 5), default "Việt Nam".
    public var nationality: String?
    /// Dân tộc.
    public var ethnicity: String?
    /// Tôn giáo.
    public var religion: String?
    /// Quê quán / nơi đăng ký khai sinh.
    public var placeOfOrigin: String?
    /// Nơi thường trú / nơi cư trú.
    public var placeOfResidence: String?
    /// Đặc điểm nhận dạng.
    public var identifyingMarks: String?
    /// Father's name.
    public var fatherName: String?
    /// Mother's name.
    public var motherName: String?
    /// Spouse's name (nil: field 14 is the empty `30 03 02 01 0E`).
    public var spouseName: String?
    /// Old 9-digit CMND number (field 15), if any.
    public var oldIDNumber: String?
    /// Field 16 (16 characters, meaning unknown on real cards).
    public var field16: String?
    /// The synthetic portrait.
    public var photo: Photo?

    /// The synthetic portrait: a generated grey JPEG of this size, padded with a JPEG comment to `bytes`.
    public struct Photo: Sendable, Hashable, Codable {
        /// Width in pixels.
        public var width: Int
        /// Height in pixels.
        public var height: Int
        /// Grey level 0...255.
        public var gray: Int?
        /// Total JPEG size to reach (the comment segment fills the rest), for realistic transfer sizes.
        public var bytes: Int?
    }

    /// Loads a data set from JSON.
    public static func load(_ url: URL) throws -> CitizenDataSet {
        try JSONDecoder().decode(CitizenDataSet.self, from: Data(contentsOf: url))
    }

    /// The CAN: the last 6 digits of the ID number.
    public var can: String { String(idNumber.suffix(6)) }

    /// `yyyy-MM-dd` → `YYMMDD`.
    static func yymmdd(_ iso: String) -> String {
        let parts = iso.split(separator: "-")
        guard parts.count == 3 else { return iso }
        return String(parts[0].suffix(2)) + parts[1] + parts[2]
    }

    /// `yyyy-MM-dd` → `dd/MM/yyyy` (DG13's date format).
    static func ddMMyyyy(_ iso: String) -> String {
        let parts = iso.split(separator: "-")
        guard parts.count == 3 else { return iso }
        return "\(parts[2])/\(parts[1])/\(parts[0])"
    }

    /// Date of birth as `YYMMDD`.
    public var dateOfBirthYYMMDD: String { Self.yymmdd(dateOfBirth) }
    /// Date of expiry as `YYMMDD` (`991231` for no expiry).
    public var dateOfExpiryYYMMDD: String { dateOfExpiry.map(Self.yymmdd) ?? "991231" }
    /// DG13 field 3.
    public var dateOfBirthText: String { Self.ddMMyyyy(dateOfBirth) }
    /// DG13 field 11.
    public var dateOfIssueText: String { Self.ddMMyyyy(dateOfIssue) }
    /// DG13 field 12 ("Không thời hạn" for no expiry).
    public var dateOfExpiryText: String { dateOfExpiry.map(Self.ddMMyyyy) ?? "Không thời hạn" }
    /// DG13 field 4.
    public var sexText: String { sex == "F" ? "Nữ" : "Nam" }
}
