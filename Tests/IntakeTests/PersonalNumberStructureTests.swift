import Foundation
import Intake
import Testing

@Suite struct PersonalNumberStructureTests {
    @Test func aConsistentNumberHasNoProblems() {
        // Hà Nội (001), female born in the 2000s (3), 2007.
        #expect(CitizenID("001307012345")!.structureProblems(dateOfBirth: date("2007-03-02"), sex: .female).isEmpty)
        // Cà Mau (096), male born in the 1900s (0), 1985.
        #expect(CitizenID("096085000001")!.structureProblems(dateOfBirth: date("1985-12-31"), sex: .male).isEmpty)
        #expect(
            CitizenID("096185000001")!.structureProblems(dateOfBirth: date("1985-12-31"), sex: .unspecified).isEmpty)
    }

    @Test func eachInconsistencyIsNamed() {
        let born = date("2007-03-02")
        #expect(CitizenID("003307012345")!.structureProblems(dateOfBirth: born, sex: .female) == [.unknownProvince])
        #expect(CitizenID("001107012345")!.structureProblems(dateOfBirth: born, sex: .female) == [.centuryMismatch])
        #expect(CitizenID("001207012345")!.structureProblems(dateOfBirth: born, sex: .female) == [.sexMismatch])
        #expect(CitizenID("001306012345")!.structureProblems(dateOfBirth: born, sex: .female) == [.yearMismatch])
        #expect(
            CitizenID("000000000000")!.structureProblems(dateOfBirth: born, sex: .female)
                == [.unknownProvince, .centuryMismatch, .sexMismatch, .yearMismatch])
    }

    @Test func thereAreSixtyThreeProvinces() {
        #expect(CitizenID.provinceCodes.count == 63)
    }
}

@Suite struct PriorityGroupSuggestionTests {
    @Test func studentsBornFrom2005To2009AreSuggested() {
        #expect(PriorityGroup.suggested(forDateOfBirth: date("2005-01-01")) == .students)
        #expect(PriorityGroup.suggested(forDateOfBirth: date("2009-12-31")) == .students)
        #expect(PriorityGroup.suggested(forDateOfBirth: date("2004-12-31")) == nil)
        #expect(PriorityGroup.suggested(forDateOfBirth: date("2010-01-01")) == nil)
    }
}

@Suite struct EarlyScreeningTests {
    static func input(born: String, expiry: String? = "2035-01-01", at instant: String = "2026-11-23T03:00:00Z")
        -> Application.ScreeningInput
    {
        var identity = validApplication().identity
        identity.dateOfBirth = date(born)
        identity.expiry = expiry.map(date)
        return Application.ScreeningInput(identity: identity, at: ISO8601DateFormatter().date(from: instant)!)
    }

    @Test func underFourteenNamesTheDayTheCitizenBecomesEligible() {
        let errors = ValidationPolicy().screen(Self.input(born: "2013-02-10"), priorApplications: nil)
        #expect(errors.map(\.code) == [.underAge])
        #expect(errors.first?.vietnamese.contains("2027-02-10") == true)
        let leap = ValidationPolicy().screen(Self.input(born: "2016-02-29"), priorApplications: nil)
        #expect(leap.first?.english.contains("2030-03-01") == true)
        #expect(ValidationPolicy().screen(Self.input(born: "2012-11-23"), priorApplications: nil).isEmpty)
    }

    @Test func anExpiredCardAndALiveApplicationAreRefusedAtOnce() {
        let expired = ValidationPolicy().screen(
            Self.input(born: "1990-01-01", expiry: "2026-11-22"), priorApplications: nil)
        #expect(expired.map(\.code) == [.cardExpired])
        let duplicate = ValidationPolicy().screen(
            Self.input(born: "1990-01-01"), priorApplications: FakePriors(statuses: [.pending]))
        #expect(duplicate.map(\.code) == [.duplicate])
    }
}
