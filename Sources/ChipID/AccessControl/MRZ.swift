/// A parsed, check-digit-verified machine-readable zone: TD1 (ID cards such as the CCCD, 3×30) or TD3 (passports,
/// 2×44). Dates stay as the MRZ writes them (`YYMMDD`); `991231` as expiry means "no expiry" on a CCCD.
public struct MRZ: Sendable, Hashable, CustomStringConvertible {
    /// The two MRZ layouts this reader accepts.
    public enum Format: String, Sendable, Hashable {
        /// 3 lines of 30 characters (ID cards).
        case td1
        /// 2 lines of 44 characters (passports).
        case td3
    }

    /// TD1 or TD3.
    public var format: Format
    /// Document code, fillers removed (e.g. `ID`, `P`, `I`).
    public var documentCode: String
    /// Issuing state or organisation (e.g. `VNM`).
    public var issuingState: String
    /// Document number without fillers, including the overflow part of a long TD1 number.
    public var documentNumber: String
    /// The document number's check digit.
    public var documentNumberCheckDigit: Character
    /// Date of birth, `YYMMDD` (may contain `<` for unknown parts).
    public var dateOfBirth: String
    /// `M`, `F` or `<` (unspecified).
    public var sex: Character
    /// Date of expiry, `YYMMDD`.
    public var dateOfExpiry: String
    /// Nationality code.
    public var nationality: String
    /// Optional data (TD1 line 1 part after the document number, or TD3 personal number), fillers kept.
    public var optionalData1: String
    /// TD1 line 2 optional data, fillers kept (empty for TD3).
    public var optionalData2: String
    /// Primary identifier (surname), `<` turned to spaces.
    public var primaryIdentifier: String
    /// Secondary identifier (given names), `<` turned to spaces.
    public var secondaryIdentifier: String
    /// The MRZ lines as parsed.
    public var lines: [String]

    /// The 12-digit CCCD identity number from the TD1 optional data, when the document is Vietnamese and it is there.
    public var citizenIDNumber: String? {
        guard format == .td1, issuingState == "VNM" else { return nil }
        let candidate = String(optionalData1.prefix(12))
        return candidate.count == 12 && candidate.allSatisfy(\.isASCIIDigit) ? candidate : nil
    }

    /// Whether the expiry means "no expiry" (CCCD: `991231`, printed as "Không thời hạn").
    public var hasNoExpiry: Bool { dateOfExpiry == "991231" }

    /// The BAC / PACE-MRZ key seed (document number, date of birth, date of expiry with their check digits).
    public var keySeed: MRZKeySeed {
        MRZKeySeed(uncheckedDocumentNumber: documentNumber, dateOfBirth: dateOfBirth, dateOfExpiry: dateOfExpiry)
    }

    /// Parses MRZ text: lines separated by newlines (CR/LF) or run together; spaces are ignored and letters
    /// upper-cased. Every check digit is verified; an error names the first wrong field.
    public init(_ text: String) throws(MRZError) {
        let cleaned = text.uppercased().unicodeScalars.filter { $0 != " " && $0 != "\t" && $0 != "\r" }
        var lines = String(String.UnicodeScalarView(cleaned)).split(separator: "\n", omittingEmptySubsequences: true)
            .map(String.init)
        if lines.count == 1 {
            let joined = lines[0]
            switch joined.count {
            case 90: lines = Self.chunk(joined, 30)
            case 88: lines = Self.chunk(joined, 44)
            default: throw MRZError(.layout, .layout, "MRZ of \(joined.count) characters is neither TD1 nor TD3")
            }
        }
        guard lines.allSatisfy({ $0.utf8.allSatisfy(Self.isMRZByte) }) else {
            throw MRZError(.layout, .layout, "MRZ has characters outside A-Z, 0-9 and <")
        }
        if lines.count == 3, lines.allSatisfy({ $0.count == 30 }) {
            try self.init(td1: lines)
        } else if lines.count == 2, lines.allSatisfy({ $0.count == 44 }) {
            try self.init(td3: lines)
        } else {
            throw MRZError(.layout, .layout, "expected 3 lines of 30 or 2 lines of 44 characters")
        }
    }

