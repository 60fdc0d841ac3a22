import Foundation
import Messages

/// The identity of a citizen without a chip card (2-in-1 without a card), typed by the officer from the citizen's
/// papers: checked here, before any capture, and matched by the central against the population database.
extension ChipIdentity {
    /// The identity the officer typed: the 12-digit personal number, the full name (spaces collapsed, upper case as
    /// on the card), the date of birth (`YYYY-MM-DD`, not after `today`) and the sex (`M` or `F`). No expiry (there
    /// is no card) and no data groups to compare (`notCompared`). Throws `intake.identity_invalid` naming the field,
    /// or `intake.id_number_structure` naming what of the number does not fit (province code, century, sex, year);
    /// never with the typed values.
    public static func typed(
        idNumber: String, fullName: String, dateOfBirth: String, sex: String, today: CalendarDate
    ) throws(IntakeError) -> ChipIdentity {
        guard let number = CitizenID(idNumber.trimmingCharacters(in: .whitespaces)) else {
            throw invalid(.intakeIdentityIdNumber)
        }
        let name = fullName.precomposedStringWithCanonicalMapping.split(whereSeparator: \.isWhitespace)
            .joined(separator: " ").uppercased()
        guard !name.isEmpty, name.count <= 100, !name.contains(where: \.isNumber)
        else { throw invalid(.intakeIdentityFullName) }
        guard let born = CalendarDate(iso: dateOfBirth.trimmingCharacters(in: .whitespaces)), born <= today else {
            throw invalid(.intakeIdentityDateOfBirth)
        }
        guard let parsedSex = Sex(rawValue: sex.trimmingCharacters(in: .whitespaces).uppercased()),
            parsedSex != .unspecified
        else { throw invalid(.intakeIdentitySex) }
        if let problem = number.structureProblems(dateOfBirth: born, sex: parsedSex).first {
            throw structureError(problem)
        }
        return ChipIdentity(
            idNumber: number, fullName: name, dateOfBirth: born, sex: parsedSex, expiry: nil,
            consistency: .notCompared)
    }

    /// `intake.id_number_structure` for `problem`, in the officer's words.
    public static func structureError(_ problem: CitizenID.StructureProblem) -> IntakeError {
        let detail: MessageKey =
            switch problem {
            case .unknownProvince: .intakeIdNumberProvince
            case .centuryMismatch: .intakeIdNumberCentury
            case .sexMismatch: .intakeIdNumberSex
            case .yearMismatch: .intakeIdNumberYear
            }
        return IntakeError(.idNumberStructure, Message(.intakeIdNumberStructure, parts: ["detail": Message(detail)]))
    }

    private static func invalid(_ detail: MessageKey) -> IntakeError {
        IntakeError(.identityInvalid, Message(.intakeIdentityInvalid, parts: ["detail": Message(detail)]))
    }
}
