import Foundation
import Intake

/// The stand-in for the National Population Database: `Devices/central/population.csv` (`id_number,full_name,
/// date_of_birth,sex,note`; `#` lines are comments). Approval compares the chip identity with the row.
struct Population: Sendable {
    struct Citizen: Sendable {
        let fullName: String
        let dateOfBirth: String
        let sex: String
    }
    let citizens: [String: Citizen]

    init(path: String?) throws {
        var citizens: [String: Citizen] = [:]
        if let path {
            let text = try String(contentsOfFile: path, encoding: .utf8)
            for line in text.split(whereSeparator: \.isNewline).dropFirst() where !line.hasPrefix("#") {
                let fields = Population.split(String(line))
                guard fields.count >= 4 else { continue }
                citizens[fields[0]] = Citizen(fullName: fields[1], dateOfBirth: fields[2], sex: fields[3])
            }
        }
        self.citizens = citizens
    }

    /// Minimal CSV: commas, double-quoted fields.
    static func split(_ line: String) -> [String] {
        var fields: [String] = []
        var current = ""
        var quoted = false
        for character in line {
            if character == "\"" {
                quoted.toggle()
            } else if character == ",", !quoted {
                fields.append(current)
                current = ""
            } else {
                current.append(character)
            }
        }
        fields.append(current)
        return fields
    }

    static func normalise(_ name: String) -> String {
        name.precomposedStringWithCanonicalMapping.uppercased().split(separator: " ").joined(separator: " ")
    }

    /// nil when approved, else C06's reason code.
    func rejection(for identity: ChipIdentity) -> String? {
        guard let citizen = citizens[identity.idNumber.digits] else { return "NOT_IN_POPULATION_DB" }
        if Population.normalise(citizen.fullName) != Population.normalise(identity.fullName) { return "NAME_MISMATCH" }
        if citizen.dateOfBirth != identity.dateOfBirth.iso { return "DOB_MISMATCH" }
        if citizen.sex != identity.sex.rawValue { return "SEX_MISMATCH" }
        return nil
    }
}
