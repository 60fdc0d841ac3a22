import CentralAPI
import Foundation
import Queue
import StationTestKit
import Testing
import Uplink

/// The receiver's simulated approval against `Devices/central/population.csv` and the card data sets in
/// `Devices/cards/`: matching citizens are accepted, the deliberate mismatches rejected with their reason.
@Suite(.serialized) struct LiveApprovalTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    struct Card: Decodable {
        var idNumber: String
        var fullName: String
        var dateOfBirth: String
        var sex: String
    }

    @Test(.timeLimit(.minutes(3))) func populationFixtureApprovesCardsAndRejectsMismatches() async throws {
        let cards = Self.root.appendingPathComponent("Devices/cards")
        let csv = Self.root.appendingPathComponent("Devices/central/population.csv").path
        guard
            let names = try? FileManager.default.contentsOfDirectory(atPath: cards.path).filter({
                $0.hasSuffix(".json")
            }),
            !names.isEmpty, FileManager.default.fileExists(atPath: csv)
        else {
            print("skipping: Devices/cards/*.json or Devices/central/population.csv missing")
            return
        }
        var citizens: [String: SampleApplications.Citizen] = [:]
        for name in names {
            let card = try JSONDecoder().decode(Card.self, from: Data(contentsOf: cards.appendingPathComponent(name)))
            citizens[name] = SampleApplications.Citizen(
                idNumber: card.idNumber, fullName: card.fullName, dateOfBirth: card.dateOfBirth, sex: card.sex)
        }
        let stranger = SampleApplications.citizens(1, start: 99_999)[0]
        let receiver = try ReceiverProcess(flags: ["--activation-rate", "0"], populationFile: csv)
        let station = try await StationFixture(receiver: receiver)
        let ordered = names.sorted()
        let ids = try station.addReady(ordered.map { citizens[$0]! } + [stranger])
        let uploader = try station.uploader(receiver)
        try await uploader.drain(until: Date().addingTimeInterval(20))
        try await Task.sleep(for: .milliseconds(500))
        try await uploader.syncStatus()
        let csvText = try String(contentsOfFile: csv, encoding: .utf8)
        for (name, id) in zip(ordered + ["stranger"], ids) {
            let status = try station.queue.status(of: id)
            let expected: CentralState
            if name == "stranger" {
                expected = .rejected(reason: "NOT_IN_POPULATION_DB")
            } else if let line = csvText.split(separator: "\n").first(where: { $0.hasPrefix(citizens[name]!.idNumber) }
            ),
                line.contains("DELIBERATE MISMATCH")
            {
                expected = .rejected(reason: line.contains("DOB_MISMATCH") ? "DOB_MISMATCH" : "NAME_MISMATCH")
            } else if csvText.contains(citizens[name]!.idNumber) {
                expected = .accepted
            } else {
                expected = .rejected(reason: "NOT_IN_POPULATION_DB")
            }
            #expect(status == ApplicationStatus(local: .uploaded, central: expected), "\(name)")
        }
        #expect(try ids.map { try station.queue.status(of: $0) }.contains { $0.central == .accepted })
        #expect(try ids.map { try station.queue.status(of: $0) }.filter { $0.central.kind == .rejected }.count >= 3)
    }
}
