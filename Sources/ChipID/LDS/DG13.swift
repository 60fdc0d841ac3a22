/// DG13 of a Vietnamese CCCD (tag `6D`): the citizen's personal data, UTF-8 with diacritics. Parsed by walking the
/// TLV and keying each field by its number (`30 { 02 n, value… }` inside a SET), never by offsets. Personal data:
/// `description` shows which fields are present, never their values.
public struct CitizenInfo: Sendable, Hashable, CustomStringConvertible {
    /// 1: số định danh cá nhân (12 digits).
    public var idNumber: String?
    /// 2: họ, chữ đệm và tên (with diacritics).
    public var fullName: String?
    /// 3: ngày sinh, `dd/MM/yyyy` as stored.
    public var dateOfBirth: String?
    /// 4: giới tính ("Nam" / "Nữ").
    public var sex: String?
    /// 5: quốc tịch ("Việt Nam").
    public var nationality: String?
    /// 6: dân tộc.
    public var ethnicity: String?
    /// 7: tôn giáo.
    public var religion: String?
    /// 8: quê quán (2024 card: nơi đăng ký khai sinh).
    public var placeOfOrigin: String?
    /// 9: nơi thường trú (2024 card: nơi cư trú).
    public var placeOfResidence: String?
    /// 10: đặc điểm nhận dạng.
    public var identifyingMarks: String?
    /// 11: ngày cấp, `dd/MM/yyyy`.
    public var dateOfIssue: String?
    /// 12: ngày hết hạn, `dd/MM/yyyy` or "Không thời hạn".
    public var dateOfExpiry: String?
    /// 13: họ tên cha (first string under field 13).
    public var fatherName: String?
    /// 13: họ tên mẹ (second string under field 13, whichever nesting the card uses).
    public var motherName: String?
    /// 14: họ tên vợ/chồng (nil when empty).
    public var spouseName: String?
    /// 15: số CMND cũ (9 digits), when any.
    public var oldIDNumber: String?
    /// 16: meaning unknown; the raw value bytes (TLVs after the field number) are kept.
    public var field16Raw: [UInt8]?
    /// Other field numbers seen, with their raw value bytes.
    public var otherFields: [Int: [UInt8]]

    /// Whether field 12 says "no expiry".
    public var hasNoExpiry: Bool {
        guard let expiry = dateOfExpiry?.lowercased() else { return false }
        return expiry.contains("không") || expiry.contains("khong")
    }

    /// Parses DG13 bytes.
    public init(_ bytes: [UInt8]) throws(ChipIDError) {
        let outer = try TLV.single(bytes, expecting: 0x6D, "DG13")
        guard let set = try Self.findFieldSet(outer, depth: 0) else {
            throw ChipIDError(.malformedFile, "DG13: no SET of numbered fields")
        }
        var strings: [Int: [String]] = [:]
        var raw: [Int: [UInt8]] = [:]
        for field in try set.children() {
            guard field.tag == 0x30 else { throw ChipIDError(.malformedFile, "DG13: field is not a SEQUENCE") }
            let parts = try field.children()
            guard let numberObject = parts.first, numberObject.tag == 0x02 else {
                throw ChipIDError(.malformedFile, "DG13: field without a number")
            }
            let number = try ASN1.smallInt(numberObject.value)
            guard strings[number] == nil else { throw ChipIDError(.malformedFile, "DG13: field \(number) repeated") }
            var collected: [String] = []
            for part in parts.dropFirst() { try Self.collectStrings(part, into: &collected, depth: 0) }
            strings[number] = collected
            raw[number] = parts.dropFirst().flatMap(\.encoded)
        }
        func text(_ n: Int) -> String? { strings[n]?.first { !$0.isEmpty } }
        idNumber = text(1)
        fullName = text(2)
        dateOfBirth = text(3)
        sex = text(4)
        nationality = text(5)
        ethnicity = text(6)
        religion = text(7)
        placeOfOrigin = text(8)
        placeOfResidence = text(9)
        identifyingMarks = text(10)
        dateOfIssue = text(11)
        dateOfExpiry = text(12)
        let parents = strings[13] ?? []
        fatherName = parents.count > 0 && !parents[0].isEmpty ? parents[0] : nil
        motherName = parents.count > 1 && !parents[1].isEmpty ? parents[1] : nil
        spouseName = text(14)
        oldIDNumber = text(15)
        field16Raw = raw[16]
        otherFields = raw.filter { $0.key < 1 || $0.key > 16 }
    }

