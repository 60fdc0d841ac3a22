import COpenSSL
import Simulation
import SmartCard
import Testing

@testable import ChipID

@Suite("Chip Authentication v1 (reader side)")
struct ChipAuthenticationTests {
    /// GMRTD `chipauth/chip_auth_test.go` TestChipAuthAT (ICAO-VECTORS.md §6): AT passport, brainpoolP256r1 with
    /// explicit parameters, id-CA-ECDH-AES-CBC-CMAC-128, no keyId.
    static let gmrtdDG14 = hex(
        """
        6E82017E3182017A300D060804007F0007020202020101300F060A04007F000702020302020201013012060A04007F000702\
        0204020202010202010D30820142060904007F000702020102308201333081EC06072A8648CE3D02013081E0020101302C06\
        072A8648CE3D0101022100A9FB57DBA1EEA9BC3E660A909D838D726E3BF623D52620282013481D1F6E5377304404207D5A09\
        75FC2C3057EEF67530417AFFE7FB8055C126DC5C6CE94A4B44F330B5D9042026DC5C6CE94A4B44F330B5D9BBD77CBF958416\
        295CF7E1CE6BCCDC18FF8C07B60441048BD2AEB9CB7E57CB2C4B482FFC81B7AFB9DE27E1E3BD23C23A4453BD9ACE3262547E\
        F835C3DAC4FD97F8461A14611DC9C27745132DED8E545C1D54C72F046997022100A9FB57DBA1EEA9BC3E660A909D838D718C\
        397AA3B561A6F7901E0E82974856A7020101034200041983917269AC877C0B61544C2C022000D2A5ABA723E2D80141E648B4\
        0911DC3459761F27480E4B57181A53D8FE1190EA86C939AC14363178CAFFC621F0F905C3
        """)

    @Test("GMRTD replay: MSE:Set AT, GENERAL AUTHENTICATE and the first command under the new keys, byte for byte")
    func gmrtdReplay() async throws {
        let infos = try SecurityInfos(der: Self.gmrtdDG14)
        let (info, key) = try #require(infos.preferredChipAuthentication)
        #expect(info.oid == "0.4.0.127.0.7.2.2.3.2.2" && info.version == 1 && info.keyID == nil)
        #expect(info.cipher == .aes128 && info.isECDH)
        #expect(key.key.curveNID == NID_brainpoolP256r1)  // recognised from explicit parameters
        let script = ScriptedTransport([
            (
                "0C2241A41D8711015D8F69B1EA365CCE4304970DB12421F38E085340D338128085E700",
                "990290008E083F5136E82A6C34779000"
            ),
            (
                "0C860000608751019E18F1BA79D805379752BB560EB70AAC3CE3BC5AFE2FDD4AEB325CA8B578B4A93B9F66A5DF40"
                    + "005F8E878535251D33DD974AAF77FB858773E5799FA9DC1034E89B1150EC7F0BB3DB4BF37A1B9EA4458A970100"
                    + "8E089D204D950C0B95DB00",
                "8711010B0A5DFFC7432DE4DEB604291377A05B990290008E08B3384A1F5D1579739000"
            ),
            (
                "0CA4020C1D8711011B2EE500E84960DF7F37AFE7ADFF53838E084500F3B43E192A5700",
                "990290008E0803C4B125B4218CEF9000"
            ),
        ])
        let before = try SecureMessagingSession(
            algorithm: .aes128,
            encryptionKey: hex("524170DE3419B7AF2F23E45AD6EF9595"),
            macKey: hex("97893F5FDC29A5C13A924FE7D8ED44FD"),
            ssc: [UInt8](repeating: 0, count: 15) + [0xF0])
        let old = SecureMessagingTransport(wrapping: script, session: before)
        let random = ScriptedRandom([hex("80EBAFC8A51BECD4D90BB640EE38C9FD5C12748D28AAA37096B98C4533C4F5F5")])
        let session = try await ChipAuthentication.perform(over: old, info: info, key: key, random: random)
        #expect(session.ssc == [UInt8](repeating: 0, count: 16))
        let fresh = SecureMessagingTransport(wrapping: script, session: session)
        let confirmation = try await fresh.transmit(ChipAuthentication.confirmationCommand)
        #expect(confirmation.status.isSuccess)
        #expect(await fresh.ssc == [UInt8](repeating: 0, count: 15) + [0x02])
        #expect(await script.remaining == 0)
    }

    static func card(cipherOID: String, clone: Bool = false, session: SecureMessagingSession) throws
        -> (InMemoryEMRTD, [UInt8])
    {
        let curve = try ECCurve(nid: NID_brainpoolP256r1)
        let secret = try curve.randomScalar()
        let dg14 = CCCDFiles.dg14(
            caPublicKey: try curve.multiplyGenerator(secret), curve: curve, caOID: cipherOID, keyID: 1)
        let keys = try AuthenticationChips.keys(caPrivate: clone ? try curve.randomScalar() : secret)
        let chip = try AuthenticationChips.chip(
            files: [.dg(14): dg14, .dg(1): TestDataSet.dg1], keys: keys, session: session)
        return (chip, dg14)
    }

