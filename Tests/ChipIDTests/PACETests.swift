import SmartCard
import Testing

@testable import ChipID

@Suite("PACE ECDH generic mapping: ICAO 9303-11 G.1 (brainpoolP256r1, AES-128)")
struct PACETests {
    static let cardAccess = hex("31143012060A04007F0007020204020202010202010D")
    static var key: AccessKey {
        get throws { .mrz(try MRZKeySeed(documentNumber: "T22000129", dateOfBirth: "640812", dateOfExpiry: "101031")) }
    }
    static let skMap = hex("7F4EF07B9EA82FD78AD689B38D0BC78CF21F249D953BC46F4C6E19259C010F99")
    static let skEphemeral = hex("A73FB703AC1436A18E0CFA5ABB3F7BEC7A070E7A6788486BEE230C4A22762595")
    static let nonceResponse = "7C12801095A3A016522EE98D01E76CB6B98B42C3"
    static let mapResponse =
        "7C43824104824FBA91C9CBE26BEF53A0EBE7342A3BF178CEA9F45DE0B70AA601651FBA3F57"
        + "30D8C879AAA9C9F73991E61B58F4D52EB87A0A0C709A49DC63719363CCD13C54"
    static let keyResponse =
        "7C438441049E880F842905B8B3181F7AF7CAA9F0EFB743847F44A306D2D28C1D9EC65DF6DB"
        + "7764B22277A2EDDC3C265A9F018F9CB852E111B768B326904B59A0193776F094"
    static let mapCommand =
        "10860000457C438141047ACF3EFC982EC45565A4B155129EFBC74650DCBFA6362D896FC70262E0C2CC5E"
        + "544552DCB6725218799115B55C9BAA6D9F6BC3A9618E70C25AF71777A9C4922D00"
    static let keyCommand =
        "10860000457C438341042DB7A64C0355044EC9DF190514C625CBA2CEA48754887122F3A5EF0D5EDD301C"
        + "3556F3B3B186DF10B857B58F6A7EB80F20BA5DC7BE1D43D9BF850149FBB3646200"
    static let tokenCommand = "008600000C7C0A8508C2B0BD78D94BA86600"

    @Test("EF.CardAccess: G.1 file and the CCCD file")
    func cardAccess() throws {
        let infos = try SecurityInfos(der: Self.cardAccess)
        #expect(infos.paceInfos == [PACEInfo(oid: "0.4.0.127.0.7.2.2.4.2.2", version: 2, parameterID: 13)])
        #expect(infos.preferredPACE?.cipher == .aes128)
        #expect(infos.preferredPACE?.mapping == .ecdhGeneric)
        let cccd = try SecurityInfos(
            der: hex(
                "3134300d060804007f0007020202020101300f060a04007f000702020302020201013012"
                    + "060a04007f0007020204020202010202010d"))
        #expect(cccd.protocolOIDs == ["0.4.0.127.0.7.2.2.2", "0.4.0.127.0.7.2.2.3.2.2", "0.4.0.127.0.7.2.2.4.2.2"])
        #expect(cccd.preferredPACE?.parameterID == 13)
        let dh = try SecurityInfos(der: hex("31143012060A04007F00070202040102020102020100"))
        #expect(dh.paceInfos.count == 1 && dh.preferredPACE == nil)
        #expect(throws: ChipIDError.self) { try SecurityInfos(der: hex("3103300106")) }
    }

    @Test("pure steps reproduce nonce, G~, keys and both tokens")
    func steps() throws {
        let info = try #require(try SecurityInfos(der: Self.cardAccess).preferredPACE)
        var pace = try PACEProtocol(
            info: info, key: try Self.key,
            random: ScriptedRandom([Self.skMap, Self.skEphemeral]))
        #expect(hexString(pace.passwordKeyBytes) == "89DED1B26624EC1E634C1989302849DD")
        #expect(hexString(pace.mseSetAT.bytes) == "0022C1A412800A04007F0007020204020283010184010D")
        #expect(hexString(pace.nonceRequest.bytes) == "10860000027C0000")
        let map = try pace.receiveNonce(hex(Self.nonceResponse))
        #expect(hexString(pace.decryptedNonce) == "3F00C4D39D153F2B2A214A078D899B22")
        #expect(hexString(map.bytes) == Self.mapCommand)
        let agree = try pace.receiveMappingKey(hex(Self.mapResponse))
        let g = try #require(pace.mappedGeneratorPoint)
        #expect(hexString(g.x) == "8CED63C91426D4F0EB1435E7CB1D74A46723A0AF21C89634F65A9AE87A9265E2")
        #expect(hexString(agree.bytes) == Self.keyCommand)
        let token = try pace.receiveEphemeralKey(hex(Self.keyResponse))
        #expect(hexString(pace.sessionKeys.enc) == "F5F0E35C0D7161EE6724EE513A0D9A7F")
        #expect(hexString(pace.sessionKeys.mac) == "FE251C7858B356B24514B3BD5F4297D1")
        #expect(hexString(token.bytes) == Self.tokenCommand)
        let session = try pace.receiveToken(hex("7C0A86083ABB9674BCE93C08"))
        #expect(session.algorithm == .aes128)
        #expect(session.ssc == [UInt8](repeating: 0, count: 16))
        #expect(pace.state == .established)
    }

