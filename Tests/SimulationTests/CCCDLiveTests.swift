import ChipID
import Foundation
import Simulation
import SmartCard
import StationTestKit
import Testing

/// Full chip reads through real pcscd → vpcd → `stationd simulate card` (a separate process). Serialized: they share
/// the process's one pcscd.
@Suite("Live CCCD: pcscd + vpcd + simulated CCCD", .serialized)
struct CCCDLiveTests {
    let lease: LivePCSC.Lease
    var harness: PCSCHarness { lease.harness }
    init() async throws { lease = try await LivePCSC.acquire() }

    /// Connects to the card in `slot`, retrying while pcscd has not yet seen it.
    func connect(slot: Int = 0, timeout: Double = 10) async throws -> CardConnection {
        let deadline = Date(timeIntervalSinceNow: timeout)
        while true {
            do {
                return try await CardReaders().connect(reader: harness.readerName(slot: slot))
            } catch let error as SmartCardError
                where Date() < deadline
                && [.noCard, .noService, .cardUnresponsive, .readerUnavailable].contains(error.code)
            {
                try await Task.sleep(for: .milliseconds(50))
            }
        }
    }

    /// Starts a simulated card on slot 0 and waits until it says vpcd took it (so a connection reaches this card,
    /// never the previous test's).
    func startCard(_ arguments: [String]) throws -> LiveCard {
        let card = try harness.startCard(arguments: arguments)
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

    @Test("every data set: PACE-CAN, PACE-MRZ and BAC reads equal the data set")
    func dataSets() async throws {
        for url in CCCDPaths.dataSets {
            let set = try CitizenDataSet.load(url)
            let card = try startCard(["--dataset", url.path])
            defer { card.stop() }
            for mode in ["can", "mrz", "bac"] {
                let connection = try await connect()
                #expect(connection.atr?.bytes == EMRTDCard.cccdATR)
                var reader = ChipReader(transport: connection)
                reader.allowPACE = mode != "bac"
                let read = try await reader.read(key: mode == "can" ? .can(digits: set.can) : mrzKey(set))
                // Reset, as a reader does between sessions: the chip forgets the selected application.
                try await connection.disconnect(.reset)
                #expect(read.accessProtocol.description.hasPrefix(mode == "bac" ? "BAC" : "PACE"))
                let citizen = try #require(read.dg13)
                #expect(actualCitizen(citizen) == expectedCitizen(set), "\(url.lastPathComponent) \(mode)")
                #expect(read.dg1?.mrz.lines == CCCDMRZ.lines(for: set))
                #expect(read.dg2?.face.imageData == CCCDFiles.portrait(set))
                #expect(read.mismatches.isEmpty)
                #expect(read.files[.dg(13)]?.bytes == CCCDFiles.dg13(set))
                #expect(read.sod != nil && read.dg14 != nil && read.dg15 != nil)
            }
        }
    }

    @Test("BSI TR-03105-5 files via --lds --mrz: BAC-only card, every file byte for byte, DG1 MRZ, DG2 JPEG 2000")
    func bsiReferenceFiles() async throws {
        guard let folder = CCCDPaths.bsi else { return }
        let mrzText = try CCCDPaths.bsiMRZ(folder)
        #expect(mrzText.contains("C11T002JM4D<<9608122F2310314"))
        let card = try startCard(["--lds", folder.path, "--mrz", mrzText])
        defer { card.stop() }
        let expected = try LDSDirectory.load(folder)
        #expect(expected.count == 6)
        let mrz = try MRZ(mrzText)
        let key = AccessKey.mrz(mrz.keySeed)

        // ChipReader: no EF.CardAccess, so BAC.
        let connection = try await connect()
        let read = try await ChipReader(transport: connection).read(key: key)
        #expect(read.accessProtocol == .bac)
        #expect(read.dg1?.mrz.lines.joined() == mrzText)
        #expect(read.dg1?.mrz.documentNumber == "C11T002JM")
        #expect(read.dg1?.mrz.dateOfBirth == "960812" && read.dg1?.mrz.dateOfExpiry == "231031")
        let dg2 = try #require(read.files[.dg(2)])
        #expect(dg2.bytes.count == 15_083)
        let face = try #require(read.dg2?.face)
        #expect(face.encoding == .jpeg2000)
        #expect(face.width == 337 && face.height == 449)
        #expect(face.imageData.starts(with: [0x00, 0x00, 0x00, 0x0C, 0x6A, 0x50, 0x20, 0x20, 0x0D, 0x0A, 0x87, 0x0A]))
        for (file, bytes) in read.files { #expect(bytes.bytes == expected[file], "\(file)") }
        #expect(read.files.keys.sorted() == [.com, .dg(1), .dg(2), .dg(14), .sod])

        // Every file (DG15 too, which EF.COM does not list), byte for byte, by SFI over BAC secure messaging.
        let session = try await BACProtocol.run(over: connection, seed: mrz.keySeed)
        let secure = SecureMessagingTransport(wrapping: connection, session: session)
        let files = FileReader(transport: secure)
        for (file, bytes) in expected {
            #expect(try await files.read(file).bytes == bytes, "\(file)")
        }
        try await connection.disconnect()
    }

    @Test("wrong CAN: typed access denied with the attempts left, and nothing read")
    func wrongCAN() async throws {
        let url = CCCDPaths.cards.appendingPathComponent("nguyen-van-an.json")
        let card = try startCard(["--dataset", url.path])
        defer { card.stop() }
        let connection = try await connect()
        let log = CommandLog(wrapping: connection)
        do {
            _ = try await ChipReader(transport: log).read(key: .can(digits: "111111"))
            Issue.record("a wrong CAN was accepted")
        } catch {
            #expect(error.code == .accessDenied)
            #expect(error.attemptsLeft == 2)
            #expect(error.operatorMessage.contains("Còn 2 lần thử"))
        }
        let commands = await log.commands
        #expect(!commands.contains { $0.cla & 0x0C == 0x0C }, "no secure-messaging command after the failure")
        #expect(commands.filter { $0.ins == 0xB0 }.allSatisfy { $0.cla == 0 } && commands.last?.ins == 0x86)
        try await connection.disconnect()
    }

    @Test("card pulled in the middle of DG2: typed error, no partial result")
    func cardPulled() async throws {
        let url = CCCDPaths.cards.appendingPathComponent("cong-ton-nu-long-name.json")
        let set = try CitizenDataSet.load(url)
        let card = try startCard(["--dataset", url.path])
        defer { card.stop() }
        let connection = try await connect()
        let pulled = PulledFlag()
        var result: ChipRead?
        do {
            result = try await ChipReader(transport: connection).read(key: .can(digits: set.can)) { file, done, total in
                if file == .dg(2), done > 2_000, done < total, pulled.set() { card.stop() }
            }
            Issue.record("the read finished although the card was pulled")
        } catch {
            #expect([.cardRemoved, .transport].contains(error.code), "\(error)")
            #expect(error.operatorMessage.contains("Thẻ") || error.operatorMessage.contains("đầu đọc"))
        }
        #expect(result == nil)
        #expect(pulled.wasSet)
        try? await connection.disconnect()
    }

    @Test("--fault bad-mac: the tampered response MAC gives a typed error and closes the session")
    func badMAC() async throws {
        let url = CCCDPaths.cards.appendingPathComponent("nguyen-van-an.json")
        let set = try CitizenDataSet.load(url)
        let card = try startCard(["--dataset", url.path, "--fault", "bad-mac:4"])
        defer { card.stop() }
        let connection = try await connect()
        do {
            _ = try await ChipReader(transport: connection).read(key: .can(digits: set.can))
            Issue.record("a tampered MAC was accepted")
        } catch {
            #expect(error.code == .badMAC)
        }
        try await connection.disconnect()
    }

    @Test("stationd card read --json as a process; wrong CAN exits 4")
    func cardReadCommand() async throws {
        let url = CCCDPaths.cards.appendingPathComponent("pham-van-duc-no-expiry.json")
        let set = try CitizenDataSet.load(url)
        let card = try startCard(["--dataset", url.path])
        defer { card.stop() }
        _ = try await connect()
        let stationd = try Binaries.path("stationd")
        let photo = FileManager.default.temporaryDirectory.appendingPathComponent("portrait-\(getpid()).jpg")
        defer { try? FileManager.default.removeItem(at: photo) }
        let result = try runTool(
            stationd,
            [
                "card", "read", "--can", set.can, "--json", "--reader",
                harness.readerName(), "--photo", photo.path,
            ],
            environment: harness.clientEnvironment, timeout: 60)
        // Read and intact, but no trust anchor is configured: exit 3, "not confirmed" (never 0 without a chain).
        #expect(result.status == 3, "\(result.output)")
        let line = try #require(result.output.split(separator: "\n").last { $0.hasPrefix("{") })
        let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        let citizen = try #require(object["citizen"] as? [String: Any])
        #expect(citizen["fullName"] as? String == set.fullName)
        #expect(citizen["idNumber"] as? String == set.idNumber)
        #expect(citizen["dateOfExpiry"] as? String == "Không thời hạn")
        #expect(citizen["noExpiry"] as? Bool == true)
        #expect(citizen["oldIDNumber"] as? String == set.oldIDNumber)
        #expect(citizen["spouseName"] as? String == set.spouseName)
        #expect((object["mrz"] as? [String: Any])?["dateOfExpiry"] as? String == "991231")
        #expect((object["photo"] as? [String: Any])?["encoding"] as? String == "jpeg")
        #expect(try [UInt8](Data(contentsOf: photo)) == CCCDFiles.portrait(set))
        #expect(!result.output.contains("FFD8FF"), "no image bytes printed")

        let text = try runTool(
            stationd,
            [
                "card", "read", "--id", set.idNumber, "--dob", set.dateOfBirthYYMMDD,
                "--expiry", "khong thoi han", "--lang", "en", "--reader",
                harness.readerName(),
            ], environment: harness.clientEnvironment, timeout: 60)
        #expect(text.status == 3, "\(text.output)")
        #expect(text.output.contains("Full name: \(set.fullName)"))
        let mrzText = CCCDMRZ.lines(for: set).joined(separator: "\n")
        let vietnamese = try runTool(
            stationd, ["card", "read", "--mrz", mrzText, "--reader", harness.readerName()],
            environment: harness.clientEnvironment, timeout: 60)
        #expect(vietnamese.status == 3, "\(vietnamese.output)")
        #expect(vietnamese.output.contains("Họ và tên: \(set.fullName)"))
        #expect(vietnamese.output.contains("Có giá trị đến: Không thời hạn"))
        #expect(vietnamese.output.contains("Vợ/chồng: \(set.spouseName ?? "-")"))
        print(vietnamese.output)

        let denied = try runTool(
            stationd,
            [
                "card", "read", "--can", "000000", "--json", "--reader",
                harness.readerName(),
            ], environment: harness.clientEnvironment, timeout: 60)
        #expect(denied.status == 4, "\(denied.output)")
        #expect(denied.output.contains("chip.access_denied"))
        #expect(denied.output.contains("\"attemptsLeft\":2"))
    }

    @Test("benchmark: a full read against the transport floor, via stationd card read --benchmark (figures printed)")
    func benchmark() async throws {
        // Reader and card are the stationd binary in use: point STATION_BIN_DIR at a release build for real figures.
        let url = CCCDPaths.cards.appendingPathComponent("cong-ton-nu-long-name.json")
        let set = try CitizenDataSet.load(url)
        let stationd = try Binaries.path("stationd")
        for atr in ["cccd", "extended"] {
            let card = try startCard(["--dataset", url.path, "--atr", atr])
            defer { card.stop() }
            try await connect().disconnect()
            let result = try runTool(
                stationd,
                [
                    "card", "read", "--can", set.can, "--benchmark", "--json", "--reader",
                    harness.readerName(),
                ], environment: harness.clientEnvironment,
                timeout: 60)
            #expect(result.status == 0, "\(result.output)")
            let line = try #require(result.output.split(separator: "\n").last { $0.hasPrefix("{") })
            let figures = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            print("CCCD read benchmark (\(atr) ATR, \(stationd)): \(line)")
            let apdus = try #require(figures["fileAPDUs"] as? Int)
            let minimum = try #require(figures["minimumFileAPDUs"] as? Int)
            #expect(apdus >= minimum && minimum > 0)
            #expect((figures["fileBytes"] as? Int ?? 0) > 15_000)
            #expect((figures["roundTripMs"] as? Double ?? 0) > 0)
            if atr == "cccd" { #expect(figures["chunkSize"] as? Int == 223) }
        }
    }
}

/// A running simulated card; `stop()` ends it and waits until pcscd has seen it leave.
struct LiveCard: Sendable {
    let process: ManagedProcess
    let harness: PCSCHarness
    func stop() {
        process.stop()
        harness.waitUntilEmpty(slot: 0)
    }
}

/// Records the commands a reader sends.
actor CommandLog: CardTransport {
    private let inner: any CardTransport
    private(set) var commands: [CommandAPDU] = []
    init(wrapping inner: any CardTransport) { self.inner = inner }
    func transmit(_ command: CommandAPDU) async throws -> ResponseAPDU {
        commands.append(command)
        return try await inner.transmit(command)
    }
    var limits: TransportLimits { get async { await inner.limits } }
}

/// A flag set once from a progress callback.
final class PulledFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false
    /// Sets the flag; true the first time.
    func set() -> Bool {
        lock.withLock {
            defer { value = true }
            return !value
        }
    }
    var wasSet: Bool { lock.withLock { value } }
}
