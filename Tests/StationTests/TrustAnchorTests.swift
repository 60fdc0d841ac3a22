import ChipID
import ControlAPI
import Foundation
import Simulation
import Station
import StationTestKit
import Testing

/// The daemon's CSCA trust anchors: `trust.folder` / `trust.masterlist` are loaded and validated with the
/// configuration, and every card the daemon reads (intake and health verify) is authenticated against them.
@Suite struct TrustAnchorConfigurationTests {
    static let pki = LivePCSC.packageRoot.appendingPathComponent("Devices/cards/pki")

    @Test("trust.folder loads the CSCAs it holds; a missing default folder means no anchor")
    func folderLoads() throws {
        let configured = try StationConfiguration.load(
            file: try temporaryFile("[trust]\nfolder = \(Self.pki.appendingPathComponent("trust").path)\n"),
            environment: [:])
        #expect(configured.trustList.certificates.count >= 1)
        #expect(configured.trustList.certificates.allSatisfy { $0.subject.contains("TEST") })
        // An explicit folder (here from the environment) must exist; the built-in default may be absent.
        #expect(throws: ConfigurationErrors.self) {
            try StationConfiguration.load(file: nil, environment: ["STATIOND_TRUST_FOLDER": "/nonexistent"])
        }
        let none = try StationConfiguration.load(file: nil, environment: [:])
        #expect(none.trustFolder == "/etc/stationd/trust")
        if !FileManager.default.fileExists(atPath: "/etc/stationd/trust") { #expect(none.trustList.isEmpty) }
    }

    @Test("an explicit folder that does not exist, or a broken master list: refused naming the key and line")
    func problemsNameTheKey() throws {
        let missing = try temporaryFile("[log]\nlevel = info\n[trust]\nfolder = /no/such/dir\n")
        do {
            _ = try StationConfiguration.load(file: missing, environment: [:])
            Issue.record("a missing explicit trust folder was accepted")
        } catch {
            #expect(error.errors.map(\.key) == ["trust.folder"])
            #expect(error.errors.first?.line == 4)
            #expect(error.errors.first?.code == .invalidValue)
        }
        // A master list whose signature does not verify (any non-master-list bytes will do: a certificate).
        let broken = LivePCSC.packageRoot.appendingPathComponent(".build/test-trust-\(getpid())/broken.ml")
        try FileManager.default.createDirectory(
            at: broken.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data((0..<600).map { UInt8(truncatingIfNeeded: $0 &* 37) }).write(to: broken)
        let brokenConfiguration = try temporaryFile("[trust]\nfolder =\nmasterlist = \(broken.path)\n")
        do {
            _ = try StationConfiguration.load(file: brokenConfiguration, environment: [:])
            Issue.record("a broken master list was accepted")
        } catch {
            #expect(error.errors.map(\.key) == ["trust.masterlist"])
            #expect(error.errors.first?.line == 3)
            #expect(error.errors.first?.description.contains("refused") == true)
        }
    }

    @Test("`stationd run --check-config` refuses a broken trust configuration with exit 78")
    func checkConfigRefuses() throws {
        let path = try temporaryFile("[trust]\nfolder = /no/such/dir\n")
        let result = try runTool(try Binaries.path("stationd"), ["run", "--config", path, "--check-config"])
        #expect(result.status == 78, "\(result.output)")
        #expect(result.output.contains("trust.folder"))
    }
}

/// Live: the daemon with the TEST CSCA as its trust anchor reads cards through pcscd → vpcd → the simulated CCCD.
@Suite(.serialized)
struct TrustAnchorLiveTests {
    let lease: LivePCSC.Lease
    var harness: PCSCHarness { lease.harness }
    init() async throws { lease = try await LivePCSC.acquire() }

    static let dataSet = LivePCSC.packageRoot.appendingPathComponent("Devices/cards/nguyen-van-an.json")

    func daemon(_ name: String) throws -> DaemonUnderTest {
        let trust = TrustAnchorConfigurationTests.pki.appendingPathComponent("trust").path
        return try DaemonUnderTest(
            name: name, extraConfig: "[trust]\nfolder = \(trust)\n[point]\ncommune_code = 26734\n",
            environment: harness.clientEnvironment)
    }

