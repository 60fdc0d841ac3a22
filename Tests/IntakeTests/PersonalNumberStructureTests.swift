import Intake
import Testing

@Suite struct PersonalNumberStructureTests {
    @Test func aConsistentNumberHasNoProblems() {
        // Hà Nội (001), female born in the 2000s (3), 2007.
        #expect(CitizenID("001307012345")!.structureProblems(dateOfBirth: date("2007-03-02"), sex: .female).isEmpty)
        // Cà Mau (096), male born in the 1900s (0), 1985.
        #expect(CitizenID("096085000001")!.structureProblems(dateOfBirth: date("1985-12-31"), sex: .male).isEmpty)
        #expect(CitizenID("096185000001")!.structureProblems(dateOfBirth: date("1985-12-31"), sex: .unspecified).isEmpty)
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
