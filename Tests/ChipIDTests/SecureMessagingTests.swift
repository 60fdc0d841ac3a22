import SmartCard
import Testing

@testable import ChipID

@Suite("Secure messaging: ICAO D.4 (3DES) and AES vectors")
struct SecureMessagingTests {
    static func d4Session() throws -> SecureMessagingSession {
        try SecureMessagingSession(
            algorithm: .tripleDES, encryptionKey: hex("979EC13B1CBFE9DCD01AB0FED307EAE5"),
            macKey: hex("F1CB1F1FB5ADF208806B89DC579DC1F8"), ssc: hex("887022120C06C226"))
    }

    static func response(_ text: String) throws -> ResponseAPDU { try ResponseAPDU(bytes: hex(text)) }

    @Test("D.4: SELECT EF.COM, READ BINARY ×2, final SSC")
    func appendixD4() throws {
        var sm = try Self.d4Session()
        let select = try sm.protect(CommandAPDU(ins: 0xA4, p1: 0x02, p2: 0x0C, data: [0x01, 0x1E]))
        #expect(hexString(select.bytes) == "0CA4020C158709016375432908C044F68E08BF8B92D635FF24F800")
        let selected = try sm.unprotect(try Self.response("990290008E08FA855A5D4C50A8ED9000"))
        #expect(selected.status == .success && selected.data.isEmpty)

        let read1 = try sm.protect(CommandAPDU(ins: 0xB0, p1: 0, p2: 0, le: 4))
        #expect(hexString(read1.bytes) == "0CB000000D9701048E08ED6705417E96BA5500")
        let first = try sm.unprotect(try Self.response("8709019FF0EC34F9922651990290008E08AD55CC17140B2DED9000"))
        #expect(hexString(first.data) == "60145F01")

        let read2 = try sm.protect(CommandAPDU(ins: 0xB0, p1: 0, p2: 4, le: 0x12))
        #expect(hexString(read2.bytes) == "0CB000040D9701128E082EA28A70F3C7B53500")
        let rest = try sm.unprotect(
            try Self.response(
                "871901FB9235F4E4037F2327DCC8964F1F9B8C30F42C8E2FFF224A990290008E08C8B2787EAEA07D749000"))
        #expect(hexString(rest.data) == "04303130365F36063034303030305C026175")
        #expect(hexString(sm.ssc) == "887022120C06C22C")
        #expect(try EFCOM(first.data + rest.data).dataGroups == [.dg(1), .dg(2)])
    }

    @Test("a flipped MAC bit → badMAC and the session closes")
    func badMAC() throws {
        var sm = try Self.d4Session()
        _ = try sm.protect(CommandAPDU(ins: 0xA4, p1: 0x02, p2: 0x0C, data: [0x01, 0x1E]))
        let tampered = try Self.response("990290008E08FA855A5D4C50A8EC9000")
        #expect(chipError { _ = try sm.unprotect(tampered) }?.code == .badMAC)
        #expect(sm.isClosed)
        do {
            _ = try sm.protect(CommandAPDU(ins: 0xB0, p1: 0, p2: 0, le: 4))
            Issue.record("closed session used")
        } catch {
            #expect(error.code == .sessionClosed)
        }
        // Tampered cryptogram (MAC then fails too), missing MAC, plain success: all rejected.
        for bad in [
            "8709019FF0EC34F9922650990290008E08AD55CC17140B2DED9000", "8709019FF0EC34F9922651990290009000",
            "9000",
        ] {
            var fresh = try Self.d4Session()
            _ = try fresh.protect(CommandAPDU(ins: 0xA4, p1: 0x02, p2: 0x0C, data: [0x01, 0x1E]))
            _ = try fresh.unprotect(try Self.response("990290008E08FA855A5D4C50A8ED9000"))
            _ = try fresh.protect(CommandAPDU(ins: 0xB0, p1: 0, p2: 0, le: 4))
            #expect(throws: ChipIDError.self) { try fresh.unprotect(try Self.response(bad)) }
            #expect(fresh.isClosed)
        }
    }

    @Test("a plain error status passes through without a MAC")
    func plainError() throws {
        var sm = try Self.d4Session()
        _ = try sm.protect(CommandAPDU(ins: 0xA4, p1: 0x02, p2: 0x0C, data: [0x01, 0x0F]))
        let answer = try sm.unprotect(try Self.response("6A82"))
        #expect(answer.status == .fileNotFound)
        #expect(!sm.isClosed)
    }

