import SmartCard
import Testing

@testable import ChipID

/// A card behind a command queue, as a PC/SC connection is: `send` queues a command and returns at once; the card
/// answers queued commands in order when an answer is collected. Records the order of sends and collections.
actor QueuedFileCard: CardTransport {
    enum Event: Hashable {
        case sent(Int)
        case collected(Int)
    }

    private let file: [UInt8]
    private let sfi: UInt8
    private let maxAnswer: Int
    private let failAt: Int?
    let limits: TransportLimits
    private var queue: [(Int, CommandAPDU)] = []
    private var answers: [Int: ResponseAPDU] = [:]
    private(set) var events: [Event] = []
    private(set) var commands: [CommandAPDU] = []

    /// A card holding one file under short EF identifier `sfi`; past the file's start it answers at most `maxAnswer`
    /// bytes per READ BINARY (fewer than asked when smaller), and it answers `6581` to the command numbered `failAt`.
    init(file: [UInt8], sfi: UInt8, limits: TransportLimits = .short, maxAnswer: Int = .max, failAt: Int? = nil) {
        self.file = file
        self.sfi = sfi
        self.limits = limits
        self.maxAnswer = maxAnswer
        self.failAt = failAt
    }

    func transmit(_ command: CommandAPDU) async throws -> ResponseAPDU { try await send(command).response() }

    func send(_ command: CommandAPDU) async throws -> PendingResponse {
        let id = commands.count
        commands.append(command)
        queue.append((id, command))
        events.append(.sent(id))
        return PendingResponse { await self.collect(id) }
    }

    private func collect(_ id: Int) -> ResponseAPDU {
        while answers[id] == nil, !queue.isEmpty {
            let (next, command) = queue.removeFirst()
            answers[next] = next == failAt ? ResponseAPDU(status: StatusWord(0x6581)) : answer(command)
        }
        events.append(.collected(id))
        return answers.removeValue(forKey: id) ?? ResponseAPDU(status: .noCurrentEF)
    }

    private func answer(_ command: CommandAPDU) -> ResponseAPDU {
        let offset: Int
        switch command.ins {
        case 0xB0 where command.p1 & 0x80 != 0:
            guard command.p1 & 0x1F == sfi else { return ResponseAPDU(status: .fileNotFound) }
            offset = Int(command.p2)
        case 0xB0:
            offset = Int(command.p1) << 8 | Int(command.p2)
        case 0xB1:
            guard command.data.count >= 3, command.data[0] == 0x54 else { return ResponseAPDU(status: .wrongData) }
            offset = command.data[2...].reduce(0) { $0 << 8 | Int($1) }
        default:
            return ResponseAPDU(status: .insNotSupported)
        }
        guard offset <= file.count, let le = command.le else { return ResponseAPDU(status: .wrongParameters) }
        let wrapper = command.ins == 0xB1 ? 4 : 0
        let count = min(le - wrapper, offset == 0 ? .max : maxAnswer, file.count - offset)
        var data = Array(file[offset..<(offset + count)])
        if command.ins == 0xB1 { data = [0x53, 0x82, UInt8(count >> 8), UInt8(count & 0xFF)] + data }
        return ResponseAPDU(
            data: data,
            status: offset + count == file.count && count < le - wrapper
                ? .endOfFile
                : .success)
    }
}

@Suite("FileReader: one READ BINARY queued ahead (pipelined reads)")
struct FileReaderPipelineTests {
    /// A DG2-like file: tag 75, a 3-byte length, `size` bytes of pattern.
    static func file(_ size: Int) -> [UInt8] {
        [0x75, 0x83, UInt8(size >> 16), UInt8(size >> 8 & 0xFF), UInt8(size & 0xFF)]
            + (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ $0 >> 8) }
    }

    @Test("the next chunk is queued before the current answer is collected, and the file comes back whole")
    func queuesAhead() async throws {
        let bytes = Self.file(3_000)
        let card = QueuedFileCard(file: bytes, sfi: 2)
        let read = try await FileReader(transport: card).read(.dg(2))
        #expect(read.bytes == bytes)
        let commands = await card.commands
        #expect(commands.count == (bytes.count + 255) / 256)  // no extra APDU: nothing queued past the end
        let events = await card.events
        // Every answer after the first (the head gives the length) was collected after the next command was sent.
        for id in 1..<(commands.count - 1) {
            let sentNext = try #require(events.firstIndex(of: .sent(id + 1)))
            let collected = try #require(events.firstIndex(of: .collected(id)))
            #expect(sentNext < collected, "chunk \(id + 1) queued before chunk \(id) was collected")
        }
        #expect(
            Set(events.compactMap { if case .collected(let id) = $0 { id } else { nil } }).count
                == commands.count)
    }

    @Test("answers shorter than asked: the queued command is dropped and the read goes on from the right offset")
    func shortAnswers() async throws {
        let bytes = Self.file(2_000)
        let card = QueuedFileCard(file: bytes, sfi: 2, maxAnswer: 200)
        let read = try await FileReader(transport: card).read(.dg(2))
        #expect(read.bytes == bytes)
        let events = await card.events
        let sent = events.filter { if case .sent = $0 { true } else { false } }.count
        let collected = events.filter { if case .collected = $0 { true } else { false } }.count
        #expect(sent == collected, "every queued answer was collected, the dropped ones too")
    }

    @Test("odd-INS READ BINARY above 32,767 bytes, extended length, pipelined")
    func oddINS() async throws {
        let bytes = Self.file(70_000)
        let limits = TransportLimits(extendedLength: true, maxCommandData: 4_096, maxResponseData: 4_096)
        let card = QueuedFileCard(file: bytes, sfi: 2, limits: limits)
        let read = try await FileReader(transport: card).read(.dg(2))
        #expect(read.bytes == bytes)
        let commands = await card.commands
        #expect(commands.contains { $0.ins == 0xB1 } && commands.contains { $0.ins == 0xB0 })
    }

    @Test("an error in the middle of a file: typed error with the status, the queued answer collected, no bytes")
    func errorMidFile() async throws {
        let card = QueuedFileCard(file: Self.file(3_000), sfi: 2, failAt: 4)
        do {
            _ = try await FileReader(transport: card).read(.dg(2))
            Issue.record("the read succeeded")
        } catch {
            #expect(error.code == .cardRefused && error.status == StatusWord(0x6581))
        }
        let events = await card.events
        #expect(events.suffix(2) == [.collected(4), .collected(5)])
        #expect(await card.commands.count == 6)
    }
}
