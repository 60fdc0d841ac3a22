/// The "MRZ information" that seeds BAC and PACE-MRZ: document number, date of birth and date of expiry, each with
/// its check digit (ICAO 9303-11 §9.7.2). Values are personal: `description` never shows them.
public struct MRZKeySeed: Sendable, Hashable, CustomStringConvertible {
    /// Document number without fillers (9 characters or more).
    public var documentNumber: String
    /// Date of birth `YYMMDD`.
    public var dateOfBirth: String
    /// Date of expiry `YYMMDD` (`991231` for a CCCD without expiry).
    public var dateOfExpiry: String

    /// Builds a seed after checking the fields' shape (document number of `0-9 A-Z <`, dates of 6 digits).
    public init(documentNumber: String, dateOfBirth: String, dateOfExpiry: String) throws(ChipIDError) {
        let number = documentNumber.uppercased()
        guard !number.isEmpty, MRZCheckDigit.compute(number) != nil else {
            throw ChipIDError(.invalidAccessKey, "document number must be 0-9, A-Z")
        }
        guard dateOfBirth.count == 6, dateOfBirth.allSatisfy(\.isASCIIDigit) else {
            throw ChipIDError(.invalidAccessKey, "date of birth must be YYMMDD")
        }
        guard dateOfExpiry.count == 6, dateOfExpiry.allSatisfy(\.isASCIIDigit) else {
            throw ChipIDError(.invalidAccessKey, "date of expiry must be YYMMDD")
        }
        self.init(uncheckedDocumentNumber: number, dateOfBirth: dateOfBirth, dateOfExpiry: dateOfExpiry)
    }

    init(uncheckedDocumentNumber: String, dateOfBirth: String, dateOfExpiry: String) {
        self.documentNumber = uncheckedDocumentNumber
        self.dateOfBirth = dateOfBirth
        self.dateOfExpiry = dateOfExpiry
    }

    /// `number + cd + DOB + cd + DOE + cd`; a number shorter than 9 characters is padded with `<`.
    public var information: String {
        var number = documentNumber
        while number.count < 9 { number.append("<") }
        func withDigit(_ field: String) -> String { field + String(MRZCheckDigit.compute(field) ?? "0") }
        return withDigit(number) + withDigit(dateOfBirth) + withDigit(dateOfExpiry)
    }

    /// SHA-1 of the MRZ information (20 bytes): the PACE-MRZ password and the source of the BAC seed.
    public var informationHash: [UInt8] { Hashing.sha1(Array(information.utf8)) }

    /// The BAC key seed: the first 16 bytes of `informationHash`.
    public var bacKeySeed: [UInt8] { Array(informationHash[0..<16]) }

    public var description: String { "MRZKeySeed(redacted)" }
}

/// What unlocks the chip: the CAN (for a CCCD the last 6 digits of the 12-digit ID) or the MRZ information.
public enum AccessKey: Sendable, Hashable, CustomStringConvertible {
    /// Card access number (digits), PACE only.
    case can(String)
    /// MRZ information: BAC, or PACE with the MRZ password.
    case mrz(MRZKeySeed)

    /// The CCCD access keys from what an operator types: the 12-digit ID number, date of birth and date of expiry
    /// (dates as `YYMMDD`, `dd/MM/yyyy`, `ddMMyyyy` or `yyyy-MM-dd`; expiry may be empty or "Không thời hạn", which
    /// the MRZ writes as `991231`). Returns the CAN (last 6 digits) and the MRZ seed (document number = last 9).
    public static func cccd(
        citizenID: String, dateOfBirth: String,
        dateOfExpiry: String
    ) throws(ChipIDError) -> (can: AccessKey, mrz: AccessKey) {
        let id = citizenID.filter { !$0.isWhitespace && $0 != "." && $0 != "-" }
        guard id.count == 12, id.allSatisfy(\.isASCIIDigit) else {
            throw ChipIDError(.invalidAccessKey, "the ID number must be 12 digits")
        }
        guard let dob = OperatorDate.yymmdd(dateOfBirth) else {
            throw ChipIDError(.invalidAccessKey, "date of birth is not a valid date")
        }
        let expiry: String
        if OperatorDate.meansNoExpiry(dateOfExpiry) {
            expiry = "991231"
        } else if let parsed = OperatorDate.yymmdd(dateOfExpiry) {
            expiry = parsed
        } else {
            throw ChipIDError(.invalidAccessKey, "date of expiry is not a valid date")
        }
        let seed = try MRZKeySeed(documentNumber: String(id.suffix(9)), dateOfBirth: dob, dateOfExpiry: expiry)
        return (.can(String(id.suffix(6))), .mrz(seed))
    }

