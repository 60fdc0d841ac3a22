import ControlAPI
import Foundation
import Simulation
import StationTestKit
import Testing

/// Hostile cards on every entry point, through the real pcscd + vpcd + `stationd simulate card`: each `--fault`
/// (garbage, truncated, mute, bad-mac) read by `stationd card read`, by an intake through the daemon
/// (`POST /v1/intake/:id/card`) and by the health check-in (`POST /v1/verify`) gives a typed error within the card
/// deadline + 2 s, and then a good card on the same reader reads fine. Then malformed chip files (which file and
/// why, what is still shown) and an expired document signer (the validity model) through the daemon.
@Suite("Hostile cards on every entry point", .serialized)
struct CardFaultLiveTests {
    let lease: LivePCSC.Lease
    var harness: PCSCHarness { lease.harness }
    init() async throws { lease = try await LivePCSC.acquire() }

    static let dataSet = LivePCSC.packageRoot.appendingPathComponent("Devices/cards/nguyen-van-an.json")
    static let trust = LivePCSC.packageRoot.appendingPathComponent("Devices/cards/pki/trust")
    static let expiredDS = LivePCSC.packageRoot.appendingPathComponent("Devices/cards/pki/expired-ds")
    /// The card deadline the tests configure (`intake.card_timeout_seconds`, `stationd card read --timeout`).
    static let deadline = 2.0
    static let faults = ["garbage", "truncated", "mute", "bad-mac"]

    /// The typed codes each fault may end with (a frame cut short may also show as the card leaving).
    static func expectedCodes(_ fault: String) -> Set<String> {
        switch fault {
        case "garbage": ["smartcard.malformed_response"]
        case "mute": ["smartcard.card_unresponsive"]
        case "bad-mac": ["chip.bad_mac"]
        default:
            [
                "smartcard.malformed_response", "smartcard.communication", "smartcard.card_removed",
                "smartcard.no_card", "smartcard.card_unresponsive", "smartcard.card_reset", "chip.card_removed",
                "chip.transport",
            ]
        }
    }

    var can: String { (try? CitizenDataSet.load(Self.dataSet).can) ?? "" }
    var reader: String { harness.readerName(slot: 0) }

    /// Starts the data-set card on `slot` (with `arguments`) and waits until PC/SC reports it in that reader (the
    /// kit restarts it when vpcd drops a new card: `PCSCHarness.startCardReported`).
    func startCard(_ arguments: [String] = [], slot: Int = 0) throws -> ManagedProcess {
        try harness.startCardReported(slot: slot, arguments: ["--dataset", Self.dataSet.path] + arguments)
    }