    func waitForCard(_ daemon: DaemonUnderTest) async throws {
        // Generous: under the full suite the two cooperative threads are shared with blocking tests.
        let deadline = Date(timeIntervalSinceNow: 45)
        while Date() < deadline {
            if try daemon.curl("GET", "/v1/readers").1.contains(#""cardPresent":true"#) { return }
            try await Task.sleep(for: .milliseconds(200))
        }
        throw HarnessError("the daemon did not see the card within 45 s\n\(daemon.log.suffix(2000))")
    }

    func verify(_ daemon: DaemonUnderTest, can: String) throws -> VerifyResult {
        let (status, body) = try daemon.curl("POST", "/v1/verify", body: #"{"can":"\#(can)"}"#)
        guard status == 200 else { throw HarnessError("verify answered \(status): \(body)") }
        return try ControlJSON.decoder().decode(VerifyResult.self, from: Data(body.utf8))
    }

    @Test("genuine card: verify accepts, intake commits without a supervisor's override; status counts anchors")
    func genuineCard() async throws {
        let set = try CitizenDataSet.load(Self.dataSet)
        let daemon = try daemon("trust-genuine")
        try daemon.start()
        let card = try harness.startCard(arguments: ["--dataset", Self.dataSet.path])
        defer { card.stop() }
        try await waitForCard(daemon)

        let status = try ControlJSON.decoder().decode(
            StationStatus.self, from: Data(try daemon.curl("GET", "/v1/status").1.utf8))
        #expect(status.trustAnchors >= 1)

        let verified = try verify(daemon, can: set.can)
        #expect(verified.authenticity == "genuine")
        #expect(verified.verdict == "accept")

        let portrait = daemon.directory.appendingPathComponent("portrait.jpg")
        try IntakeLiveTests.syntheticJPEG(width: 480, height: 640).write(to: portrait)
        let committed = try daemon.stationctl(
            ["intake", "--can", set.can, "--portrait", portrait.path, "--phone", "0912345678", "--yes", "--json"],
            timeout: 90)
        #expect(committed.status == 0, "\(committed.output)\n\(daemon.log)")
        let line = committed.output.split(separator: "\n").last { $0.hasPrefix("{") }.map(String.init) ?? ""
        let session = try ControlJSON.decoder().decode(IntakeSessionWire.self, from: Data(line.utf8))
        #expect(session.state == "committed")
        let id = try #require(session.applicationID)
        let (shown, body) = try daemon.curl("GET", "/v1/queue/\(id)")
        #expect(shown == 200)
        let detail = try ControlJSON.decoder().decode(ApplicationDetailWire.self, from: Data(body.utf8))
        #expect(detail.authenticity == "genuine")
        #expect(!daemon.log.contains(set.idNumber))
        #expect(daemon.stop() == 0)
    }

    @Test("altered DG13, an expired DS, a clone: verify refers with the specific verdict; intake refuses")
    func negativeCards() async throws {
        let set = try CitizenDataSet.load(Self.dataSet)
        let daemon = try daemon("trust-negative")
        try daemon.start()
        let portrait = daemon.directory.appendingPathComponent("portrait.jpg")
        try IntakeLiveTests.syntheticJPEG(width: 480, height: 640).write(to: portrait)
        let cases: [([String], String)] = [
            (["--alter-dg13"], "hashMismatch"),
            // (untrustedSigner is for a supervisor to accept under the default policy: not a refused case.)
            (
                ["--pki", TrustAnchorConfigurationTests.pki.appendingPathComponent("expired-ds").path],
                "chainInvalid"
            ),
            (["--clone"], "clone"),
        ]
        for (arguments, expected) in cases {
            let card = try harness.startCard(arguments: ["--dataset", Self.dataSet.path] + arguments)
            defer { card.stop() }
            try await waitForCard(daemon)
            let verified = try verify(daemon, can: set.can)
            #expect(verified.authenticity == expected, "\(arguments)")
            #expect(verified.verdict == "refer", "\(arguments)")
            // Not overridable by default: even a supervisor's reason does not let it in.
            let refused = try daemon.stationctl(
                [
                    "intake", "--can", set.can, "--portrait", portrait.path, "--phone", "0912345678", "--yes",
                    "--override-reason", "test", "--lang", "en",
                ], timeout: 90)
            #expect(refused.status == 7, "\(arguments): \(refused.output)")
            #expect(refused.output.contains("intake.authenticity_refused"), "\(arguments): \(refused.output)")
            #expect(refused.output.contains(expected), "\(arguments): \(refused.output)")
            card.stop()
            let deadline = Date(timeIntervalSinceNow: 10)
            while Date() < deadline, try daemon.curl("GET", "/v1/readers").1.contains(#""cardPresent":true"#) {
                try await Task.sleep(for: .milliseconds(100))
            }
        }
        let status = try ControlJSON.decoder().decode(
            StationStatus.self, from: Data(try daemon.curl("GET", "/v1/status").1.utf8))
        #expect(status.queue.total == 0, "nothing of a refused card is stored")
        #expect(daemon.stop() == 0)
    }
}