    /// A CAN after checking it is 6 digits.
    public static func can(digits: String) throws(ChipIDError) -> AccessKey {
        guard digits.count == 6, digits.allSatisfy(\.isASCIIDigit) else {
            throw ChipIDError(.invalidAccessKey, "the CAN must be 6 digits")
        }
        return .can(digits)
    }

    /// The PACE password reference of MSE:Set AT (`83`): 1 = MRZ, 2 = CAN.
    public var passwordReference: UInt8 {
        switch self {
        case .mrz: 0x01
        case .can: 0x02
        }
    }

    /// The PACE password bytes K before the KDF: SHA-1(MRZ information) or the CAN's ASCII.
    public var pacePassword: [UInt8] {
        switch self {
        case .mrz(let seed): seed.informationHash
        case .can(let digits): Array(digits.utf8)
        }
    }

    /// Kind only: keys are never printed.
    public var description: String {
        switch self {
        case .can: "AccessKey.can(redacted)"
        case .mrz: "AccessKey.mrz(redacted)"
        }
    }
}

/// Dates as operators type them.
enum OperatorDate {
    /// Normalises to `YYMMDD`, or nil when not a plausible date.
    static func yymmdd(_ text: String) -> String? {
        let trimmed = text.trimmingWhitespace()
        let digits = trimmed.filter(\.isASCIIDigit)
        let separators = Set(trimmed.filter { !$0.isASCIIDigit })
        guard separators.isSubset(of: ["/", "-", "."]) else { return nil }
        var year = ""
        var month = ""
        var day = ""
        if separators.isEmpty {
            switch digits.count {
            case 6: (year, month, day) = (String(digits.prefix(2)), slice(digits, 2, 2), slice(digits, 4, 2))
            case 8: (day, month, year) = (String(digits.prefix(2)), slice(digits, 2, 2), String(digits.suffix(4)))
            default: return nil
            }
        } else {
            let parts = trimmed.split(whereSeparator: { separators.contains($0) }).map(String.init)
            guard parts.count == 3 else { return nil }
            if parts[0].count == 4 {
                (year, month, day) = (parts[0], parts[1], parts[2])
            } else {
                (day, month, year) = (parts[0], parts[1], parts[2])
            }
        }
        guard let m = Int(month), let d = Int(day), (1...12).contains(m), (1...31).contains(d),
            year.count == 2 || year.count == 4, Int(year) != nil
        else { return nil }
        let yy = String(year.suffix(2))
        return yy + (m < 10 ? "0\(m)" : "\(m)") + (d < 10 ? "0\(d)" : "\(d)")
    }

    /// Empty, "Không thời hạn" (with or without diacritics), "none", or `991231`.
    static func meansNoExpiry(_ text: String) -> Bool {
        let folded = text.trimmingWhitespace().lowercased()
        return folded.isEmpty || folded == "không thời hạn" || folded == "khong thoi han" || folded == "none"
            || folded == "991231" || folded == "31/12/2099" || folded == "31/12/9999"
    }

    private static func slice(_ s: String, _ start: Int, _ length: Int) -> String {
        String(Array(s)[start..<(start + length)])
    }
}

extension String {
    func trimmingWhitespace() -> String {
        var scalars = Substring(self)
        while let first = scalars.first, first.isWhitespace { scalars.removeFirst() }
        while let last = scalars.last, last.isWhitespace { scalars.removeLast() }
        return String(scalars)
    }
}