    /// Waits until the daemon's reader monitor sees a card (pcscd polls vpcd, slower under a loaded machine).
    func waitForCard(_ daemon: DaemonUnderTest) throws {
        let deadline = Date(timeIntervalSinceNow: 30)
        while Date() < deadline {
            if try daemon.curl("GET", "/v1/readers").1.contains(#""cardPresent":true"#) { return }
            usleep(100_000)
        }
        throw HarnessError("the daemon did not see the good card within 30 s")
    }

    /// Runs `body` on its own thread and gives up after `seconds` (a hang is a failure, not a stuck test run).
    func bounded<T: Sendable>(_ seconds: Double, _ what: String, _ body: @escaping @Sendable () throws -> T) throws
        -> T
    {
        let result = PendingBox<T>()
        let done = DispatchSemaphore(value: 0)
        Thread {
            result.set(Result { try body() })
            done.signal()
        }.start()
        guard done.wait(timeout: .now() + seconds) == .success, let value = result.value else {
            throw HarnessError("\(what) did not return within \(seconds) s")
        }
        return try value.get()
    }

    func daemon(_ name: String, _ config: String) throws -> DaemonUnderTest {
        let daemon = try DaemonUnderTest(
            name: name,
            extraConfig: "[intake]\ncard_timeout_seconds = \(Self.deadline)\n[point]\ncommune_code = 26734\n" + config,
            environment: harness.clientEnvironment)
        try daemon.start()
        return daemon
    }

    // MARK: - Faults

    @Test("stationd card read: every fault gives a typed error within the deadline + 2 s, then a good card reads")
    func cardReadFaults() async throws {
        let stationd = try Binaries.path("stationd")
        let arguments = ["card", "read", "--can", can, "--reader", reader, "--json", "--timeout", "\(Self.deadline)"]
        for fault in Self.faults {
            let card = try startCard(["--fault", fault])
            let started = Date()
            let result = try runTool(stationd, arguments, environment: harness.clientEnvironment, timeout: 60)
            let elapsed = Date().timeIntervalSince(started)
            card.stop()
            #expect(elapsed < Self.deadline + 2, "\(fault): \(elapsed) s")
            #expect(result.status == 2, "\(fault): \(result.output)")
            let error = jsonError(result.output)
            #expect(Self.expectedCodes(fault).contains(error?["code"] as? String ?? ""), "\(fault): \(result.output)")
            #expect((error?["detail"] as? String)?.isEmpty == false, "\(fault): a technician's detail")
            let good = try startCard()
            defer { good.stop() }
            let read = try runTool(stationd, arguments, environment: harness.clientEnvironment, timeout: 60)
            #expect(read.status == 3, "after \(fault): \(read.output)")  // read; no trust anchor → not confirmed
            #expect(read.output.contains(#""citizen""#), "after \(fault)")
            print("card read, fault \(fault): \(String(format: "%.2f", elapsed)) s, \(error?["code"] ?? "-")")
        }
    }

    @Test("intake through the daemon: every fault gives a typed error within the deadline + 2 s, then a good card")
    func intakeFaults() async throws {
        let daemon = try daemon("faults-intake", "")
        defer { _ = daemon.stop() }
        let body = Data(#"{"can":"\#(can)","reader":"\#(reader)"}"#.utf8)
        for fault in Self.faults {
            let client = daemon.client(language: "en")
            defer { client.close() }
            let session = try client.request("POST", "/v1/intake", body: Data("{}".utf8))
                .decode(IntakeSessionWire.self)
            let card = try startCard(["--fault", fault])
            let started = Date()
            let failed = try bounded(Self.deadline + 20, "intake card read (\(fault))") {
                try client.request("POST", "/v1/intake/\(session.id)/card", body: body)
            }
            let elapsed = Date().timeIntervalSince(started)
            card.stop()
            #expect(elapsed < Self.deadline + 2, "\(fault): \(elapsed) s")
            #expect(failed.status == 502, "\(fault): \(failed.status)")
            let code = failed.error?.code ?? ""
            let answer = String(decoding: failed.body, as: UTF8.self)
            #expect(Self.expectedCodes(fault).contains(code), "\(fault): \(answer)")
            let good = try startCard()
            try waitForCard(daemon)
            defer { good.stop() }
            let read = try bounded(30, "intake card read after \(fault)") {
                try client.request("POST", "/v1/intake/\(session.id)/card", body: body)
            }
            #expect(read.status == 200, "after \(fault): \(String(decoding: read.body, as: UTF8.self))\n\(daemon.log)")
            #expect((try? read.decode(IntakeSessionWire.self).state) == "biometrics", "after \(fault)")
            _ = try client.request("DELETE", "/v1/intake/\(session.id)")
            print("intake, fault \(fault): \(String(format: "%.2f", elapsed)) s, \(code)")
        }
    }

    @Test("health check-in /v1/verify: every fault gives a typed error within the deadline + 2 s, then a good card")
    func verifyFaults() async throws {
        let daemon = try daemon("faults-health", "[station]\nprofile = health\n")
        defer { _ = daemon.stop() }
        // The second slot of the virtual reader: the same checks on a reader the earlier tests did not use.
        let reader = harness.readerName(slot: 1)
        let body = #"{"can":"\#(can)","reader":"\#(reader)"}"#
        for fault in Self.faults {
            let card = try startCard(["--fault", fault], slot: 1)
            let started = Date()
            let (status, answer) = try daemon.curl("POST", "/v1/verify", body: body)
            let elapsed = Date().timeIntervalSince(started)
            card.stop()
            #expect(elapsed < Self.deadline + 2, "\(fault): \(elapsed) s")
            #expect(status == 502, "\(fault): \(status) \(answer)")
            #expect(Self.expectedCodes(fault).contains(errorCode(answer) ?? ""), "\(fault): \(answer)")
            let good = try startCard(slot: 1)
            try waitForCard(daemon)
            defer { good.stop() }
            let (okStatus, result) = try daemon.curl("POST", "/v1/verify", body: body)
            #expect(okStatus == 200, "after \(fault): \(result)\n\(daemon.log)")
            #expect(result.contains(#""verdict""#), "after \(fault)")
            print("verify, fault \(fault): \(String(format: "%.2f", elapsed)) s, \(errorCode(answer) ?? "-")")
        }
    }

    // MARK: - Malformed files

    @Test("malformed DG2: the identity stands, portrait unreadable with the reason; malformed DG13: named, fatal")
    func malformedFiles() async throws {
        let stationd = try Binaries.path("stationd")
        let arguments = ["card", "read", "--can", can, "--reader", reader, "--json", "--trust", Self.trust.path]
        // stationd card read --json.
        do {
            let card = try startCard(["--malformed", "dg2"])
            defer { card.stop() }
            let result = try runTool(stationd, arguments, environment: harness.clientEnvironment, timeout: 60)
            #expect(result.status == 0, "\(result.output)")  // genuine: PA still covers DG2's hash
            let object = try #require(jsonLine(result.output))
            #expect(object["portrait"] as? String == "unreadable")
            #expect(object["portraitProblem"] as? String == "DG2: facial information block length too small")
            #expect((object["citizen"] as? [String: Any])?["idNumber"] != nil)
            #expect(object["photo"] == nil)
            let passive = object["passiveAuthentication"] as? [String: Any]
            #expect((passive?["intactDataGroups"] as? [Int])?.contains(2) == true)
        }
        do {
            let card = try startCard(["--malformed", "dg13"])
            defer { card.stop() }
            let result = try runTool(stationd, arguments, environment: harness.clientEnvironment, timeout: 60)
            #expect(result.status == 2, "\(result.output)")
            let error = jsonError(result.output)
            #expect(error?["code"] as? String == "chip.malformed_file")
            #expect(error?["file"] as? String == "DG13")
            #expect((error?["detail"] as? String)?.hasPrefix("DG13: ") == true, "\(result.output)")
            let text = try runTool(
                stationd, Array(arguments.dropLast(3)) + ["--lang", "en"],
                environment: harness.clientEnvironment, timeout: 60)
            #expect(text.output.contains("Chip data is malformed (DG13)"), "\(text.output)")
            #expect(text.output.contains("Technical detail: DG13: "), "\(text.output)")
        }
        // Through the daemon: the error body's detail names the file; the session shows the unreadable portrait.
        let daemon = try daemon("malformed", "")
        defer { _ = daemon.stop() }
        let body = Data(#"{"can":"\#(can)","reader":"\#(reader)"}"#.utf8)
        do {
            let card = try startCard(["--malformed", "dg13"])
            defer { card.stop() }
            let client = daemon.client(language: "en")
            defer { client.close() }
            let session = try client.request("POST", "/v1/intake", body: Data("{}".utf8))
                .decode(IntakeSessionWire.self)
            let failed = try client.request("POST", "/v1/intake/\(session.id)/card", body: body)
            #expect(failed.status == 502)
            #expect(failed.error?.code == "chip.malformed_file")
            let answer = String(decoding: failed.body, as: UTF8.self)
            #expect(failed.error?.detail?.hasPrefix("DG13: ") == true, "\(answer)")
            _ = try client.request("DELETE", "/v1/intake/\(session.id)")
            // stationctl: the operator's line, then the technician's line naming the file.
            let verify = try daemon.stationctl(["verify", "--can", can, "--reader", reader, "--lang", "en"])
            #expect(verify.status != 0)
            #expect(verify.output.contains("[chip.malformed_file]"), "\(verify.output)")
            #expect(verify.output.contains("Technical detail: DG13: "), "\(verify.output)")
        }
        do {
            let card = try startCard(["--malformed", "dg2"])
            defer { card.stop() }
            let client = daemon.client(language: "en")
            defer { client.close() }
            let session = try client.request("POST", "/v1/intake", body: Data("{}".utf8))
                .decode(IntakeSessionWire.self)
            let read = try client.request("POST", "/v1/intake/\(session.id)/card", body: body)
            #expect(read.status == 200, "\(String(decoding: read.body, as: UTF8.self))")
            let wire = try read.decode(IntakeSessionWire.self)
            #expect(wire.state == "biometrics")
            #expect(wire.maskedIDNumber != nil)
            #expect(wire.chipPortrait == "unreadable")
            #expect(wire.chipPortraitProblem == "DG2: facial information block length too small")
            _ = try client.request("DELETE", "/v1/intake/\(session.id)")
        }
        let set = try CitizenDataSet.load(Self.dataSet)
        #expect(!daemon.log.contains(set.idNumber) && !daemon.log.contains(set.fullName))
    }

    // MARK: - Expired document signer

    @Test("expired DS with a CSCA installed: refused by default (checkTime); genuine only with signingTime")
    func expiredSigner() async throws {
        let card = try startCard(["--pki", Self.expiredDS.path])
        defer { card.stop() }
        let body = #"{"can":"\#(can)","reader":"\#(reader)"}"#
        // An expired DS under the default model: `chainInvalid` (issue 17's name for a chain that does not hold).
        for (model, verdict) in [("", "chainInvalid"), ("signingTime", "genuine")] {
            let config =
                "[station]\nprofile = health\n[trust]\nfolder = \(Self.trust.path)\n"
                + (model.isEmpty ? "" : "signer_validity = \(model)\n")
            let daemon = try daemon("expired-ds\(model)", config)
            defer { _ = daemon.stop() }
            let (status, answer) = try daemon.curl("POST", "/v1/verify", body: body)
            #expect(status == 200, "\(answer)\n\(daemon.log)")
            let result = try ControlJSON.decoder().decode(VerifyResult.self, from: Data(answer.utf8))
            #expect(result.authenticity == verdict, "\(model): \(answer)")
            #expect(result.verdict == (verdict == "genuine" ? "accept" : "refer"), "\(model): \(answer)")
            // The answer names the validity model it was judged under, and why the chain is what it is.
            #expect(result.validityModel == (model.isEmpty ? "checkTime" : model), "\(answer)")
            #expect(result.chainReason == (model.isEmpty ? "documentSignerExpired" : "trusted"), "\(answer)")
        }
    }

    // MARK: - Helpers

    func jsonLine(_ output: String) -> [String: Any]? {
        output.split(separator: "\n").last { $0.hasPrefix("{") }.flatMap { jsonObject(String($0)) }
    }

    func jsonError(_ output: String) -> [String: Any]? { jsonLine(output)?["error"] as? [String: Any] }
}

/// A value one thread sets and another reads.
final class PendingBox<T: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: Result<T, any Error>?
    func set(_ value: Result<T, any Error>) { lock.withLock { stored = value } }
    var value: Result<T, any Error>? { lock.withLock { stored } }
}