    private init(td1 l: [String]) throws(MRZError) {
        let line1 = Array(l[0])
        let line2 = Array(l[1])
        let line3 = Array(l[2])
        format = .td1
        lines = l
        documentCode = Self.strip(line1[0..<2])
        issuingState = Self.strip(line1[2..<5])
        let numberField = String(line1[5..<14])
        let optional = String(line1[15..<30])
        if line1[14] == "<" {
            // Long document number: the rest of it and its check digit start the optional data (9303-5 §4.2.4).
            guard let end = optional.firstIndex(of: "<"), end != optional.startIndex else {
                throw MRZError(.format, .documentNumber, "long document number has no overflow in the optional data")
            }
            let overflow = optional[..<end]
            documentNumber = Self.strip(numberField[...]) + String(overflow.dropLast())
            documentNumberCheckDigit = overflow.last!
            // The check digit covers the full number, the filler position included (e.g. "D23145890734").
            let covered = numberField + String(overflow.dropLast())
            guard MRZCheckDigit.verify(covered, digit: documentNumberCheckDigit) else {
                throw MRZError(.checkDigit, .documentNumber, "document number check digit does not match")
            }
            optionalData1 = String(optional[optional.index(after: end)...])
        } else {
            documentNumber = Self.strip(numberField[...])
            documentNumberCheckDigit = line1[14]
            guard MRZCheckDigit.verify(numberField, digit: line1[14]) else {
                throw MRZError(.checkDigit, .documentNumber, "document number check digit does not match")
            }
            optionalData1 = optional
        }
        dateOfBirth = String(line2[0..<6])
        try Self.checkDate(dateOfBirth, digit: line2[6], field: .dateOfBirth)
        sex = line2[7]
        try Self.checkSex(sex)
        dateOfExpiry = String(line2[8..<14])
        try Self.checkDate(dateOfExpiry, digit: line2[14], field: .dateOfExpiry)
        nationality = Self.strip(line2[15..<18])
        optionalData2 = String(line2[18..<29])
        let idCandidate = optionalData1.prefix(12)
        if issuingState == "VNM", documentCode.hasPrefix("I"), idCandidate.count == 12,
            idCandidate.allSatisfy(\.isASCIIDigit), !MRZCheckDigit.verify(String(line1[15..<29]), digit: line1[29])
        {
            throw MRZError(.checkDigit, .optionalData, "optional data (ID number) check digit does not match")
        }
        let composite = String(line1[5..<30]) + String(line2[0..<7]) + String(line2[8..<15]) + String(line2[18..<29])
        guard MRZCheckDigit.verify(composite, digit: line2[29]) else {
            throw MRZError(.checkDigit, .composite, "composite check digit does not match")
        }
        (primaryIdentifier, secondaryIdentifier) = Self.names(String(line3))
        try validateCCCD()
    }

