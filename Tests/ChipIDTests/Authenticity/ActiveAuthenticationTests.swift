import COpenSSL
import Simulation
import SmartCard
import Testing

@testable import ChipID

@Suite("Active Authentication (reader side)")
struct ActiveAuthenticationTests {
    @Test("ICAO worked example: F splits into M1, H (SHA-1, trailer BC) and H = SHA-1(M1 || RND.IFD)")
    func icaoWorkedExample() throws {
        let m1 = hex(
            """
            9D2784A67F8E7C659973EA1AEA25D95B6C8F91E5002F369F0FBDCE8A3CEC1991B543F1696546C5524CF23A5303CD6C98599F\
            40B79F377B5F3A1406B3B4D8F96784D23AA88DB7E1032A405E69325FA91A6E86F5C71AEA978264C4A207446DAD4E7292E2DC\
            DA3024B47DA8
            """)
        let f = hex("6A") + m1 + hex("C063AA1E6D22FBD976AB0FE73D94D2D9C6D88127BC")
        let parts = try #require(ISO9796Scheme1.recover(f))
        #expect(parts.m1 == m1 && parts.digest == .sha1)
        #expect(hexString(parts.hash) == "C063AA1E6D22FBD976AB0FE73D94D2D9C6D88127")
        #expect(ISO9796Scheme1.verify(f, challenge: hex("F173589974BF40C6")))
        #expect(!ISO9796Scheme1.verify(f, challenge: hex("F173589974BF40C7")))
        #expect(ISO9796Scheme1.encode(m1: m1, challenge: hex("F173589974BF40C6"), digest: .sha1) == f)
    }

    @Test("GMRTD real exchange: RSA-1792, ISO 9796-2 with SHA-256 (34CC) verifies; another challenge does not")
    func gmrtdRSA() throws {
        let dg15 = hex(
            """
            6F8201023081FF300D06092A864886F70D01010105000381ED003081E90281E100BB8F93F4DC95E205CDA17C6927AB1E365B\
            13065D03CD12E0FCE95D96840529453202F56CC4C13F77CD062930C8BC89A2873B257045C286E601CF3C09323A5310331490\
            2804AA10A314628CE222206A8866946A36B442041BB54AC81E6855DD1D6E16101833D65A191C20AC8B33B8A1A32920F46043\
            F8031CF2BC17417030865FC5BE5A39DEE423BCBA3CA8177168EB23CFE01BA43EC87711B1CFFF85DB46F300DD8AE317B50D54\
            3B573E119E23AF7070D0B2FED6A3B2313A5EC02A531AAED1741F4390D1013E2A0F081EAC5DC8B0A1B2C6BDB1206F08D30E36\
            43E1E5BDF536110203010001
            """)
        let signature = hex(
            """
            474256306840C0AB1B63C10E1C26BDFEF4A0DD843920283CC4E6E70A60F2BD25DC7725F9677BC1CDE66379DC28B38E8490F3\
            3AFB2D10F9980C44C0BFC175D2B6684218F535C92FDD3E18DB770A9CCBF91DB3C7F0138E6D9E94B9BC8371761E3ABED5E5E9\
            B260279CFB238B58AE0D6A01DA51C74C2A3ECD62C448BD9F20127F7384587287FA971204234E55B1A856C3E5AAAA620BB799\
            A68FBAE08EE132BB61683EBA9B0B40DC1E54641CAD975B16991CAB50AF82E3F3985AFD19E7427A125F5B4B9878B12A5D2E01\
            C7EEDCA3BB41C6FC05DCCD818BCE379D04B1F2F5D43487D3
            """)
        let key = try ActiveAuthentication.publicKey(dg15: dg15)
        #expect(key.isRSA && key.bits == 1792)
        #expect(try ActiveAuthentication.verify(key: key, challenge: hex("96302b0f3d7e7864"), signature: signature))
        #expect(try !ActiveAuthentication.verify(key: key, challenge: hex("96302b0f3d7e7865"), signature: signature))
        var bent = signature
        bent[10] ^= 0x01
        #expect(try !ActiveAuthentication.verify(key: key, challenge: hex("96302b0f3d7e7864"), signature: bent))
    }

