import Foundation
import Messages
import StationTestKit
import Testing

/// The tools' `--help` comes from the message catalog: Vietnamese by default, English with `--lang en` or
/// `STATION_LANG=en`, one language at a time (not the two glued together).
@Suite struct HelpLanguageTests {
    @Test("stationctl --help: Vietnamese summaries by default, English ones with --lang en", arguments: [false, true])
    func stationctl(english: Bool) throws {
        let result = try runTool(
            try Binaries.path("stationctl"), (english ? ["--lang", "en"] : []) + ["--help"],
            environment: ["COLUMNS": "400"])
        #expect(result.status == 0, "\(result.output)")
        let language: Language = english ? .english : .vietnamese
        let other: Language = english ? .vietnamese : .english
        for key in [MessageKey.helpCtlStationctl, .helpCtlStatus, .helpCtlQueue] {
            let expected = key.text(language).trimmingCharacters(in: CharacterSet(charactersIn: "."))
            #expect(result.output.contains(expected), "\(key.rawValue) missing: \(result.output)")
            let unexpected = key.text(other).trimmingCharacters(in: CharacterSet(charactersIn: "."))
            #expect(!result.output.contains(unexpected), "\(key.rawValue) in the other language: \(result.output)")
        }
        #expect(!result.output.contains(" — "), "a glued bilingual summary is left: \(result.output)")
    }

    @Test("stationd --help follows STATION_LANG")
    func stationdFollowsTheEnvironment() throws {
        let english = try runTool(
            try Binaries.path("stationd"), ["--help"], environment: ["COLUMNS": "400", "STATION_LANG": "en"])
        #expect(english.status == 0, "\(english.output)")
        #expect(english.output.contains(MessageKey.helpDStationd.text(.english)), "\(english.output)")
        let vietnamese = try runTool(
            try Binaries.path("stationd"), ["--help"], environment: ["COLUMNS": "400", "STATION_LANG": "vi"])
        #expect(vietnamese.output.contains(MessageKey.helpDStationd.text(.vietnamese)), "\(vietnamese.output)")
    }
}
