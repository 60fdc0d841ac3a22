import Testing

@testable import SmartCard

@Suite("APDU encoding and parsing")
struct APDUTests {
    @Test("the four cases, short form")
    func shortCases() throws {
        #expect(CommandAPDU(ins: 0x84, p1: 0, p2: 0).bytes == [0x00, 0x84, 0x00, 0x00])
        #expect(CommandAPDU(ins: 0x84, p1: 0, p2: 0, le: 8).bytes == [0x00, 0x84, 0x00, 0x00, 0x08])
        #expect(CommandAPDU(ins: 0xB0, p1: 0, p2: 0, le: 256).bytes == [0x00, 0xB0, 0x00, 0x00, 0x00])
        #expect(CommandAPDU(ins: 0xA4, p1: 4, p2: 0x0C, data: [1, 2]).bytes == [0x00, 0xA4, 0x04, 0x0C, 0x02, 1, 2])
        #expect(CommandAPDU(ins: 0xA4, p1: 4, p2: 0, data: [1], le: 256).bytes == [0x00, 0xA4, 0x04, 0x00, 1, 1, 0])
        #expect(CommandAPDU(ins: 0xA4, p1: 4, p2: 0, data: [1], le: 256).isoCase == 4)
    }

    @Test("the four cases, extended form, and the switch points")
    func extendedCases() throws {
        #expect(!CommandAPDU(ins: 0xB0, p1: 0, p2: 0, le: 256).isExtended)
        #expect(CommandAPDU(ins: 0xB0, p1: 0, p2: 0, le: 257).bytes == [0, 0xB0, 0, 0, 0x00, 0x01, 0x01])
        #expect(CommandAPDU(ins: 0xB0, p1: 0, p2: 0, le: 65_536).bytes == [0, 0xB0, 0, 0, 0, 0, 0])
        let data255 = [UInt8](repeating: 7, count: 255)
        #expect(!CommandAPDU(ins: 0xD6, p1: 0, p2: 0, data: data255).isExtended)
        let data256 = [UInt8](repeating: 7, count: 256)
        let case3 = CommandAPDU(ins: 0xD6, p1: 0, p2: 0, data: data256)
        #expect(Array(case3.bytes[4..<7]) == [0x00, 0x01, 0x00])
        #expect(case3.bytes.count == 4 + 3 + 256)
        let case4 = CommandAPDU(ins: 0x2A, p1: 0, p2: 0, data: data256, le: 65_536)
        #expect(Array(case4.bytes.suffix(2)) == [0, 0])
        #expect(case4.bytes.count == 4 + 3 + 256 + 2)
        // A short-sized command sent in extended form when asked.
        #expect(CommandAPDU(ins: 0xB0, p1: 0, p2: 0, le: 8, forceExtended: true).bytes == [0, 0xB0, 0, 0, 0, 0, 8])
    }

    @Test("parse(encode(x)) == x over many shapes", arguments: [0, 1, 200, 255, 256, 1000, 65_535])
    func roundTrip(dataCount: Int) throws {
        for le in [nil, 1, 255, 256, 257, 4096, 65_536] as [Int?] {
            let command = CommandAPDU(
                cla: 0x0C, ins: 0xB1, p1: 1, p2: 2,
                data: (0..<dataCount).map { UInt8($0 & 0xFF) }, le: le)
            let parsed = try CommandAPDU(bytes: command.bytes)
            #expect(parsed.data == command.data)
            #expect(parsed.le == command.le)
            #expect(parsed.bytes == command.bytes)
        }
    }

    @Test("malformed commands and responses are typed errors")
    func malformed() {
        #expect(throws: APDUFormatError.self) { try CommandAPDU(bytes: [0x00, 0xA4, 0x04]) }
        #expect(throws: APDUFormatError.self) { try CommandAPDU(bytes: [0x00, 0xA4, 0x04, 0x00, 0x05, 1, 2]) }
        #expect(throws: APDUFormatError.self) { try CommandAPDU(bytes: [0x00, 0xA4, 0x04, 0x00, 0x00, 0x00, 0x05, 1]) }
        #expect(throws: APDUFormatError.self) { try ResponseAPDU(bytes: [0x90]) }
        #expect(throws: APDUFormatError.self) { try ResponseAPDU(bytes: []) }
    }

