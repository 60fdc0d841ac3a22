import SmartCard
import Testing

@testable import Simulation

/// The simulated card's ISO 7816-4 behaviour, in memory (no PC/SC).
@Suite("Simulated ISO 7816-4 card")
struct ISO7816CardTests {
    func send(_ card: ISO7816Card, _ command: CommandAPDU) throws -> ResponseAPDU {
        try ResponseAPDU(bytes: card.process(command.bytes))
    }

    let select = CommandAPDU(ins: 0xA4, p1: 4, p2: 0x0C, data: DemoCard.aid)

    @Test("SELECT by AID, by FID; unknown files and bad parameters")
    func selecting() throws {
        let card = DemoCard.make()
        #expect(
            try send(card, CommandAPDU(ins: 0xA4, p1: 4, p2: 0x0C, data: [0xA0, 0, 0, 2, 0x47, 0x10, 1])).status
                == .fileNotFound)
        #expect(try send(card, select).status == .success)
        #expect(card.selectedAID == DemoCard.aid)
        let fcp = try send(card, CommandAPDU(ins: 0xA4, p1: 2, p2: 0x04, data: [0x01, 0x02], le: 256))
        #expect(fcp.status == .success)
        #expect(Array(fcp.data.prefix(6)) == [0x62, 0x0B, 0x80, 0x02, 0x10, 0x00])
        #expect(try send(card, CommandAPDU(ins: 0xA4, p1: 2, p2: 0x0C, data: [0x01, 0x99])).status == .fileNotFound)
        #expect(try send(card, CommandAPDU(ins: 0xA4, p1: 2, p2: 0x0C, data: [0x01])).status == .wrongData)
        #expect(try send(card, CommandAPDU(ins: 0xA4, p1: 9, p2: 0x0C, data: [0x01, 0x01])).status == .wrongP1P2)
        #expect(
            try send(card, CommandAPDU(ins: 0xA4, p1: 2, p2: 0x0C, data: [0x01, 0x03])).status
                == .securityStatusNotSatisfied)
    }

    @Test("READ BINARY: offsets, short EF identifiers, end of file, beyond the file")
    func reading() throws {
        let card = DemoCard.make()
        _ = try send(card, select)
        #expect(try send(card, CommandAPDU(ins: 0xB0, p1: 0, p2: 0, le: 4)).status == .noCurrentEF)
        let viaSFI = try send(card, CommandAPDU(ins: 0xB0, p1: 0x82, p2: 0x10, le: 4))
        #expect(viaSFI.data == [0x10, 0x11, 0x12, 0x13])
        let offset = try send(card, CommandAPDU(ins: 0xB0, p1: 0x0F, p2: 0xFE, le: 4))
        #expect(offset.data == [0xFE, 0xFF])
        #expect(offset.status == .endOfFile)
        let all = try send(card, CommandAPDU(ins: 0xB0, p1: 0x0F, p2: 0xFE, le: 256))
        #expect(all.status == .success, "Le=00 asks for up to 256: fewer is not a warning")
        #expect(try send(card, CommandAPDU(ins: 0xB0, p1: 0x10, p2: 0x01, le: 1)).status == .wrongParameters)
        #expect(try send(card, CommandAPDU(ins: 0xB0, p1: 0x9E, p2: 0, le: 1)).status == .fileNotFound)
        #expect(try send(card, CommandAPDU(ins: 0xB0, p1: 0x83, p2: 0, le: 1)).status == .securityStatusNotSatisfied)
        #expect(try send(card, CommandAPDU(ins: 0xB0, p1: 0x81, p2: 0)).status == .wrongLength)
    }

    @Test("extended Le returns a whole 4 KiB file; odd INS wraps data in DO 53")
    func extended() throws {
        let card = DemoCard.make()
        _ = try send(card, select)
        let whole = try send(card, CommandAPDU(ins: 0xB0, p1: 0x82, p2: 0, le: 65_536))
        #expect(whole.data.count == 4096)
        let odd = try send(card, CommandAPDU(ins: 0xB1, p1: 0, p2: 0x02, data: [0x54, 0x02, 0x0F, 0xF0], le: 256))
        #expect(odd.data == [0x53, 0x10] + (0xFF0..<0x1000).map { UInt8($0 & 0xFF) })
        let bad = try send(card, CommandAPDU(ins: 0xB1, p1: 0, p2: 0, data: [0x99, 0x01, 0x00], le: 256))
        #expect(bad.status == .wrongData)
    }

    @Test("responses longer than the chunk come with 61xx and GET RESPONSE")
    func chaining() throws {
        let card = DemoCard.make(behaviour: CardBehaviour(getResponseChunk: 100))
        _ = try send(card, select)
        var response = try send(card, CommandAPDU(ins: 0xB0, p1: 0x82, p2: 0, le: 250))
        var data = response.data
        #expect(response.status == StatusWord(0x6196))
        while let remaining = response.status.bytesRemaining {
            response = try send(card, CommandAPDU(ins: 0xC0, p1: 0, p2: 0, le: remaining))
            data += response.data
        }
        #expect(response.status == .success)
        #expect(data == (0..<250).map { UInt8($0) })
        #expect(try send(card, CommandAPDU(ins: 0xC0, p1: 0, p2: 0, le: 10)).status == .noCurrentEF)
    }

    @Test("strict Le, unsupported INS and CLA, secure messaging refused by the bare card, MF quirk")
    func statusWords() throws {
        let card = DemoCard.make(behaviour: CardBehaviour(strictLe: true, selectMasterFileStatus: .insNotSupported))
        #expect(try send(card, CommandAPDU(ins: 0x84, p1: 0, p2: 0, le: 4)).status == StatusWord(0x6C08))
        #expect(try send(card, CommandAPDU(ins: 0x84, p1: 0, p2: 0, le: 8)).data.count == 8)
        #expect(try send(card, CommandAPDU(ins: 0xCA, p1: 0, p2: 0, le: 1)).status == .insNotSupported)
        #expect(try send(card, CommandAPDU(cla: 0x80, ins: 0xB0, p1: 0, p2: 0, le: 1)).status == .claNotSupported)
        #expect(
            try send(card, CommandAPDU(cla: 0x0C, ins: 0xB0, p1: 0, p2: 0, le: 1)).status
                == .secureMessagingNotSupported)
        #expect(try send(card, CommandAPDU(ins: 0xA4, p1: 0, p2: 0x0C, data: [0x3F, 0x00])).status == .insNotSupported)
        #expect(card.process([0x00, 0xA4]) == [0x67, 0x00])
    }

    @Test("faults: garbage answers; link faults are announced to the link")
    func faults() {
        #expect(DemoCard.make(behaviour: CardBehaviour(fault: .garbage)).process(select.bytes).count == 1)
        let truncated = DemoCard.make(behaviour: CardBehaviour(fault: .truncated))
        #expect(truncated.process(select.bytes) == [0x90, 0x00])
        #expect(truncated.linkFault == .truncated)
        #expect(DemoCard.make().linkFault == nil)
    }

    @Test("power cycling forgets the selection; applets get commands once their AID is selected")
    func applets() throws {
        final class Echo: CardApplet {
            let aid: [UInt8] = [0xA0, 1, 2, 3]
            var resets = 0
            func handle(_ command: CommandAPDU, card: ISO7816Card) -> ResponseAPDU? {
                command.ins == 0x42 ? ResponseAPDU(data: [0x42], status: .success) : nil
            }
            func reset() { resets += 1 }
        }
        let echo = Echo()
        let card = ISO7816Card(
            fileSystem: CardFileSystem(applications: [DedicatedFile(aid: echo.aid, files: [])]),
            applets: [echo])
        #expect(try send(card, CommandAPDU(ins: 0x42, p1: 0, p2: 0)).status == .insNotSupported)
        _ = try send(card, CommandAPDU(ins: 0xA4, p1: 4, p2: 0x0C, data: echo.aid))
        #expect(try send(card, CommandAPDU(ins: 0x42, p1: 0, p2: 0)).data == [0x42])
        card.powerOn()
        #expect(card.selectedAID == nil)
        #expect(echo.resets == 1)
        #expect(
            ISO7816Card.defaultATR.last == ISO7816Card.defaultATR[1..<(ISO7816Card.defaultATR.count - 1)].reduce(0, ^))
    }
}