    static func sessionPair(_ cipher: CipherAlgorithm) throws -> (SecureMessagingSession, SecureMessagingSession) {
        let enc = [UInt8](repeating: 0x11, count: 16)
        let mac = [UInt8](repeating: 0x22, count: 16)
        let ssc = [UInt8](repeating: 0, count: cipher.blockSize)
        return (
            try SecureMessagingSession(algorithm: cipher, encryptionKey: enc, macKey: mac, ssc: ssc),
            try SecureMessagingSession(algorithm: cipher, encryptionKey: enc, macKey: mac, ssc: ssc)
        )
    }

    @Test(
        "brainpoolP256r1 + AES-128 (MSE:Set AT + GA) and 3DES (MSE:Set KAT): reading continues under new keys",
        arguments: ["0.4.0.127.0.7.2.2.3.2.2", "0.4.0.127.0.7.2.2.3.2.1"])
    func againstCard(oid: String) async throws {
        let cipher: CipherAlgorithm = oid.hasSuffix(".1") ? .tripleDES : .aes128
        let (reader, card) = try Self.sessionPair(cipher)
        let (chip, dg14) = try Self.card(cipherOID: oid, session: card)
        let channel = RekeyableTransport(SecureMessagingTransport(wrapping: chip, session: reader))
        let check = try #require(
            await ChipAuthenticator.chipAuthentication(
                dg14: dg14, channel: channel, plain: chip,
                random: SystemRandomSource()))
        #expect(check.method == .chipAuthentication && check.outcome == .passed, "\(check)")
        let dg1 = try await FileReader(transport: channel).read(.dg(1))
        #expect(dg1.bytes == TestDataSet.dg1)
        #expect(await chip.chipAuthentications == 1)
        let commands = await chip.unwrappedCommands.map { [$0.ins, $0.p1, $0.p2] }
        #expect(commands.first == (cipher == .tripleDES ? [0x22, 0x41, 0xA6] : [0x22, 0x41, 0xA4]))
        #expect(commands.contains([0x86, 0x00, 0x00]) == (cipher != .tripleDES))
        // MSE carries the key reference 84 01 01.
        let mse = try #require(await chip.unwrappedCommands.first)
        #expect(try TLV.sequence(mse.data).contains { $0.tag == 0x84 && $0.value == [0x01] })
    }

    @Test(
        "A clone without the CA private key fails with a specific verdict",
        arguments: [
            "0.4.0.127.0.7.2.2.3.2.2",
            "0.4.0.127.0.7.2.2.3.2.1",
        ])
    func clone(oid: String) async throws {
        let (reader, card) = try Self.sessionPair(oid.hasSuffix(".1") ? .tripleDES : .aes128)
        let (chip, dg14) = try Self.card(cipherOID: oid, clone: true, session: card)
        let channel = RekeyableTransport(SecureMessagingTransport(wrapping: chip, session: reader))
        let check = try #require(
            await ChipAuthenticator.chipAuthentication(
                dg14: dg14, channel: channel, plain: chip,
                random: SystemRandomSource()))
        #expect(check.method == .chipAuthentication && check.outcome == .failed, "\(check)")
    }

    @Test("DG14 parsing: keyId pairing, AA info, AES preferred over 3DES, DH-only refused")
    func dg14Parsing() throws {
        let curve = try ECCurve(nid: NID_brainpoolP256r1)
        let point = try curve.multiplyGenerator(try curve.randomScalar())
        let dg14 = CCCDFiles.dg14(
            caPublicKey: point, curve: curve, keyID: 7, activeAuthenticationOID: "0.4.0.127.0.7.1.1.4.1.3")
        let infos = try SecurityInfos(der: dg14)
        #expect(infos.activeAuthenticationAlgorithm == "0.4.0.127.0.7.1.1.4.1.3")
        #expect(infos.preferredChipAuthentication?.info.keyID == 7)
        #expect(infos.preferredChipAuthentication?.key.key.ecPoint == point.uncompressed)
        // The CCCD's EF.CardAccess names CA but has no key: nothing to run.
        #expect(try SecurityInfos(der: TestDataSet.cardAccess).preferredChipAuthentication == nil)
        // DH Chip Authentication is not offered as ECDH.
        let dh = CCCDFiles.dg14(caPublicKey: point, curve: curve, caOID: "0.4.0.127.0.7.2.2.3.1.2")
        #expect(try SecurityInfos(der: dh).chipAuthentication.first?.isECDH == false)
    }
}
