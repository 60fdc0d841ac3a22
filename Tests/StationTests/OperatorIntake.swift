import ControlAPI
import Foundation
import Simulation
import StationTestKit
import Testing

/// An operator's intake through `stationctl intake` of a simulated card (`Devices/cards/DATASET`, `extra` to
/// `station-simulator card`) on the live reader: waits until the daemon sees the card, commits with the card's CAN,
/// `portrait` and a phone number, takes the card away and waits until the daemon sees it gone. Returns the
/// committed application's ID.
func operatorIntake(
    _ dataSet: String, extra: [String] = [], daemon: DaemonUnderTest, harness: PCSCHarness, portrait: URL
) async throws -> String {
    let answer = try await operatorIntakeAnswer(
        dataSet, extra: extra, daemon: daemon, harness: harness, portrait: portrait)
    return try #require(answer.applicationID)
}

/// As `operatorIntake`, returning the commit's whole answer (the application id and its short reference);
/// `options` go to `stationctl intake` too (e.g. `--commune`).
func operatorIntakeAnswer(
    _ dataSet: String, extra: [String] = [], daemon: DaemonUnderTest, harness: PCSCHarness, portrait: URL,
    options: [String] = []
) async throws -> IntakeSessionWire {
    let url = LivePCSC.packageRoot.appendingPathComponent("Devices/cards/\(dataSet)")
    let set = try CitizenDataSet.load(url)
    let card = try harness.startCard(arguments: ["--dataset", url.path] + extra)
    defer { card.stop() }
    let deadline = Date(timeIntervalSinceNow: 45)
    while try !daemon.curl("GET", "/v1/readers").1.contains(#""cardPresent":true"#) && Date() < deadline {
        try await Task.sleep(for: .milliseconds(200))
    }
    let committed = try daemon.stationctl(
        ["intake", "--can", set.can, "--portrait", portrait.path, "--phone", "0912345678", "--yes", "--json"]
            + options,
        asGroups: OperatorIdentityTests.operators, timeout: 90)
    #expect(committed.status == 0, "\(committed.output)\n\(daemon.log.suffix(2000))")
    card.stop()
    let gone = Date(timeIntervalSinceNow: 10)
    while try daemon.curl("GET", "/v1/readers").1.contains(#""cardPresent":true"#) && Date() < gone {
        try await Task.sleep(for: .milliseconds(100))
    }
    let line = committed.output.split(separator: "\n").last { $0.hasPrefix("{") }.map(String.init) ?? ""
    return try ControlJSON.decoder().decode(IntakeSessionWire.self, from: Data(line.utf8))
}
