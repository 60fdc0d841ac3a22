import Foundation
import Intake
import Station
import Testing

/// `point.communes` and `point.hamlets` (issue 19 item 7): read into the station's service area, refused at
/// configuration check with the key, the line and what is wrong; a configuration without them works as before.
@Suite struct ServiceAreaConfigurationTests {
    @Test func communesAndHamletsAreRead() throws {
        let file = try temporaryFile(
            """
            [point]
            commune_code = 26737
            communes = 26734, 26737 ,26740
            hamlets = 26734: Thôn Đông, Thôn Tây; 26737: Xóm 1
            """)
        let area = try StationConfiguration.load(file: file, environment: [:]).serviceArea
        #expect(area.defaultCommune == "26737")
        #expect(
            area.communes == [
                .init(code: "26737", hamlets: ["Xóm 1"]), .init(code: "26734", hamlets: ["Thôn Đông", "Thôn Tây"]),
                .init(code: "26740"),
            ])
        // Environment overrides, as every key.
        let overridden = try StationConfiguration.load(
            file: file, environment: ["STATIOND_POINT_HAMLETS": "26740: Bản Mường"]
        ).serviceArea
        #expect(overridden.communes.map(\.hamlets) == [[], [], ["Bản Mường"]])
    }

    @Test func anOldConfigurationServesThePointsCommuneOnly() throws {
        let file = try temporaryFile("[point]\ncommune_code = 16001\n")
        let configuration = try StationConfiguration.load(file: file, environment: [:])
        #expect(configuration.serviceArea == .only("16001"))
        #expect(configuration.point.communeCode == "16001")
        #expect(try StationConfiguration.load(file: nil, environment: [:]).serviceArea == .only("00000"))
        // Hamlets for the point's commune alone need no commune list.
        let hamlets = try temporaryFile("[point]\ncommune_code = 16001\nhamlets = 16001: Thôn 1, Thôn 2\n")
        #expect(
            try StationConfiguration.load(file: hamlets, environment: [:]).serviceArea.communes == [
                .init(code: "16001", hamlets: ["Thôn 1", "Thôn 2"])
            ])
    }

    @Test func aBadListIsRefusedWithTheKeyLineAndWhatIsWrong() throws {
        let cases: [(communes: String, hamlets: String, key: String, reason: String)] = [
            ("16001, 1600", "", "point.communes", "\"1600\": a commune code is 5 digits"),
            ("16001, 16002, 16002", "", "point.communes", "commune 16002 given twice"),
            ("16002, 16003", "", "point.communes", "the registration point's commune 16001"),
            ("16001, 16002", "16003: Xóm 1", "point.hamlets", "hamlets under commune 16003, which is not in"),
            ("", "16002: Xóm 1", "point.hamlets", "hamlets under commune 16002"),
            ("16001", "Xóm 1, Xóm 2", "point.hamlets", "expected CODE: HAMLET, HAMLET"),
            ("16001", "16001: Xóm 1, xóm 1", "point.hamlets", "hamlet \"xóm 1\" twice"),
            ("16001", "16001: Xóm 1,", "point.hamlets", "an empty hamlet name"),
            ("16001", "16001: Xóm 1; 16001: Xóm 2", "point.hamlets", "commune 16001 given twice"),
        ]
        for (communes, hamlets, key, reason) in cases {
            let file = try temporaryFile(
                "[point]\ncommune_code = 16001\ncommunes = \(communes)\nhamlets = \(hamlets)\n")
            do {
                _ = try StationConfiguration.load(file: file, environment: [:])
                Issue.record("accepted: \(communes) / \(hamlets)")
            } catch {
                let problem = try #require(error.errors.first)
                #expect(error.errors.count == 1, "\(error)")
                #expect(problem.key == key && problem.code == .invalidValue, "\(problem)")
                #expect(problem.line == (key == "point.communes" ? 3 : 4), "\(problem)")
                #expect(problem.reason.contains(reason), "\(problem.reason)")
            }
        }
    }
}
