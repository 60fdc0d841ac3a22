import ChipID
import Foundation
import Intake

/// Maps `ChipID`'s read into Intake's value types (the two modules evolve apart; the station translates).
enum ChipMapping {
    /// The card read as Intake needs it; throws `chip.malformed_file` when no usable ID number is present.
    static func cardRead(_ read: ChipRead) throws -> IntakeSession.CardRead {
        let mrz = read.dg1?.mrz  // nil only when the profile skipped DG1 because DG13 was read (the desk)
        let citizen = read.dg13
        guard let idText = citizen?.idNumber ?? mrz?.citizenIDNumber, let id = CitizenID(idText) else {
            throw ChipIDError(.malformedFile, "the chip carries no 12-digit ID number")
                .about(citizen == nil ? .dg(1) : .dg(13))
        }
        let name =
            citizen?.fullName
            ?? mrz.map { "\($0.primaryIdentifier) \($0.secondaryIdentifier)".trimmingCharacters(in: .whitespaces) }
            ?? ""
        guard let birth = date(citizen?.dateOfBirth) ?? mrz.flatMap({ mrzDate($0.dateOfBirth, past: true) }) else {
            throw ChipIDError(.malformedFile, "the chip carries no readable date of birth")
                .about(citizen == nil ? .dg(1) : .dg(13))
        }
        let noExpiry = citizen?.hasNoExpiry ?? mrz?.hasNoExpiry ?? false
        let expiry =
            noExpiry
            ? nil : (date(citizen?.dateOfExpiry) ?? mrz.flatMap { mrzDate($0.dateOfExpiry, past: false) })
        let consistency: DataGroupConsistency =
            citizen == nil || mrz == nil ? .notCompared : (read.mismatches.isEmpty ? .consistent : .mismatch)
        let identity = ChipIdentity(
            idNumber: id, fullName: name.precomposedStringWithCanonicalMapping, dateOfBirth: birth,
            sex: sex(citizen?.sex, mrz?.sex ?? " "), expiry: expiry, consistency: consistency)
        let portrait = read.dg2?.faces.first.map { Data($0.imageData) } ?? Data()
        return IntakeSession.CardRead(
            identity: identity, authenticity: verdict(read.authenticity), chipPortrait: portrait,
            chipEvidence: ChipEvidence(read: read))
    }

    /// Intake's verdict from ChipID's findings (the one mapping: `AuthenticityVerdict(findings:)`).
    static func verdict(_ findings: ChipID.AuthenticityFindings?) -> Intake.AuthenticityVerdict {
        Intake.AuthenticityVerdict(findings: findings)
    }

    static func sex(_ text: String?, _ mrz: Character) -> Sex {
        switch text?.lowercased() {
        case "nam", "m": return .male
        case "nữ", "nu", "f": return .female
        default: return mrz == "M" ? .male : mrz == "F" ? .female : .unspecified
        }
    }

    /// `dd/MM/yyyy`, `yyyy-MM-dd` or `ddMMyyyy`.
    static func date(_ text: String?) -> CalendarDate? {
        guard let text = text?.trimmingCharacters(in: .whitespaces), !text.isEmpty else { return nil }
        if let iso = CalendarDate(iso: text) { return iso }
        let digits = text.filter(\.isNumber)
        guard digits.count == 8 else { return nil }
        let d = Array(digits)
        let first = Int(String(d[0..<2]))!
        let second = Int(String(d[2..<4]))!
        let year = Int(String(d[4..<8]))!
        return CalendarDate(year: year, month: second, day: first)
    }

    /// MRZ `YYMMDD`; the century from whether the date must be in the past (birth) or may be ahead (expiry).
    static func mrzDate(_ text: String, past: Bool) -> CalendarDate? {
        guard text.count == 6, let yy = Int(text.prefix(2)), let mm = Int(text.dropFirst(2).prefix(2)),
            let dd = Int(text.suffix(2))
        else { return nil }
        let thisYear = CalendarDate(vietnamDayOf: Date()).year
        var year = 2000 + yy
        if past && year > thisYear { year -= 100 }
        if !past && year < thisYear - 50 { year += 100 }
        return CalendarDate(year: year, month: mm, day: dd)
    }
}
