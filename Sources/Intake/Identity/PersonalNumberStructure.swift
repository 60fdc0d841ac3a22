/// The structure of the 12-digit personal identification number (Decree 137/2015/NĐ-CP, Circular 07/2016/TT-BCA),
/// checked when a citizen without a chip card types it (2-in-1 without a card: the central then matches it against
/// the population database). Digits 1–3: the province of birth registration; digit 4: century of birth and sex
/// (0/1 born 1900–1999 male/female, 2/3 2000–2099, 4/5 2100–2199, …); digits 5–6: the last two digits of the year
/// of birth; digits 7–12: a random number.
extension CitizenID {
    /// Why a typed number cannot be this citizen's.
    public enum StructureProblem: String, Sendable, Hashable, CaseIterable {
        /// Digits 1–3 are not one of the 63 province codes.
        case unknownProvince
        /// Digit 4 does not give the century of the date of birth.
        case centuryMismatch
        /// Digit 4 does not give the sex.
        case sexMismatch
        /// Digits 5–6 are not the last two digits of the year of birth.
        case yearMismatch
    }

    /// The 63 province codes (Circular 07/2016/TT-BCA, annex).
    public static let provinceCodes: Set<String> = [
        "001", "002", "004", "006", "008", "010", "011", "012", "014", "015", "017", "019", "020", "022", "024",
        "025", "026", "027", "030", "031", "033", "034", "035", "036", "037", "038", "040", "042", "044", "045",
        "046", "048", "049", "051", "052", "054", "056", "058", "060", "062", "064", "066", "067", "068", "070",
        "072", "074", "075", "077", "079", "080", "082", "083", "084", "086", "087", "089", "091", "092", "093",
        "094", "095", "096",
    ]

    /// The province code (digits 1–3).
    public var provinceCode: String { String(digits.prefix(3)) }

    /// The problems of this number for a citizen born on `dateOfBirth` with `sex` (empty: consistent). An
    /// unspecified sex is not compared.
    public func structureProblems(dateOfBirth: CalendarDate, sex: Sex) -> [StructureProblem] {
        let values = digits.utf8.map { Int($0) - 0x30 }
        var problems: [StructureProblem] = []
        if !Self.provinceCodes.contains(provinceCode) { problems.append(.unknownProvince) }
        let centuryDigit = values[3]
        if 1900 + (centuryDigit / 2) * 100 != (dateOfBirth.year / 100) * 100 { problems.append(.centuryMismatch) }
        switch sex {
        case .male where centuryDigit % 2 != 0, .female where centuryDigit % 2 != 1: problems.append(.sexMismatch)
        default: break
        }
        if values[4] * 10 + values[5] != dateOfBirth.year % 100 { problems.append(.yearMismatch) }
        return problems
    }
}
