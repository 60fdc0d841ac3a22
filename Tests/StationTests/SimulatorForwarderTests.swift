import Foundation
import StationTestKit
import Testing

/// `stationd simulate ...` runs `station-simulator` from stationd's own folder (the shipped daemon carries no
/// simulator): the arguments pass through unchanged, and without the simulator the answer is a typed error.
@Suite struct SimulatorForwarderTests {
    @Test("stationd simulate card --help is the simulator's own help, options included")
    func forwardsArguments() throws {
        let result = try runTool(
            try Binaries.path("stationd"), ["simulate", "card", "--help"],
            environment: ["COLUMNS": "400"])
        #expect(result.status == 0, "\(result.output)")
        #expect(result.output.contains("USAGE: station-simulator card"), "\(result.output)")
        for option in ["--dataset", "--lds", "--fault", "--watch-pid"] {
            #expect(result.output.contains(option), "\(option) missing from the forwarded help")
        }
    }

    @Test("without station-simulator beside it: exit 127, simulate.not_installed, the operator told what to do")
    func missingSimulatorIsATypedError() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("lone-stationd-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let lone = folder.appendingPathComponent("stationd").path
        // Copied by cp, not in this process: a write descriptor open here while another test forks would make the
        // copy "text file busy" to exec.
        let copied = try runTool("/bin/cp", [try Binaries.path("stationd"), lone])
        try #require(copied.status == 0, "\(copied.output)")
        let vietnamese = try runTool(
            lone, ["simulate", "card", "--port", "35963"], environment: ["STATION_LANG": "vi"])
        #expect(vietnamese.status == 127)
        #expect(vietnamese.output.contains("simulate.not_installed"))
        #expect(vietnamese.output.contains("Trạm này không cài trình mô phỏng thiết bị"))
        #expect(vietnamese.output.contains(folder.appendingPathComponent("station-simulator").path))
        let english = try runTool(lone, ["simulate", "card"], environment: ["STATION_LANG": "en"])
        #expect(english.status == 127)
        #expect(english.output.contains("The device simulator is not installed"))
    }
}