    /// Finds the SET whose children are numbered SEQUENCEs (normally `6D { 30 { 02, 06, 31 {…} } }`).
    private static func findFieldSet(_ object: TLV, depth: Int) throws(ChipIDError) -> TLV? {
        guard depth < 4, object.isConstructed else { return nil }
        for child in try object.children() {
            if child.tag == 0x31 { return child }
            if child.tag == 0x30, let found = try findFieldSet(child, depth: depth + 1) { return found }
        }
        return nil
    }

    /// Strings inside a field value (UTF8String `0C`, PrintableString `13`, IA5String `16`, or nested SEQUENCEs).
    private static func collectStrings(_ object: TLV, into out: inout [String], depth: Int) throws(ChipIDError) {
        switch object.tag {
        case 0x0C, 0x13, 0x16, 0x14, 0x1E:
            guard let text = String(validating: object.value, as: UTF8.self) else {
                throw ChipIDError(.malformedFile, "DG13: a text field is not valid UTF-8")
            }
            out.append(text.trimmingWhitespace())
        case 0x30, 0x31:
            guard depth < 4 else { throw ChipIDError(.malformedFile, "DG13: nesting too deep") }
            for child in try object.children() { try collectStrings(child, into: &out, depth: depth + 1) }
        case 0x02:
            break  // nested field numbers (field 13's sub-sequences may repeat a number)
        default:
            break
        }
    }

    /// Field numbers present, no values.
    public var description: String {
        let present: [(String, Bool)] = [
            ("id", idNumber != nil), ("name", fullName != nil),
            ("dob", dateOfBirth != nil), ("father", fatherName != nil),
            ("mother", motherName != nil),
        ]
        return "CitizenInfo(" + present.filter(\.1).map(\.0).joined(separator: ",") + ")"
    }
}

/// A disagreement between DG1 (MRZ) and DG13. Names the field only, never values.
public struct DataMismatch: Sendable, Hashable, CustomStringConvertible {
    /// Which datum disagrees.
    public enum Field: String, Sendable, Hashable {
        case idNumber, dateOfBirth, sex, dateOfExpiry
    }

    /// The field.
    public var field: Field
    /// Why (without values).
    public var reason: String

    public var description: String { "\(field.rawValue): \(reason)" }

    /// Compares DG1's MRZ with DG13: ID number, date of birth, sex and expiry ("Không thời hạn" ⇔ `991231`).
    public static func crossCheck(mrz: MRZ, citizen: CitizenInfo) -> [DataMismatch] {
        var out: [DataMismatch] = []
        if let id = citizen.idNumber {
            if let mrzID = mrz.citizenIDNumber {
                if mrzID != id { out.append(DataMismatch(field: .idNumber, reason: "ID number differs")) }
            } else if mrz.documentNumber != String(id.suffix(9)) {
                out.append(DataMismatch(field: .idNumber, reason: "document number is not the ID's last 9 digits"))
            }
        } else {
            out.append(DataMismatch(field: .idNumber, reason: "DG13 has no ID number"))
        }
        if let dob = citizen.dateOfBirth.flatMap(yymmdd) {
            if dob != mrz.dateOfBirth { out.append(DataMismatch(field: .dateOfBirth, reason: "date of birth differs")) }
        } else {
            out.append(DataMismatch(field: .dateOfBirth, reason: "DG13 date of birth missing or not dd/MM/yyyy"))
        }
        switch (citizen.sex?.lowercased(), mrz.sex) {
        case ("nam", "M"), ("nữ", "F"), ("nu", "F"): break
        default: out.append(DataMismatch(field: .sex, reason: "sex differs or is missing"))
        }
        if citizen.hasNoExpiry {
            if !mrz.hasNoExpiry {
                out.append(DataMismatch(field: .dateOfExpiry, reason: "DG13 says no expiry, MRZ has one"))
            }
        } else if let expiry = citizen.dateOfExpiry.flatMap(yymmdd) {
            if expiry != mrz.dateOfExpiry { out.append(DataMismatch(field: .dateOfExpiry, reason: "expiry differs")) }
        } else {
            out.append(DataMismatch(field: .dateOfExpiry, reason: "DG13 expiry missing or not dd/MM/yyyy"))
        }
        return out
    }

    /// `dd/MM/yyyy` → `YYMMDD`.
    static func yymmdd(_ text: String) -> String? {
        let parts = text.split(separator: "/")
        guard parts.count == 3, parts[0].count == 2, parts[1].count == 2, parts[2].count == 4,
            parts.allSatisfy({ $0.allSatisfy(\.isASCIIDigit) })
        else { return nil }
        return String(parts[2].suffix(2)) + parts[1] + parts[0]
    }
}