    @Test("a wrong chip token is rejected; steps out of order are rejected")
    func badToken() throws {
        let info = try #require(try SecurityInfos(der: Self.cardAccess).preferredPACE)
        var pace = try PACEProtocol(
            info: info, key: try Self.key,
            random: ScriptedRandom([Self.skMap, Self.skEphemeral]))
        #expect(throws: ChipIDError.self) { try pace.receiveMappingKey(hex(Self.mapResponse)) }
        var fresh = try PACEProtocol(
            info: info, key: try Self.key,
            random: ScriptedRandom([Self.skMap, Self.skEphemeral]))
        _ = try fresh.receiveNonce(hex(Self.nonceResponse))
        _ = try fresh.receiveMappingKey(hex(Self.mapResponse))
        _ = try fresh.receiveEphemeralKey(hex(Self.keyResponse))
        let error = chipError { _ = try fresh.receiveToken(hex("7C0A86083ABB9674BCE93C09")) }
        #expect(error?.code == .chipAuthenticationFailed)
    }

    @Test("async driver replays the G.1 APDUs")
    func driver() async throws {
        let transport = ScriptedTransport([
            ("0022C1A412800A04007F0007020204020283010184010D", "9000"),
            ("10860000027C0000", Self.nonceResponse + "9000"),
            (Self.mapCommand, Self.mapResponse + "9000"),
            (Self.keyCommand, Self.keyResponse + "9000"),
            (Self.tokenCommand, "7C0A86083ABB9674BCE93C089000"),
        ])
        let info = try #require(try SecurityInfos(der: Self.cardAccess).preferredPACE)
        let session = try await PACEProtocol.run(
            over: transport, info: info, key: try Self.key,
            random: ScriptedRandom([Self.skMap, Self.skEphemeral]))
        #expect(session.algorithm == .aes128)
        #expect(await transport.remaining == 0)
    }

    @Test("wrong password: token step answers 63C2 → accessDenied with 2 attempts")
    func wrongPassword() async throws {
        let transport = ScriptedTransport([
            ("0022C1A412800A04007F0007020204020283010184010D", "9000"),
            ("10860000027C0000", Self.nonceResponse + "9000"),
            (Self.mapCommand, Self.mapResponse + "9000"),
            (Self.keyCommand, Self.keyResponse + "9000"),
            (Self.tokenCommand, "63C2"),
        ])
        let info = try #require(try SecurityInfos(der: Self.cardAccess).preferredPACE)
        do {
            _ = try await PACEProtocol.run(
                over: transport, info: info, key: try Self.key,
                random: ScriptedRandom([Self.skMap, Self.skEphemeral]))
            Issue.record("PACE succeeded")
        } catch let error as ChipIDError {
            #expect(error.code == .accessDenied)
            #expect(error.attemptsLeft == 2)
        }
    }

    @Test("unsupported variants are refused up front")
    func unsupported() throws {
        let key = try Self.key
        #expect(throws: ChipIDError.self) {
            try PACEProtocol(info: PACEInfo(oid: "0.4.0.127.0.7.2.2.4.1.2", version: 2, parameterID: 0), key: key)
        }
        #expect(throws: ChipIDError.self) {
            try PACEProtocol(info: PACEInfo(oid: "0.4.0.127.0.7.2.2.4.2.2", version: 2, parameterID: 5), key: key)
        }
        for (last, cipher) in [("1", CipherAlgorithm.tripleDES), ("3", .aes192), ("4", .aes256)] {
            let info = PACEInfo(oid: "0.4.0.127.0.7.2.2.4.2." + last, version: 2, parameterID: 12)
            let pace = try PACEProtocol(info: info, key: .can("123456"))
            #expect(pace.cipher == cipher)
            #expect(pace.passwordKeyBytes.count == cipher.keyLength)
        }
    }
}