    @Test("AES-256 SM replay (GMRTD): SELECT + READ BINARY ×2")
    func aes256() throws {
        var sm = try SecureMessagingSession(
            algorithm: .aes256, encryptionKey: hex("74B94F408BBB2CD92571FD5B6370A94CCE7A2FA42AE3EB4DA47B97CE6EAA24C6"),
            macKey: hex("9E28D5D9FF1D979BE752E8926BF0E1D35A440FC0AEFC4AA3BC5610055AC8B113"),
            ssc: hex("00000000000000000000000000000020"))
        #expect(
            hexString(try sm.protect(CommandAPDU(ins: 0xA4, p1: 0x02, p2: 0x0C, data: [0x01, 0x1E])).bytes)
                == "0CA4020C1D8711011D35E7EB510E21A0DD12380D9AD2B92D8E0828CB68B81D3FAFC000")
        #expect(try sm.unprotect(try Self.response("990290008E08E083EAA61ADABFCE9000")).status == .success)
        #expect(
            hexString(try sm.protect(CommandAPDU(ins: 0xB0, p1: 0, p2: 0, le: 4)).bytes)
                == "0CB000000D9701048E084AFC933E0CDBE5F000")
        let head = try sm.unprotect(
            try Self.response(
                "871101D8059A9CF835105082CA2B1837E4AEC0990290008E08B36DB56761D706BB9000"))
        #expect(
            hexString(sm.protectedPreview(CommandAPDU(ins: 0xB0, p1: 0, p2: 4, le: 0x16)))
                == "0CB000040D9701168E0811F7EFC907D1F27400")
        _ = try sm.protect(CommandAPDU(ins: 0xB0, p1: 0, p2: 4, le: 0x16))
        let tail = try sm.unprotect(
            try Self.response(
                "87210142E919C115FAF69350B01813D77A9E8D91912A7F717AFD073F199070E61B79C6990290008E083382E3D983F441369000"
            ))
        #expect(hexString(head.data + tail.data) == "60185F0104303130385F36063034303030305C06617563766D6E")
        #expect(hexString(sm.ssc) == "00000000000000000000000000000026")
    }

    @Test("AES-128 MSE:Set AT protection (GMRTD)")
    func aes128() throws {
        var sm = try SecureMessagingSession(
            algorithm: .aes128, encryptionKey: hex("CC86415F2ED7E8FD663B754265695AE1"),
            macKey: hex("581E84B8EE06C4D3EEE30461498D7FB3"), ssc: hex("000000000000000000000000000000BA"))
        let command = CommandAPDU(ins: 0x22, p1: 0x41, p2: 0xA4, data: hex("800A04007F000702020302028401C3"))
        #expect(
            hexString(try sm.protect(command).bytes)
                == "0C2241A41D871101980953D37F67558690045D78A853B18A8E08929767A2CEF172E200")
        #expect(hexString(sm.ssc) == "000000000000000000000000000000BB")
    }

    @Test("3DES SELECT protection, JMRTD StackOverflow vector")
    func jmrtdVector() throws {
        var sm = try SecureMessagingSession(
            algorithm: .tripleDES,
            encryptionKey: hex("3DE649F8AEA41C04FB6D4CD9043757AD"),
            macKey: hex("8C34AD61974F68CEBA3E0EAEA1456476"),
            ssc: hex("AB1D2F337FD997D6"))
        #expect(
            hexString(try sm.protect(CommandAPDU(ins: 0xA4, p1: 0x02, p2: 0x0C, data: [0x01, 0x1E])).bytes)
                == "0CA4020C15870901FF0E241E2F94B5088E0822FF803EC310433600")
    }

    @Test("card side and terminal side agree; extended Le uses 2-byte DO'97' and extended APDU")
    func roundTrip() throws {
        for algorithm in [CipherAlgorithm.tripleDES, .aes128, .aes192, .aes256] {
            let key = Array((0..<UInt8(algorithm.keyLength)))
            var terminal = try SecureMessagingSession(algorithm: algorithm, encryptionKey: key, macKey: key.reversed())
            var card = terminal
            let command = CommandAPDU(ins: 0xB0, p1: 0x00, p2: 0x10, le: 1000)
            let protected = try terminal.protect(command)
            #expect(protected.isExtended)
            #expect(protected.data.starts(with: [0x97, 0x02, 0x03, 0xE8]))
            let seen = try card.unprotectCommand(CommandAPDU(bytes: protected.bytes))
            #expect(seen.le == 1000 && seen.ins == 0xB0 && seen.p2 == 0x10)
            let payload = Array(repeating: UInt8(0x5A), count: 1000)
            let answer = try card.protectResponse(ResponseAPDU(data: payload, status: .success))
            #expect(try terminal.unprotect(answer).data == payload)
            #expect(terminal.ssc == card.ssc)
        }
    }

    @Test("reserved counters: commands protected ahead of earlier answers are what a one-at-a-time reader sends")
    func reservedCounters() throws {
        for algorithm in [CipherAlgorithm.tripleDES, .aes128, .aes256] {
            let encryption = (0..<algorithm.keyLength).map { UInt8(truncatingIfNeeded: $0 * 7) }
            let mac = (0..<algorithm.keyLength).map { UInt8(truncatingIfNeeded: $0 * 13 + 5) }
            func session() throws -> SecureMessagingSession {
                try SecureMessagingSession(algorithm: algorithm, encryptionKey: encryption, macKey: mac)
            }
            let commands = (0..<4).map { CommandAPDU(ins: 0xB0, p1: 0, p2: UInt8($0 * 32), le: 32) }
            func answer(_ plain: CommandAPDU) -> ResponseAPDU {
                ResponseAPDU(data: (0..<32).map { plain.p2 &+ UInt8($0) }, status: .success)
            }
            // One at a time.
            var reader = try session()
            var card = try session()
            var sequentialCommands: [[UInt8]] = []
            var sequentialAnswers: [ResponseAPDU] = []
            for command in commands {
                let protected = try reader.protect(command)
                sequentialCommands.append(protected.bytes)
                let response = try card.protectResponse(answer(try card.unprotectCommand(protected)))
                sequentialAnswers.append(try reader.unprotect(response))
            }
            // Every command protected before any answer is checked; the answers checked with their reserved SSCs.
            var pipelined = try session()
            var pipelinedCard = try session()
            let exchanges = try commands.map { _ in try pipelined.reserveExchange() }
            let protected = try zip(commands, exchanges).map { try pipelined.protect($0, ssc: $1.commandSSC) }
            #expect(protected.map(\.bytes) == sequentialCommands, "\(algorithm)")
            var responses: [ResponseAPDU] = []
            for command in protected {
                responses.append(try pipelinedCard.protectResponse(answer(try pipelinedCard.unprotectCommand(command))))
            }
            let answers = try zip(responses, exchanges).map { try pipelined.unprotect($0, ssc: $1.responseSSC) }
            #expect(answers == sequentialAnswers, "\(algorithm)")
            #expect(pipelined.ssc == reader.ssc && pipelinedCard.ssc == card.ssc)
            // An answer checked with another exchange's counter fails: the counters are really bound to the exchange.
            #expect(throws: ChipIDError.self) { try pipelined.unprotect(responses[1], ssc: exchanges[2].responseSSC) }
            do {
                _ = try pipelined.unprotect(responses[0], ssc: exchanges[1].responseSSC)
                Issue.record("an answer verified under the wrong SSC")
            } catch {
                #expect(error.code == .badMAC && SecureMessagingSession.closesSession(error))
            }
        }
    }

    @Test("plain size limits under SM")
    func limits() throws {
        let des = try Self.d4Session()
        #expect(des.maxPlainResponse(protectedLimit: 256) == 231)
        let aes = try SecureMessagingSession(
            algorithm: .aes128, encryptionKey: Array(repeating: 1, count: 16),
            macKey: Array(repeating: 2, count: 16))
        #expect(aes.maxPlainResponse(protectedLimit: 256) == 223)
        #expect(aes.maxPlainResponse(protectedLimit: 65_536) > 65_000)
    }
}

extension SecureMessagingSession {
    /// The protected form of `command` without advancing this copy's SSC.
    func protectedPreview(_ command: CommandAPDU) -> [UInt8] {
        var copy = self
        return (try? copy.protect(command).bytes) ?? []
    }
}
