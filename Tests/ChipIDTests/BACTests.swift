import SmartCard
import Testing

@testable import ChipID

@Suite("BAC: ICAO 9303-11 Appendix D.2/D.3")
struct BACTests {
    static let seed = try! MRZKeySeed(documentNumber: "L898902C<", dateOfBirth: "690806", dateOfExpiry: "940623")

    @Test("key seed and keys")
    func keys() {
        #expect(Self.seed.information == "L898902C<369080619406236")
        #expect(hexString(Self.seed.informationHash) == "239AB9CB282DAF66231DC5A4DF6BFBAEDF477565")
        let bac = BACProtocol(seed: Self.seed)
        #expect(hexString(bac.kEnc) == "AB94FDECF2674FDFB9B391F85D7F76F2")
        #expect(hexString(bac.kMac) == "7962D9ECE03D1ACD4C76089DCE131543")
    }

    @Test("pure steps: EXTERNAL AUTHENTICATE, session keys, SSC")
    func steps() throws {
        var bac = BACProtocol(seed: Self.seed)
        #expect(hexString(BACProtocol.getChallenge.bytes) == "0084000008")
        let command = try bac.externalAuthenticate(
            challenge: hex("4608F91988702212"), rndIFD: hex("781723860C06C226"),
            kIFD: hex("0B795240CB7049B01C19B33E32804F0B"))
        #expect(
            hexString(command.bytes) == "0082000028"
                + "72C29C2371CC9BDB65B779B8E8D37B29ECC154AA56A8799FAE2F498F76ED92F2"
                + "5F1448EEA8AD90A728")
        #expect(bac.state == .awaitingAuthentication)
        let session = try bac.complete(
            response: hex(
                "46B9342A41396CD7386BF5803104D7CEDC122B9132139BAF2EEDC94EE178534F2F2D235D074D7449"))
        #expect(bac.state == .established)
        #expect(hexString(session.ssc) == "887022120C06C226")
        // The session keys are checked through the D.4 SM vectors protected with this session.
        var copy = session
        #expect(
            hexString(try copy.protect(CommandAPDU(ins: 0xA4, p1: 0x02, p2: 0x0C, data: [0x01, 0x1E])).bytes)
                == "0CA4020C158709016375432908C044F68E08BF8B92D635FF24F800")
    }

    @Test("a forged chip answer is rejected")
    func forged() throws {
        var bac = BACProtocol(seed: Self.seed)
        _ = try bac.externalAuthenticate(
            challenge: hex("4608F91988702212"), rndIFD: hex("781723860C06C226"),
            kIFD: hex("0B795240CB7049B01C19B33E32804F0B"))
        var answer = hex("46B9342A41396CD7386BF5803104D7CEDC122B9132139BAF2EEDC94EE178534F2F2D235D074D7449")
        answer[3] ^= 0x40
        #expect(throws: ChipIDError.self) { try bac.complete(response: answer) }
        #expect(bac.state == .failed)
        #expect(throws: ChipIDError.self) { try bac.complete(response: answer) }
        var fresh = BACProtocol(seed: Self.seed)
        #expect(throws: ChipIDError.self) { try fresh.complete(response: answer) }
    }

    @Test("async driver replays the Appendix D APDUs")
    func driver() async throws {
        let transport = ScriptedTransport([
            ("0084000008", "4608F919887022129000"),
            (
                "008200002872C29C2371CC9BDB65B779B8E8D37B29ECC154AA56A8799FAE2F498F76ED92F25F1448EEA8AD90A728",
                "46B9342A41396CD7386BF5803104D7CEDC122B9132139BAF2EEDC94EE178534F2F2D235D074D74499000"
            ),
        ])
        let random = ScriptedRandom([hex("781723860C06C226"), hex("0B795240CB7049B01C19B33E32804F0B")])
        let session = try await BACProtocol.run(over: transport, seed: Self.seed, random: random)
        #expect(hexString(session.ssc) == "887022120C06C226")
        #expect(await transport.remaining == 0)
    }

    @Test("wrong key: 6300 → accessDenied; 63C2 carries attempts")
    func denied() async throws {
        for (sw, code, left) in [
            ("6300", ChipIDError.Code.accessDenied, nil as Int?), ("63C2", .accessDenied, 2),
            ("6983", .accessBlocked, 0),
        ] {
            let transport = ScriptedTransport([
                ("0084000008", "4608F919887022129000"),
                ("008200002872C29C2371CC9BDB65B779B8E8D37B29ECC154AA56A8799FAE2F498F76ED92F25F1448EEA8AD90A728", sw),
            ])
            let random = ScriptedRandom([hex("781723860C06C226"), hex("0B795240CB7049B01C19B33E32804F0B")])
            do {
                _ = try await BACProtocol.run(over: transport, seed: Self.seed, random: random)
                Issue.record("BAC succeeded on \(sw)")
            } catch {
                #expect(error.code == code)
                #expect(error.attemptsLeft == left)
            }
        }
    }
}
