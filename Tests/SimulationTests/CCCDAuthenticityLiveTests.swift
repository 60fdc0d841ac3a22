import ChipID
import Foundation
import Simulation
import SmartCard
import StationTestKit
import Testing

/// The authenticity verdict through real pcscd → vpcd → `stationd simulate card`: Passive Authentication against
/// the test CSCA, Chip Authentication v1 / Active Authentication against the simulated chip's private keys, and the
/// negative cards (DG13 altered, untrusted CSCA, clone, expired DS).
@Suite("Live CCCD authenticity: PA + CA/AA through pcscd + vpcd", .serialized)
struct CCCDAuthenticityLiveTests {
    let lease: LivePCSC.Lease
    var harness: PCSCHarness { lease.harness }
    init() async throws { lease = try await LivePCSC.acquire() }

    static let dataSet = CCCDPaths.cards.appendingPathComponent("nguyen-van-an.json")
    static let trust = CCCDPaths.pki.appendingPathComponent("trust")

    /// Starts a card on slot 0 and waits until vpcd took it.
    func startCard(_ arguments: [String]) throws -> LiveCard {
        let card = try harness.startCard(arguments: ["--dataset", Self.dataSet.path] + arguments)
        let deadline = Date(timeIntervalSinceNow: 10)
        while !card.output.contains("card inserted") {
            guard card.isRunning, Date() < deadline else {
                card.stop()
                throw HarnessError("the simulated card did not start: \(card.output)")
            }
            usleep(10_000)
        }
        return LiveCard(process: card, harness: harness)
    }

    func connect(timeout: Double = 10) async throws -> CardConnection {
        let deadline = Date(timeIntervalSinceNow: timeout)
        while true {
            do {
                return try await CardReaders().connect(reader: harness.readerName(slot: 0))
            } catch let error as SmartCardError
                where Date() < deadline
                && [.noCard, .noService, .cardUnresponsive, .readerUnavailable].contains(error.code)
            {
                try await Task.sleep(for: .milliseconds(50))
            }
        }
    }

