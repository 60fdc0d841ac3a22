import Foundation
import Intake

/// `point.communes` and `point.hamlets`: the communes a station may take applications in and their hamlets
/// (issue 19 item 7), read into a `ServiceArea` whose default is `point.commune_code`.
///
/// `communes = 26734, 26737` (5-digit codes, each once, the point's commune among them; empty: only the point's
/// commune); `hamlets = 26734: Thôn Đông, Thôn Tây; 26737: Xóm 1` (per commune of the area, its hamlets
/// comma-separated; a name holds no `,`, `;` or `:`).
enum ServiceAreaSettings {
    /// Why a value is refused (a `config.invalid_value` naming the key and line).
    struct Problem: Error, Equatable {
        let key: String
        let reason: String
    }

    /// The area from the two values as written, or the first problem found.
    static func parse(pointCommune: String, communes: String, hamlets: String) -> Result<ServiceArea, Problem> {
        var codes: [String] = []
        for item in communes.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) })
        where !item.isEmpty {
            guard isCommuneCode(item) else {
                return .failure(Problem(key: "point.communes", reason: "\"\(item)\": a commune code is 5 digits"))
            }
            guard !codes.contains(item) else {
                return .failure(Problem(key: "point.communes", reason: "commune \(item) given twice"))
            }
            codes.append(item)
        }
        if codes.isEmpty {
            codes = [pointCommune]
        } else if !codes.contains(pointCommune) {
            return .failure(
                Problem(
                    key: "point.communes",
                    reason: "the registration point's commune \(pointCommune) (point.commune_code) is not in the list: "
                        + "add it, or leave point.communes empty for that commune only"))
        }
        var named: [String: [String]] = [:]
        for item in hamlets.split(separator: ";").map({ $0.trimmingCharacters(in: .whitespaces) })
        where !item.isEmpty {
            let parts = item.split(separator: ":", omittingEmptySubsequences: false)
                .map { $0.trimmingCharacters(in: .whitespaces) }
            guard parts.count == 2, isCommuneCode(parts[0]) else {
                return .failure(
                    Problem(key: "point.hamlets", reason: "\"\(item)\": expected CODE: HAMLET, HAMLET (5-digit code)"))
            }
            let code = parts[0]
            guard codes.contains(code) else {
                return .failure(
                    Problem(
                        key: "point.hamlets",
                        reason: "hamlets under commune \(code), which is not in point.communes ("
                            + codes.joined(separator: ", ") + ")"))
            }
            guard named[code] == nil else {
                return .failure(Problem(key: "point.hamlets", reason: "commune \(code) given twice"))
            }
            var names: [String] = []
            let written = parts[1].split(separator: ",", omittingEmptySubsequences: false)
            for name in written.map({ $0.trimmingCharacters(in: .whitespaces) }) {
                guard !name.isEmpty else {
                    return .failure(Problem(key: "point.hamlets", reason: "commune \(code): an empty hamlet name"))
                }
                guard !names.contains(where: { $0.lowercased() == name.lowercased() }) else {
                    return .failure(Problem(key: "point.hamlets", reason: "commune \(code): hamlet \"\(name)\" twice"))
                }
                names.append(name)
            }
            named[code] = names
        }
        let ordered = [pointCommune] + codes.filter { $0 != pointCommune }
        return .success(ServiceArea(communes: ordered.map { ServiceArea.Commune(code: $0, hamlets: named[$0] ?? []) }))
    }

    static func isCommuneCode(_ text: String) -> Bool {
        text.count == 5 && text.allSatisfy { $0.isASCII && $0.isNumber }
    }
}

extension StationConfiguration.Reader {
    /// Reads `point.communes` and `point.hamlets` around the point's commune, recording a problem with its key and
    /// line; the point's commune alone when either is bad.
    mutating func serviceArea(pointCommune: String) -> ServiceArea {
        let communes = string("point.communes")
        let hamlets = string("point.hamlets")
        switch ServiceAreaSettings.parse(pointCommune: pointCommune, communes: communes, hamlets: hamlets) {
        case .success(let area): return area
        case .failure(let problem):
            errors.append(
                ConfigurationError(.invalidValue, key: problem.key, line: values[problem.key]?.1, problem.reason))
            return .only(pointCommune)
        }
    }
}