    static func run(
        _ signer: (key: SimulatedPrivateKey, scheme: EMRTDChipKeys.ActiveAuthenticationScheme)?,
        dg15: [UInt8], dg14: [UInt8]? = nil
    ) async throws -> (CloneCheck, InMemoryEMRTD) {
        let (reader, card) = try ChipAuthenticationTests.sessionPair(.tripleDES)
        let chip = try AuthenticationChips.chip(
            files: [.dg(15): dg15], keys: try AuthenticationChips.keys(aa: signer), session: card)
        let channel = SecureMessagingTransport(wrapping: chip, session: reader)
        let check = await ChipAuthenticator.activeAuthentication(
            dg15: dg15, dg14: dg14, channel: channel,
            random: SystemRandomSource())
        return (check, chip)
    }

    @Test("RSA-2048 ISO 9796-2 (SHA-256) against the card; a fresh challenge each time; a clone fails")
    func rsaCard() async throws {
        let key = try SimulatedPrivateKey.rsa()
        let (check, chip) = try await Self.run(
            (key, .rsaISO9796(.sha256)), dg15: CCCDFiles.dg15(key.subjectPublicKeyInfo))
        #expect(check.method == .activeAuthentication && check.outcome == .passed, "\(check)")
        #expect(check.detail.contains("RSA-2048"))
        let (again, chip2) = try await Self.run(
            (key, .rsaISO9796(.sha256)), dg15: CCCDFiles.dg15(key.subjectPublicKeyInfo))
        #expect(again.outcome == .passed)
        let first = await chip.unwrappedCommands.first { $0.ins == 0x88 }
        let second = await chip2.unwrappedCommands.first { $0.ins == 0x88 }
        #expect(first?.data.count == 8 && first?.data != second?.data)
        let cloneKey = try SimulatedPrivateKey.rsa()
        let (clone, _) = try await Self.run(
            (cloneKey, .rsaISO9796(.sha256)), dg15: CCCDFiles.dg15(key.subjectPublicKeyInfo))
        #expect(clone.outcome == .failed && clone.detail.contains("does not verify"))
    }

    @Test("ECDSA brainpoolP256r1 (plain, SHA-256 named by DG14) against the card; a clone fails")
    func ecdsaCard() async throws {
        let key = try SimulatedPrivateKey.ec(nid: NID_brainpoolP256r1)
        let curve = try ECCurve(nid: NID_brainpoolP256r1)
        let point = try curve.multiplyGenerator(try curve.randomScalar())
        let dg14 = CCCDFiles.dg14(caPublicKey: point, curve: curve, activeAuthenticationOID: "0.4.0.127.0.7.1.1.4.1.3")
        let (check, _) = try await Self.run(
            (key, .ecdsa(.sha256, fieldSize: 32)), dg15: CCCDFiles.dg15(key.subjectPublicKeyInfo),
            dg14: dg14)
        #expect(check.outcome == .passed, "\(check)")
        let wrongHash = try await Self.run(
            (key, .ecdsa(.sha384, fieldSize: 32)), dg15: CCCDFiles.dg15(key.subjectPublicKeyInfo),
            dg14: dg14)
        #expect(wrongHash.0.outcome == .failed)
        let clone = try SimulatedPrivateKey.ec(nid: NID_brainpoolP256r1)
        let (cloned, _) = try await Self.run(
            (clone, .ecdsa(.sha256, fieldSize: 32)), dg15: CCCDFiles.dg15(key.subjectPublicKeyInfo),
            dg14: dg14)
        #expect(cloned.outcome == .failed)
    }

    @Test("A card without INTERNAL AUTHENTICATE: error, not a clone verdict")
    func unsupported() async throws {
        let key = try SimulatedPrivateKey.ec(nid: NID_X9_62_prime256v1)
        let (check, _) = try await Self.run(nil, dg15: CCCDFiles.dg15(key.subjectPublicKeyInfo))
        #expect(check.outcome == .error)
    }
}