    /// Reads the card with authentication on (CA preferred; `activeOnly` turns CA off so AA runs).
    func authenticate(_ key: AccessKey? = nil, bac: Bool = false, activeOnly: Bool = false) async throws
        -> (AuthenticityFindings, ChipRead)
    {
        let set = try CitizenDataSet.load(Self.dataSet)
        let connection = try await connect()
        var reader = ChipReader(transport: connection)
        reader.allowPACE = !bac
        var options = AuthenticationOptions(trustList: try CSCATrustList.load(folder: Self.trust))
        options.chipAuthentication = !activeOnly
        reader.authentication = options
        let read = try await reader.read(key: key ?? .can(digits: set.can))
        try await connection.disconnect(.reset)
        return (try #require(read.authenticity), read)
    }

    @Test("genuine card, trusted CSCA: DGs intact, signature valid, chain trusted; CA passes (PACE, BAC); AA passes")
    func genuine() async throws {
        let card = try startCard([])
        defer { card.stop() }
        let set = try CitizenDataSet.load(Self.dataSet)
        for bac in [false, true] {
            let (verdict, read) = try await authenticate(bac ? mrzKey(set) : nil, bac: bac)
            let passive = try #require(verdict.passive)
            #expect(passive.dataGroupsIntact && passive.signatureValid && passive.messageDigestValid)
            #expect(passive.mismatchedDataGroups.isEmpty)
            #expect(passive.chain == .trusted, "\(passive.chainReason)")
            #expect(passive.isGenuine)
            #expect(verdict.cloneCheck.method == .chipAuthentication)
            #expect(verdict.cloneCheck.outcome == .passed, "\(verdict.cloneCheck)")
            #expect(verdict.cloneCheckKeyAuthenticated)
            // The rest of the read continued under the CA keys: DG13 still equals the data set.
            #expect(read.files[.dg(13)]?.bytes == CCCDFiles.dg13(set))
        }
        let (aa, _) = try await authenticate(activeOnly: true)
        #expect(aa.cloneCheck.method == .activeAuthentication)
        #expect(aa.cloneCheck.outcome == .passed, "\(aa.cloneCheck)")
        #expect(aa.cloneCheckKeyAuthenticated)
    }

    @Test("DG13 altered after signing: PA reports exactly DG13 mismatched; the signature still verifies")
    func alteredDG13() async throws {
        let card = try startCard(["--alter-dg13"])
        defer { card.stop() }
        let (verdict, _) = try await authenticate()
        let passive = try #require(verdict.passive)
        #expect(passive.mismatchedDataGroups == [13])
        #expect(!passive.dataGroupsIntact && !passive.isGenuine)
        #expect(passive.signatureValid)
        #expect(verdict.cloneCheck.outcome == .passed)
        // The same card through the by-hand command: NOT GENUINE naming DG13, exit 5.
        let result = try cardRead(["--lang", "en"])
        #expect(result.status == 5, "\(result.output)")
        #expect(result.output.contains("NOT GENUINE: data altered (DG13)"), "\(result.output)")
    }

    @Test("signed by a second, untrusted test CSCA: data and signature valid, chain not trusted")
    func untrustedCSCA() async throws {
        let card = try startCard(["--pki", CCCDPaths.pki.appendingPathComponent("untrusted-csca").path])
        defer { card.stop() }
        let (verdict, _) = try await authenticate()
        let passive = try #require(verdict.passive)
        #expect(passive.signatureAndIntegrityValid)
        #expect(passive.chain == .untrusted, "\(passive.chainReason)")
        #expect(passive.chainReason.contains("no configured CSCA matches"))
        #expect(!passive.isGenuine)
        #expect(passive.signerIssuer.contains("UNTRUSTED"))
        print("untrusted CSCA: chain \(passive.chain.rawValue): \(passive.chainReason)")
    }

    @Test("clone (DG14/DG15 keys the chip does not hold): CA fails (reading stops), AA fails; PA alone passes")
    func clone() async throws {
        let card = try startCard(["--clone"])
        defer { card.stop() }
        let (verdict, _) = try await authenticate()
        #expect(verdict.cloneCheck.method == .chipAuthentication)
        #expect(verdict.cloneCheck.outcome == .failed, "\(verdict.cloneCheck)")
        #expect(verdict.passive == nil && verdict.passiveError != nil, "the reader stops after a failed CA")
        let (aa, _) = try await authenticate(activeOnly: true)
        #expect(aa.cloneCheck.method == .activeAuthentication)
        #expect(aa.cloneCheck.outcome == .failed, "\(aa.cloneCheck)")
        // The clone copied a genuine card's signed files: PA alone cannot tell it apart.
        #expect(aa.passive?.isGenuine == true)
    }

    @Test("expired document signer: intact and signed, DS expired now → chain invalid; trusted only at signing time")
    func expiredSigner() async throws {
        let card = try startCard(["--pki", CCCDPaths.pki.appendingPathComponent("expired-ds").path])
        defer { card.stop() }
        let (verdict, _) = try await authenticate()
        let passive = try #require(verdict.passive)
        #expect(passive.signatureAndIntegrityValid)
        #expect(passive.signerExpiredNow)
        #expect(passive.signerValidAtSigning)
        // Checked at the time of the check (the default): an expired DS is not genuine.
        #expect(passive.chain == .invalid, "\(passive.chainReason)")
        #expect(passive.chainReasonCode == .documentSignerExpired)
        #expect(passive.validityModel == .checkTime)
        #expect(!passive.isGenuine)
        #expect(verdict.cloneCheck.outcome == .passed)
        // stationd card read: not genuine (exit 3, not 0), the JSON names the reason and the model.
        let read = try cardRead(["--json"])
        #expect(read.status == 3, "\(read.output)")
        let object = try jsonObject(read.output)
        #expect(object["genuine"] as? Bool == false)
        #expect(object["verdict"] as? String == "chainInvalid")
        let json = try #require(object["passiveAuthentication"] as? [String: Any])
        #expect(json["chain"] as? String == "invalid")
        #expect(json["chainReasonCode"] as? String == "documentSignerExpired")
        #expect(json["validityModel"] as? String == "checkTime")
        let line = try cardRead(["--lang", "en"])
        #expect(line.output.contains("NOT ACCEPTED") && line.output.contains("documentSignerExpired"), "\(line.output)")
        // The ICAO signing-time model, for authorities that need it: valid when it signed → genuine.
        let icao = try cardRead(["--json", "--signer-validity", "signingTime"])
        #expect(icao.status == 0, "\(icao.output)")
        let icaoPassive = try #require(try jsonObject(icao.output)["passiveAuthentication"] as? [String: Any])
        #expect(icaoPassive["chain"] as? String == "trusted")
        #expect(icaoPassive["validityModel"] as? String == "signingTime")
        print("expired DS: chain \(passive.chain.rawValue): \(passive.chainReason)")
    }

    /// Runs `stationd card read --can … --trust …` and returns its exit status and output.
    func cardRead(_ extra: [String]) throws -> (status: Int32, output: String) {
        let set = try CitizenDataSet.load(Self.dataSet)
        return try runTool(
            try Binaries.path("stationd"),
            [
                "card", "read", "--can", set.can, "--trust", Self.trust.path, "--reader",
                harness.readerName(),
            ] + extra, environment: harness.clientEnvironment, timeout: 60)
    }

    func jsonObject(_ output: String) throws -> [String: Any] {
        let line = try #require(output.split(separator: "\n").last { $0.hasPrefix("{") })
        return try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
    }

    @Test("stationd card read --json --trust: genuine card → genuine, PA object, CA passed; one verdict line")
    func cardReadGenuine() async throws {
        let card = try startCard([])
        defer { card.stop() }
        _ = try await connect()
        let result = try cardRead(["--json"])
        #expect(result.status == 0, "\(result.output)")
        let object = try jsonObject(result.output)
        #expect(object["genuine"] as? Bool == true)
        #expect(object["verdict"] as? String == "genuine")
        let passive = try #require(object["passiveAuthentication"] as? [String: Any])
        #expect(passive["chain"] as? String == "trusted")
        #expect(passive["dataGroupsIntact"] as? Bool == true)
        #expect(passive["signatureValid"] as? Bool == true)
        let clone = try #require(object["cloneCheck"] as? [String: Any])
        #expect(clone["method"] as? String == "chipAuthentication")
        #expect(clone["chipAuthentication"] as? String == "passed")
        #expect(clone["activeAuthentication"] as? String == "notRun")
        #expect(clone["keyCoveredBySOD"] as? Bool == true)

        let vietnamese = try cardRead([])
        #expect(vietnamese.status == 0, "\(vietnamese.output)")
        let verdictLines = vietnamese.output.split(separator: "\n").filter { $0.hasPrefix("Xác thực: ") }
        #expect(verdictLines.count == 1)
        #expect(verdictLines.first?.contains("THẺ THẬT") == true, "\(verdictLines)")
        let english = try cardRead(["--lang", "en"])
        #expect(english.output.contains("Authenticity: GENUINE"), "\(english.output)")
    }

    @Test("stationd card read --json --trust: clone → not genuine, CA failed; the line says suspected clone")
    func cardReadClone() async throws {
        let card = try startCard(["--clone"])
        defer { card.stop() }
        _ = try await connect()
        let result = try cardRead(["--json"])
        #expect(result.status == 5, "a suspected clone exits 5: \(result.output)")
        let object = try jsonObject(result.output)
        #expect(object["genuine"] as? Bool == false)
        #expect(object["verdict"] as? String == "clone")
        #expect(object["passiveAuthentication"] == nil && object["passiveAuthenticationError"] != nil)
        let clone = try #require(object["cloneCheck"] as? [String: Any])
        #expect(clone["chipAuthentication"] as? String == "failed")
        let english = try cardRead(["--lang", "en"])
        #expect(
            english.output.contains("Authenticity: NOT GENUINE") && english.output.contains("CA failed"),
            "\(english.output)")
    }

    @Test("stationd card read without --trust: chain unknown, said honestly (not genuine, not 'altered')")
    func cardReadWithoutTrust() async throws {
        let card = try startCard([])
        defer { card.stop() }
        _ = try await connect()
        let set = try CitizenDataSet.load(Self.dataSet)
        let result = try runTool(
            try Binaries.path("stationd"),
            ["card", "read", "--can", set.can, "--json", "--reader", harness.readerName()],
            environment: harness.clientEnvironment, timeout: 60)
        #expect(result.status == 3, "intact but not confirmed exits 3: \(result.output)")
        let object = try jsonObject(result.output)
        #expect(object["genuine"] as? Bool == false)
        #expect(object["verdict"] as? String == "verifiedOffline")
        #expect((object["passiveAuthentication"] as? [String: Any])?["chain"] as? String == "unknown")
        #expect((object["cloneCheck"] as? [String: Any])?["outcome"] as? String == "passed")
    }
}
