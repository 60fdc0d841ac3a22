import Simulation
import SmartCard
import Synchronization
import Testing

@testable import ChipID

@Suite("ChipReader end to end against an in-memory card")
struct ChipReaderTests {
    static func card(
        cardAccess: [UInt8]? = nil, files: [LDSFile: [UInt8]] = TestDataSet.files(),
        limits: TransportLimits = .short, shortIDs: Bool = true,
        corrupt: Int? = nil
    ) throws -> InMemoryEMRTD {
        var config = InMemoryEMRTD.Configuration(files: files, cardAccess: cardAccess, mrz: try TestCCCD.seed)
        config.can = "012345"
        config.limits = limits
        config.behaviour.shortEFIdentifiers = shortIDs
        config.fault = corrupt.map { .badResponseMAC(atResponse: $0) }
        return InMemoryEMRTD(config)
    }

    static var mrzKey: AccessKey { get throws { .mrz(try TestCCCD.seed) } }

    /// APDUs a file costs: whole chunks of `chunk` bytes from the start (the first one carries the TLV length);
    /// with `header`, a strict card's small header read first, then the chunks.
    static func cost(_ size: Int, chunk: Int, header: Int? = nil) -> Int {
        guard let header else { return max(1, (size + chunk - 1) / chunk) }
        return 1 + (max(0, size - header) + chunk - 1) / chunk
    }