    @Test("random bytes never crash the command parser")
    func fuzzCommands() {
        var generator = SystemRandomNumberGenerator()
        var parsed = 0
        for _ in 0..<20_000 {
            let count = Int.random(in: 0...300, using: &generator)
            let bytes = (0..<count).map { _ in UInt8.random(in: 0...255, using: &generator) }
            if let command = try? CommandAPDU(bytes: bytes) {
                parsed += 1
                #expect(command.bytes == bytes || command.bytes.count <= bytes.count)
            }
        }
        #expect(parsed > 0)
    }

    @Test("responses split data and status word; description never shows data")
    func response() throws {
        let response = try ResponseAPDU(bytes: [0xDE, 0xAD, 0x62, 0x82])
        #expect(response.data == [0xDE, 0xAD])
        #expect(response.status == .endOfFile)
        #expect(!response.description.contains("DE"))
        #expect(!CommandAPDU(ins: 0xA4, p1: 4, p2: 0, data: [0xAB, 0xCD]).description.contains("AB"))
    }
}

@Suite("Status words")
struct StatusWordTests {
    @Test("names and the chaining / retry helpers")
    func names() {
        #expect(StatusWord(0x9000).isSuccess)
        #expect(StatusWord(0x6A82).name == "file or application not found")
        #expect(StatusWord(0x6110).bytesRemaining == 16)
        #expect(StatusWord(0x6100).bytesRemaining == 256)
        #expect(StatusWord(0x6C08).correctLe == 8)
        #expect(StatusWord(0x63C2).triesRemaining == 2)
        #expect(StatusWord(0x9000).bytesRemaining == nil)
        #expect(StatusWord(0x6C00).correctLe == 256)
        #expect(StatusWord(0x6581).name == "execution error")
        #expect(StatusWord(0x1234).name == "unknown status")
        #expect(StatusWord(sw1: 0x6D, sw2: 0x00) == .insNotSupported)
    }
}

@Suite("ATR parsing")
struct ATRTests {
    @Test("a PC/SC part 3 contactless ATR with card capabilities")
    func contactless() throws {
        let atr = try ATR([UInt8](hex: "3B 85 80 01 80 73 C0 21 C0 D6")!)
        #expect(atr.protocols == [0, 1])
        #expect(atr.historicalBytes == [0x80, 0x73, 0xC0, 0x21, 0xC0])
        #expect(atr.checksumValid == true)
        #expect(atr.supportsExtendedLength)
    }

    @Test("vicc's ISO 7816 card ATR (TA1, TD1 T=1, TCK)")
    func vicc() throws {
        let atr = try ATR([UInt8](hex: "3B 95 13 81 01 80 73 FF 01 00 0B")!)
        #expect(atr.ta1 == 0x13)
        #expect(atr.protocols == [1])
        #expect(atr.historicalBytes == [0x80, 0x73, 0xFF, 0x01, 0x00])
        #expect(atr.checksumValid == true)
        #expect(!atr.supportsExtendedLength)
    }

    @Test("a T=0 ATR has no check byte")
    func t0() throws {
        let atr = try ATR([UInt8](hex: "3B 02 14 50")!)
        #expect(atr.protocols == [0])
        #expect(atr.checksumValid == nil)
        #expect(atr.historicalBytes == [0x14, 0x50])
    }

    @Test("a wrong check byte is reported; truncated ATRs are errors")
    func broken() throws {
        #expect(try ATR([UInt8](hex: "3B 85 80 01 80 73 C0 21 C0 00")!).checksumValid == false)
        #expect(throws: APDUFormatError.self) { try ATR([0x3B]) }
        #expect(throws: APDUFormatError.self) { try ATR([0x3B, 0x85, 0x80, 0x01, 0x80]) }
        #expect(throws: APDUFormatError.self) { try ATR([0x12, 0x00]) }
        #expect(throws: APDUFormatError.self) { try ATR([0x3B, 0xF0]) }
    }

    @Test("hex helpers")
    func hex() {
        #expect([UInt8](hex: "3b:85 80") == [0x3B, 0x85, 0x80])
        #expect([UInt8](hex: "3B8") == nil)
        #expect([UInt8](hex: "zz") == nil)
        #expect([0x0A, 0xFF].hexString == "0A FF")
    }
}