    private init(td3 l: [String]) throws(MRZError) {
        let line1 = Array(l[0])
        let line2 = Array(l[1])
        format = .td3
        lines = l
        documentCode = Self.strip(line1[0..<2])
        issuingState = Self.strip(line1[2..<5])
        (primaryIdentifier, secondaryIdentifier) = Self.names(String(line1[5..<44]))
        let numberField = String(line2[0..<9])
        documentNumber = Self.strip(line2[0..<9])
        documentNumberCheckDigit = line2[9]
        guard MRZCheckDigit.verify(numberField, digit: line2[9]) else {
            throw MRZError(.checkDigit, .documentNumber, "document number check digit does not match")
        }
        nationality = Self.strip(line2[10..<13])
        dateOfBirth = String(line2[13..<19])
        try Self.checkDate(dateOfBirth, digit: line2[19], field: .dateOfBirth)
        sex = line2[20]
        try Self.checkSex(sex)
        dateOfExpiry = String(line2[21..<27])
        try Self.checkDate(dateOfExpiry, digit: line2[27], field: .dateOfExpiry)
        optionalData1 = String(line2[28..<42])
        optionalData2 = ""
        let optionalDigit = line2[42]
        let allFillers = optionalData1.allSatisfy { $0 == "<" }
        guard (allFillers && optionalDigit == "<") || MRZCheckDigit.verify(optionalData1, digit: optionalDigit) else {
            throw MRZError(.checkDigit, .optionalData, "personal number check digit does not match")
        }
        let composite = String(line2[0..<10]) + String(line2[13..<20]) + String(line2[21..<43])
        guard MRZCheckDigit.verify(composite, digit: line2[43]) else {
            throw MRZError(.checkDigit, .composite, "composite check digit does not match")
        }
    }

    /// CCCD (TD1, `VNM`) rules: the optional data carries the 12-digit ID with its own check digit at position 30,
    /// and the 9-digit document number is the ID's last 9 digits.
    private func validateCCCD() throws(MRZError) {
        guard issuingState == "VNM", documentCode.hasPrefix("I") else { return }
        guard let id = citizenIDNumber else { return }
        guard documentNumber == String(id.suffix(9)) else {
            throw MRZError(.inconsistent, .citizenID, "document number is not the last 9 digits of the ID number")
        }
    }

    private static func checkDate(_ date: String, digit: Character, field: MRZField) throws(MRZError) {
        guard date.count == 6, date.allSatisfy({ $0.isASCIIDigit || $0 == "<" }) else {
            throw MRZError(.format, field, "date is not YYMMDD")
        }
        if date.allSatisfy(\.isASCIIDigit) {
            let month = Int(date.dropFirst(2).prefix(2))!
            let day = Int(date.suffix(2))!
            guard (1...12).contains(month), (1...31).contains(day) else {
                throw MRZError(.format, field, "date has an impossible month or day")
            }
        }
        guard MRZCheckDigit.verify(date, digit: digit) else {
            throw MRZError(.checkDigit, field, "check digit does not match")
        }
    }

    private static func checkSex(_ sex: Character) throws(MRZError) {
        guard sex == "M" || sex == "F" || sex == "<" || sex == "X" else {
            throw MRZError(.format, .sex, "sex is not M, F, X or <")
        }
    }

    private static func names(_ field: String) -> (String, String) {
        let parts = field.split(separator: "<<", maxSplits: 1, omittingEmptySubsequences: false)
        func clean(_ s: Substring?) -> String {
            guard let s else { return "" }
            return s.split(separator: "<", omittingEmptySubsequences: true).joined(separator: " ")
        }
        return (clean(parts.first), clean(parts.count > 1 ? parts[1] : nil))
    }

    private static func strip(_ chars: ArraySlice<Character>) -> String {
        String(chars).replacingFillers()
    }

    private static func strip(_ chars: Substring) -> String {
        String(chars).replacingFillers()
    }

    private static func chunk(_ text: String, _ size: Int) -> [String] {
        let chars = Array(text)
        return stride(from: 0, to: chars.count, by: size).map { String(chars[$0..<min($0 + size, chars.count)]) }
    }

    private static func isMRZByte(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
            || byte == UInt8(ascii: "<")
    }

    /// Format and document code only: an MRZ is personal data.
    public var description: String { "MRZ(\(format.rawValue), \(documentCode), \(issuingState))" }
}

extension String {
    /// Trailing `<` fillers removed (inner fillers kept).
    fileprivate func replacingFillers() -> String {
        var copy = self
        while copy.last == "<" { copy.removeLast() }
        return copy
    }
}

extension Character {
    /// `0`–`9` only (not other Unicode digits).
    var isASCIIDigit: Bool { ("0"..."9").contains(self) && utf8.count == 1 }
}
