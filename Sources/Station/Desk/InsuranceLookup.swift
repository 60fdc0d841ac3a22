import ControlAPI
import Intake

/// Who the desk asks the insurance gateway about: the chip's identity (the ID number is the card code).
struct InsuranceQuery: Sendable, Hashable {
    var idNumber: CitizenID
    var fullName: String
    var dateOfBirth: CalendarDate
    var sex: Sex
}

/// The insurance side of a desk check. Never throws and never outlasts its budget: a gateway that does not answer
/// usably gives `unknown` ("identity verified, insurance unknown"), so the desk is never blocked.
protocol InsuranceLookup: Sendable {
    /// The status of `query`'s insurance.
    func lookup(_ query: InsuranceQuery) async -> InsuranceOutcome
}

/// An insurance answer as the desk shows it.
struct InsuranceOutcome: Sendable, Hashable {
    /// The wire form.
    var wire: InsuranceWire
    /// The fields where the insurance record and the chip disagree, with both values (the cleansing cases; the
    /// wire names the fields only).
    var disagreements: [InsuranceDisagreement] = []
}

/// No gateway configured (the default): `off`.
struct InsuranceOff: InsuranceLookup {
    func lookup(_ query: InsuranceQuery) async -> InsuranceOutcome {
        InsuranceOutcome(wire: InsuranceWire(status: "off"))
    }
}