    @Test("BAC + 3DES SM: all files, typed values, APDU count")
    func bacFlow() async throws {
        let files = TestDataSet.files()
        let card = try Self.card(files: files)
        let progress = Mutex<[LDSFile: [Int]]>([:])
        let read = try await ChipReader(transport: card).read(key: try Self.mrzKey) { file, done, total in
            progress.withLock { $0[file, default: []].append(done) }
            precondition(done <= total)
        }
        #expect(read.accessProtocol == .bac)
        #expect(read.dg1?.mrz.citizenIDNumber == "001099012345")
        #expect(read.dg13?.fullName == "Nguyễn Văn A")
        #expect(read.dg2?.face.encoding == .jpeg)
        #expect(read.mismatches.isEmpty)
        #expect(read.missingFiles.isEmpty)
        for (file, bytes) in files { #expect(read.files[file]?.bytes == bytes, "\(file)") }
        #expect(read.sod == files[.sod] && read.dg14 == files[.dg(14)] && read.dg15 == files[.dg(15)])
        let fileAPDUs = files.values.map { Self.cost($0.count, chunk: 231) }.reduce(0, +)
        #expect(read.apduCount == 1 + 1 + 2 + fileAPDUs)  // CardAccess probe, SELECT AID, BAC, files
        #expect(await card.commandCount == read.apduCount)
        // Short EF identifiers: no SELECT EF inside the application, every file read starts with P1 = 80|SFI.
        let commands = await card.received
        #expect(commands.filter { $0.ins == 0xA4 && $0.p1 == 0x02 }.count == 1)  // EF.CardAccess probe only
        #expect(
            Set(commands.filter { $0.ins == 0xB0 && $0.p1 & 0x80 != 0 }.map { $0.p1 & 0x1F })
                == [0x1E, 0x01, 0x02, 0x0D, 0x0E, 0x0F, 0x1D])
        let seen = progress.withLock { $0 }
        for (file, bytes) in files { #expect(seen[file]?.last == bytes.count, "\(file)") }
        #expect(!read.description.contains("001099012345"))
    }

    @Test("PACE-CAN (CCCD EF.CardAccess) + AES SM")
    func paceFlow() async throws {
        let card = try Self.card(cardAccess: TestDataSet.cardAccess)
        let read = try await ChipReader(transport: card).read(key: .can("012345"))
        guard case .pace(let info) = read.accessProtocol else {
            Issue.record("not PACE")
            return
        }
        #expect(info.cipher == .aes128 && info.parameterID == 13)
        #expect(read.dg13?.motherName == "Trần Thị C")
        #expect(read.files[.cardAccess]?.bytes == TestDataSet.cardAccess)
        let files = TestDataSet.files()
        let fileAPDUs = files.values.map { Self.cost($0.count, chunk: 223) }.reduce(0, +)
        // CardAccess SELECT + 1 read (the whole file in the first READ BINARY), MSE + 4 GA, SELECT AID, files.
        #expect(read.apduCount == 2 + 5 + 1 + fileAPDUs)
        // PACE with the MRZ password works too.
        let again = try await ChipReader(transport: try Self.card(cardAccess: TestDataSet.cardAccess))
            .read(key: try Self.mrzKey)
        #expect(again.dg1?.mrz.documentNumber == "099012345")
    }

    @Test("wrong CAN → accessDenied with attempts left, nothing read")
    func wrongCAN() async throws {
        let card = try Self.card(cardAccess: TestDataSet.cardAccess)
        let target1 = card
        let accessKey1 = AccessKey.can("999999")
        if let error = await readError(target1, accessKey1) {
            #expect(error.code == .accessDenied)
            #expect(error.attemptsLeft == 2)
            #expect(error.operatorMessage.contains("Còn 2 lần thử"))
        } else {
            Issue.record("read succeeded")
        }
        #expect(await card.received.allSatisfy { $0.ins != 0xB0 || $0.cla & 0x0C == 0 })
        #expect(await card.received.filter { $0.cla & 0x0C == 0x0C }.isEmpty)
    }

    @Test("wrong MRZ data under BAC → accessDenied, nothing read")
    func wrongBAC() async throws {
        let card = try Self.card()
        let wrong = AccessKey.mrz(
            try MRZKeySeed(
                documentNumber: "099012345", dateOfBirth: "990102",
                dateOfExpiry: "240101"))
        let target2 = card
        let accessKey2 = wrong
        if let error = await readError(target2, accessKey2) {
            #expect(error.code == .accessDenied)
        } else {
            Issue.record("read succeeded")
        }
        #expect(await card.received.filter { $0.ins == 0xB0 || $0.ins == 0xB1 }.isEmpty)
        // A CAN cannot do BAC.
        let target3 = try Self.card()
        let accessKey3 = AccessKey.can("012345")
        if let error = await readError(target3, accessKey3) {
            #expect(error.code == .unsupported)
        } else {
            Issue.record("CAN without PACE succeeded")
        }
    }

    @Test("a tampered response MAC → badMAC, session closed")
    func tamperedMAC() async throws {
        for index in [1, 3, 7] {
            let card = try Self.card(corrupt: index)
            let target4 = card
            let accessKey4 = try Self.mrzKey
            if let error = await readError(target4, accessKey4) {
                #expect(error.code == .badMAC, "tampered response \(index)")
            } else {
                Issue.record("read succeeded despite tampering at \(index)")
            }
            // Responses 1 and 3 open a file (COM, DG2): nothing is queued behind them. Response 7 is a middle chunk of
            // DG2, and the reader had already queued the next chunk before it arrived (pipelined reads): that one
            // READ BINARY reaches the card, nothing is protected or sent once the bad MAC has been seen.
            let queuedBehind = index == 7 ? 1 : 0
            let commands = await card.received
            #expect(commands.count == 4 + index + queuedBehind, "nothing sent after the bad MAC")
            if queuedBehind == 1 { #expect(commands.last?.ins == 0xB0 && commands.last!.p1 & 0x80 == 0) }
        }
    }

    @Test("extended length: DG2 in two APDUs")
    func extended() async throws {
        let limits = TransportLimits(extendedLength: true, maxCommandData: 65_535, maxResponseData: 65_536)
        let card = try Self.card(limits: limits)
        let read = try await ChipReader(transport: card).read(key: try Self.mrzKey)
        #expect(read.apduCount == 1 + 1 + 2 + 7)  // every file, DG2 included, in one READ BINARY
        #expect(await card.received.contains { $0.isExtended })
    }

    @Test("no short EF identifiers: falls back to SELECT by FID")
    func noShortIDs() async throws {
        let files = TestDataSet.files()
        let card = try Self.card(shortIDs: false)
        let read = try await ChipReader(transport: card).read(key: try Self.mrzKey)
        for (file, bytes) in files { #expect(read.files[file]?.bytes == bytes) }
        let fileAPDUs = files.values.map { Self.cost($0.count, chunk: 231) + 2 }.reduce(0, +)
        #expect(read.apduCount == 4 + fileAPDUs)
    }

    @Test("large DG2 past offset 32767 uses odd-INS READ BINARY")
    func oddINS() async throws {
        var files = TestDataSet.files(imageSize: 40_000)
        files[.dg(15)] = nil
        let card = try Self.card(files: files)
        let read = try await ChipReader(transport: card).read(key: try Self.mrzKey)
        #expect(read.files[.dg(2)]?.bytes == files[.dg(2)])
        #expect(read.dg2?.face.imageData.count == 40_000)
        #expect(await card.received.contains { $0.ins == 0xB1 })
        #expect(read.missingFiles == [.dg(15)])
    }

    @Test("card removed mid-read passes through as .cardRemoved with the PC/SC error")
    func cardRemoved() async throws {
        let removal = SmartCardError(.cardRemoved, pcscStatus: 0x8010_0069, reason: "SCARD_W_REMOVED_CARD")
        for after in [0, 2, 6, 12] {
            let failing = FailingTransport(inner: try Self.card(), failAfter: after, error: removal)
            let error = await readError(failing, try Self.mrzKey)
            #expect(error?.code == .cardRemoved, "after \(after)")
            #expect(error?.smartCardError == removal)
        }
    }

    @Test("other transport failures pass through as .transport")
    func transportError() async throws {
        let failing = FailingTransport(inner: try Self.card(), failAfter: 6)
        let target5 = failing
        let accessKey5 = try Self.mrzKey
        if let error = await readError(target5, accessKey5) {
            #expect(error.code == .transport)
            #expect(error.underlying?.contains("card removed") == true)
        } else {
            Issue.record("read succeeded")
        }
    }

    @Test("missing DG1 → fileMissing; malformed DG13 → malformedFile")
    func badFiles() async throws {
        var files = TestDataSet.files()
        files[.dg(1)] = nil
        let target6 = try Self.card(files: files)
        let accessKey6 = try Self.mrzKey
        if let error = await readError(target6, accessKey6) {
            #expect(error.code == .fileMissing)
        } else {
            Issue.record("read succeeded")
        }
        files = TestDataSet.files()
        files[.dg(13)] = TestDataSet.tlv(0x6D, TestDataSet.tlv(0x30, [0x02, 0x01]))
        let target7 = try Self.card(files: files)
        let accessKey7 = try Self.mrzKey
        if let error = await readError(target7, accessKey7) {
            #expect(error.code == .malformedFile)
        } else {
            Issue.record("read succeeded")
        }
    }
}

/// Forwards to a card, then throws "card removed" from the n-th command on.
actor FailingTransport: CardTransport {
    struct Removed: Error, CustomStringConvertible { var description: String { "card removed" } }
    let inner: any CardTransport
    let failAfter: Int
    let error: (any Error)?
    var sent = 0

    init(inner: any CardTransport, failAfter: Int, error: SmartCardError? = nil) {
        self.inner = inner
        self.failAfter = failAfter
        self.error = error
    }

    func transmit(_ command: CommandAPDU) async throws -> ResponseAPDU {
        sent += 1
        if sent > failAfter { throw error ?? Removed() }
        return try await inner.transmit(command)
    }

    var limits: TransportLimits { get async { await inner.limits } }
}

/// The error a full read ends with, or nil when it succeeds.
func readError(_ transport: any CardTransport, _ key: AccessKey) async -> ChipIDError? {
    do {
        _ = try await ChipReader(transport: transport).read(key: key)
        return nil
    } catch {
        return error
    }
}

@Suite("PACE variants end to end (card-side PACE in the in-memory card)")
struct PACEVariantTests {
    /// EF.CardAccess with one PACEInfo for `oidLast` (x.y of id-PACE) and parameter `id`.
    static func cardAccess(_ oidTail: String, _ id: UInt8) -> [UInt8] {
        let oid = TLV.encode(tag: 0x06, value: ASN1.oidBytes(PACEInfo.pacePrefix + "." + oidTail))
        let info = TLV.encode(tag: 0x30, value: oid + [0x02, 0x01, 0x02, 0x02, 0x01, id])
        return TLV.encode(tag: 0x31, value: info)
    }

    @Test(
        "ECDH-GM with 3DES / AES-128 / AES-192 / AES-256 on several curves",
        arguments: [
            ("2.1", UInt8(13), CipherAlgorithm.tripleDES), ("2.2", 12, .aes128), ("2.3", 15, .aes192),
            ("2.4", 16, .aes256), ("2.2", 8, .aes128), ("2.4", 18, .aes256), ("2.2", 11, .aes128),
        ])
    func variant(oidTail: String, parameter: UInt8, cipher: CipherAlgorithm) async throws {
        let card = try ChipReaderTests.card(cardAccess: Self.cardAccess(oidTail, parameter))
        let read = try await ChipReader(transport: card).read(key: .can("012345"))
        guard case .pace(let info) = read.accessProtocol else {
            Issue.record("not PACE")
            return
        }
        #expect(info.cipher == cipher && info.parameterID == Int(parameter))
        #expect(read.files[.dg(2)]?.bytes == TestDataSet.files()[.dg(2)])
        #expect(read.mismatches.isEmpty)
    }

    @Test("MSE:Set AT refused for the MRZ password → BAC; for a CAN → unsupported")
    func mseRefused() async throws {
        var config = InMemoryEMRTD.Configuration(
            files: TestDataSet.files(), cardAccess: TestDataSet.cardAccess,
            mrz: try TestCCCD.seed, can: "123456")
        config.fault = .refusePACE(passwordReference: 1)
        let read = try await ChipReader(transport: InMemoryEMRTD(config)).read(key: .mrz(try TestCCCD.seed))
        #expect(read.accessProtocol == .bac)
        config.fault = .refusePACE(passwordReference: 2)
        let error = await readError(InMemoryEMRTD(config), .can("123456"))
        #expect(error?.code == .unsupported)
        #expect(error?.status == .wrongData)
    }

    @Test("a strict card refusing Le past the end of a file (6700): header read first, same files")
    func strictEndOfFile() async throws {
        let files = TestDataSet.files()
        var config = InMemoryEMRTD.Configuration(files: files, cardAccess: nil, mrz: try TestCCCD.seed)
        config.behaviour.readPastEndStatus = .wrongLength
        let read = try await ChipReader(transport: InMemoryEMRTD(config)).read(key: .mrz(try TestCCCD.seed))
        for (file, bytes) in files { #expect(read.files[file]?.bytes == bytes, "\(file)") }
        // A file shorter than a chunk: the refused whole-chunk read, the 8-byte header read, the rest. Longer files
        // never ask past their end: whole chunks as usual.
        var fileAPDUs = 0
        var minimum = 0
        for size in files.values.map(\.count) {
            let chunks = ChipReaderTests.cost(size, chunk: 231)
            minimum += chunks
            fileAPDUs += size < 231 ? 1 + ChipReaderTests.cost(size, chunk: 231, header: 8) : chunks
        }
        #expect(files.values.contains { $0.count < 231 } && files.values.contains { $0.count >= 231 })
        #expect(read.apduCount == 1 + 1 + 2 + fileAPDUs)
        // A lenient card (6282 with the bytes that exist) costs exactly the minimum: no header reads.
        let lenientCard = try ChipReaderTests.card(files: files)
        let lenient = try await ChipReader(transport: lenientCard).read(key: try ChipReaderTests.mrzKey)
        #expect(lenient.apduCount == 1 + 1 + 2 + minimum)
        #expect(lenient.apduCount < read.apduCount)
    }

    @Test("a card that claims extended length but rejects big Le: reader drops to 223-byte chunks")
    func wrongLengthFallback() async throws {
        var config = InMemoryEMRTD.Configuration(files: TestDataSet.files(), cardAccess: nil, mrz: try TestCCCD.seed)
        config.limits = TransportLimits(extendedLength: true, maxCommandData: 65_535, maxResponseData: 65_536)
        config.behaviour.maxReadLe = 0xDF
        let read = try await ChipReader(transport: InMemoryEMRTD(config)).read(key: .mrz(try TestCCCD.seed))
        #expect(read.files[.dg(2)]?.bytes == TestDataSet.files()[.dg(2)])
    }

    @Test("an unsupported PACE (DH) in EF.CardAccess falls back to BAC")
    func fallback() async throws {
        let card = try ChipReaderTests.card(cardAccess: Self.cardAccess("1.2", 0))
        let read = try await ChipReader(transport: card).read(key: .mrz(try TestCCCD.seed))
        #expect(read.accessProtocol == .bac)
    }
}
