import ControlAPI
import Foundation
import Intake
import Queue
import Simulation
import StationTestKit
import Testing

/// Issue 17 through pcscd → vpcd → the simulated CCCD, with no CSCA installed and the default `[authenticity]`
/// policy: a plain operator commits a `verifiedOffline` card alone; `unconfirmed` needs a supervisor;
/// `hashMismatch` and `clone` are refused even with a supervisor's reason; the health desk accepts
/// `verifiedOffline` and refers the refused verdicts.
@Suite(.serialized)
struct AuthenticityPolicyLiveTests {
    let lease: LivePCSC.Lease
    var harness: PCSCHarness { lease.harness }
    init() async throws { lease = try await LivePCSC.acquire() }

    static let cards = LivePCSC.packageRoot.appendingPathComponent("Devices/cards")

    func waitForCard(_ daemon: DaemonUnderTest, present: Bool = true) async throws {
        let deadline = Date(timeIntervalSinceNow: 45)
        while Date() < deadline {
            if try daemon.curl("GET", "/v1/readers").1.contains(#""cardPresent":true"#) == present { return }
            try await Task.sleep(for: .milliseconds(200))
        }
        throw HarnessError("the daemon did not see the card \(present ? "arrive" : "leave") within 45 s")
    }

    func verify(_ daemon: DaemonUnderTest, can: String) throws -> VerifyResult {
        let (status, body) = try daemon.curl(
            "POST", "/v1/verify", body: #"{"can":"\#(can)"}"#, asGroups: OperatorIdentityTests.operators)
        guard status == 200 else { throw HarnessError("verify answered \(status): \(body)") }
        return try ControlJSON.decoder().decode(VerifyResult.self, from: Data(body.utf8))
    }

    /// No anchors: an operator commits verifiedOffline alone; unconfirmed needs a supervisor; altered and cloned
    /// chips are refused even with a supervisor's reason.
    @Test
    func defaultPolicyWithoutAnchors() async throws {
        let daemon = try DaemonUnderTest(
            name: "authenticity-policy", extraConfig: "[trust]\nfolder =\n[point]\ncommune_code = 26734\n",
            environment: harness.clientEnvironment)
        try daemon.start()
        defer { _ = daemon.stop() }
        let portrait = daemon.directory.appendingPathComponent("portrait.jpg")
        try IntakeLiveTests.syntheticJPEG(width: 480, height: 640).write(to: portrait)
        func intake(_ can: String, _ extra: [String] = [], asOperator: Bool) throws -> (Int32, String) {
            let result = try daemon.stationctl(
                [
                    "intake", "--can", can, "--portrait", portrait.path, "--phone", "0912345678", "--yes", "--json",
                    "--lang", "en",
                ] + extra,
                asGroups: asOperator ? OperatorIdentityTests.operators : nil, timeout: 90)
            return (result.status, result.output)
        }

        // A genuine chip, no CSCA: verifiedOffline, committed by a plain operator without any override.
        let an = try CitizenDataSet.load(Self.cards.appendingPathComponent("nguyen-van-an.json"))
        do {
            let card = try harness.startCard(arguments: [
                "--dataset", Self.cards.appendingPathComponent("nguyen-van-an.json").path,
            ])
            defer { card.stop() }
            try await waitForCard(daemon)
            let verified = try verify(daemon, can: an.can)
            #expect(verified.authenticity == "verifiedOffline")
            #expect(verified.verdict == "accept")
            let (status, output) = try intake(an.can, asOperator: true)
            #expect(status == 0, "\(output)\n\(daemon.log.suffix(3000))")
            let line = output.split(separator: "\n").last { $0.hasPrefix("{") }.map(String.init) ?? ""
            let session = try ControlJSON.decoder().decode(IntakeSessionWire.self, from: Data(line.utf8))
            #expect(session.state == "committed")
            let id = try #require(session.applicationID)
            let detail = try ControlJSON.decoder().decode(
                ApplicationDetailWire.self, from: Data(try daemon.curl("GET", "/v1/queue/\(id)").1.utf8))
            #expect(detail.authenticity == "verifiedOffline")
            card.stop()
            try await waitForCard(daemon, present: false)
        }

        // No anti-clone check possible: unconfirmed. The operator is told a supervisor must approve; root is one.
        let duc = try CitizenDataSet.load(Self.cards.appendingPathComponent("pham-van-duc-no-expiry.json"))
        do {
            let card = try harness.startCard(arguments: [
                "--dataset", Self.cards.appendingPathComponent("pham-van-duc-no-expiry.json").path,
                "--no-chip-authentication",
            ])
            defer { card.stop() }
            try await waitForCard(daemon)
            let verified = try verify(daemon, can: duc.can)
            #expect(verified.authenticity == "unconfirmed")
            #expect(verified.verdict == "refer")
            let (refused, refusedOutput) = try intake(duc.can, asOperator: true)
            #expect(refused == 7, "\(refusedOutput)")
            #expect(refusedOutput.contains("intake.authenticity_needs_override"), "\(refusedOutput)")
            let (committed, committedOutput) = try intake(
                duc.can, ["--override-reason", "no DG14 on this batch"], asOperator: false)
            #expect(committed == 0, "\(committedOutput)")
            card.stop()
            try await waitForCard(daemon, present: false)
        }

        // Altered data and a clone: refused whoever asks and whatever the reason; verify refers.
        let khoa = try CitizenDataSet.load(Self.cards.appendingPathComponent("tran-minh-khoa-14.json"))
        for (flag, expected) in [("--alter-dg13", "hashMismatch"), ("--clone", "clone")] {
            let card = try harness.startCard(arguments: [
                "--dataset", Self.cards.appendingPathComponent("tran-minh-khoa-14.json").path, flag,
            ])
            defer { card.stop() }
            try await waitForCard(daemon)
            let verified = try verify(daemon, can: khoa.can)
            #expect(verified.authenticity == expected)
            #expect(verified.verdict == "refer")
            let (status, output) = try intake(khoa.can, ["--override-reason", "test"], asOperator: false)
            #expect(status == 7, "\(flag): \(output)")
            #expect(output.contains("intake.authenticity_refused") && output.contains(expected), "\(output)")
            card.stop()
            try await waitForCard(daemon, present: false)
        }
        let page = try ControlJSON.decoder().decode(
            QueuePageWire.self, from: Data(try daemon.stationctl(["queue", "ls", "--json"]).output.utf8))
        #expect(page.items.count == 2, "the two accepted cards only")
        #expect(daemon.stop() == 0)
    }
}
