import Testing

@testable import ChipID

@Suite("Crypto primitives over OpenSSL")
struct CryptoTests {
    @Test("KDF: BAC keys of ICAO Appendix D.2, and Kπ of G.1")
    func kdf() {
        let seed = hex("239AB9CB282DAF66231DC5A4DF6BFBAE")
        #expect(
            hexString(KeyDerivation.derive(seed: seed, counter: 1, for: .tripleDES))
                == "AB94FDECF2674FDFB9B391F85D7F76F2")
        #expect(
            hexString(KeyDerivation.derive(seed: seed, counter: 2, for: .tripleDES))
                == "7962D9ECE03D1ACD4C76089DCE131543")
        let kseed = hex("0036D272F5C350ACAC50C3F572D23600")
        #expect(
            hexString(KeyDerivation.derive(seed: kseed, counter: 1, for: .tripleDES))
                == "979EC13B1CBFE9DCD01AB0FED307EAE5")
        #expect(
            hexString(KeyDerivation.derive(seed: kseed, counter: 2, for: .tripleDES))
                == "F1CB1F1FB5ADF208806B89DC579DC1F8")
        let k = hex("7E2D2A41C74EA0B38CD36F863939BFA8E9032AAD")
        #expect(
            hexString(KeyDerivation.derive(seed: k, counter: 3, for: .aes128))
                == "89DED1B26624EC1E634C1989302849DD")
        #expect(
            hexString(KeyDerivation.derive(seed: Array("123456".utf8), counter: 3, for: .aes128))
                == "591468CDA83D65219CCCB8560233600F")
        #expect(KeyDerivation.derive(seed: k, counter: 1, for: .aes192).count == 24)
        #expect(KeyDerivation.derive(seed: k, counter: 1, for: .aes256) == Hashing.sha256(k + [0, 0, 0, 1]))
    }

    @Test("3DES-CBC and retail MAC: E.IFD and M.IFD of Appendix D.3")
    func tripleDESAndRetailMAC() throws {
        let kEnc = hex("AB94FDECF2674FDFB9B391F85D7F76F2")
        let kMac = hex("7962D9ECE03D1ACD4C76089DCE131543")
        let s = hex("781723860C06C2264608F919887022120B795240CB7049B01C19B33E32804F0B")
        let e = try TripleDES.encryptCBC(key: kEnc, s)
        #expect(hexString(e) == "72C29C2371CC9BDB65B779B8E8D37B29ECC154AA56A8799FAE2F498F76ED92F2")
        #expect(hexString(try RetailMAC.mac(key: kMac, e)) == "5F1448EEA8AD90A7")
        #expect(try TripleDES.decryptCBC(key: kEnc, e) == s)
        // M.IC over E.IC, and decryption of E.IC.
        let eIC = hex("46B9342A41396CD7386BF5803104D7CEDC122B9132139BAF2EEDC94EE178534F")
        #expect(hexString(try RetailMAC.mac(key: kMac, eIC)) == "2F2D235D074D7449")
        #expect(
            hexString(try TripleDES.decryptCBC(key: kEnc, eIC))
                == "4608F91988702212781723860C06C2260B4F80323EB3191CB04970CB4052790B")
    }

    @Test("AES-CMAC: RFC 4493 vectors")
    func cmacRFC4493() throws {
        let key = hex("2B7E151628AED2A6ABF7158809CF4F3C")
        #expect(hexString(try AESCMAC.mac(key: key, [])) == "BB1D6929E95937287FA37D129B756746")
        #expect(
            hexString(try AESCMAC.mac(key: key, hex("6BC1BEE22E409F96E93D7E117393172A")))
                == "070A16B46B4D4144F79BDD9DD04A287C")
        #expect(throws: ChipIDError.self) { try AESCMAC.mac(key: [1, 2, 3], []) }
    }

    @Test("keyed contexts reused across messages give every published vector (RFC 4493, SP 800-38A, ICAO D.3)")
    func keyedContextsReused() throws {
        // One CMAC context for all four RFC 4493 examples, twice over: each MAC restarts from the key alone.
        let cmac = try KeyedCMAC(key: hex("2B7E151628AED2A6ABF7158809CF4F3C"))
        let message = hex(
            "6BC1BEE22E409F96E93D7E117393172AAE2D8A571E03AC9C9EB76FAC45AF8E51"
                + "30C81C46A35CE411E5FBC1191A0A52EFF69F2445DF4F9B17AD2B417BE66C3710")
        let expected = [
            (0, "BB1D6929E95937287FA37D129B756746"), (16, "070A16B46B4D4144F79BDD9DD04A287C"),
            (40, "DFA66747DE9AE63030CA32611497C827"), (64, "51F0BEBF7E3B9D92FC49741779363CFE"),
        ]
        for _ in 0..<2 {
            for (length, mac) in expected { #expect(hexString(try cmac.mac(Array(message[0..<length]))) == mac) }
        }
        // SP 800-38A F.2.1/F.2.2 (AES-128-CBC): one encryptor and one decryptor, the IV set per message; the second
        // block alone, chained from the first ciphertext block as IV, must give the second ciphertext block.
        let key = hex("2B7E151628AED2A6ABF7158809CF4F3C")
        let iv = hex("000102030405060708090A0B0C0D0E0F")
        let plain = Array(message[0..<32])
        let cipher = hex("7649ABAC8119B246CEE98E9B12E9197D5086CB9B507219EE95DB113A917678B2")
        let encryptor = try KeyedCipher(AESCipher.cbc(key), key: key, encrypt: true)
        let decryptor = try KeyedCipher(AESCipher.cbc(key), key: key, encrypt: false)
        for _ in 0..<2 {
            #expect(try encryptor.run(iv: iv, plain) == cipher)
            #expect(try encryptor.run(iv: Array(cipher[0..<16]), Array(plain[16...])) == Array(cipher[16...]))
            #expect(try decryptor.run(iv: iv, cipher) == plain)
        }
        // ICAO 9303-11 D.3: one retail MAC for M.IFD then M.IC.
        let retail = try KeyedRetailMAC(key: hex("7962D9ECE03D1ACD4C76089DCE131543"))
        #expect(
            hexString(try retail.mac(hex("72C29C2371CC9BDB65B779B8E8D37B29ECC154AA56A8799FAE2F498F76ED92F2")))
                == "5F1448EEA8AD90A7")
        #expect(
            hexString(try retail.mac(hex("46B9342A41396CD7386BF5803104D7CEDC122B9132139BAF2EEDC94EE178534F")))
                == "2F2D235D074D7449")
        #expect(throws: ChipIDError.self) { try encryptor.run(iv: iv, [1, 2, 3]) }  // not whole blocks
    }

    @Test("AES SM primitives: BSI EAC worked example (encrypt at SSC 1, MAC at SSC 2)")
    func aesBSIExample() throws {
        let kEnc = hex("68406B4162100563D9C901A6154D2901")
        let kMac = hex("73FF268784F72AF833FDC9464049AFC9")
        let ssc1 = [UInt8](repeating: 0, count: 15) + [1]
        let iv = try AESCipher.encryptECB(key: kEnc, ssc1)
        let plain = ISO9797Padding.pad(hex("830D44454356434141543030303031"), blockSize: 16)
        #expect(hexString(try AESCipher.encryptCBC(key: kEnc, iv: iv, plain)) == "BE90237EEB4BA0FF253EA246AE31C8B8")
        let ssc2 = [UInt8](repeating: 0, count: 15) + [2]
        let mac = try AESCMAC.mac(key: kMac, ISO9797Padding.pad(ssc2 + hex("99029000"), blockSize: 16))
        #expect(hexString(Array(mac[0..<8])) == "A89570A68664A7D6")
    }

    @Test("padding method 2 round trip and rejection")
    func padding() {
        #expect(ISO9797Padding.pad([1, 2], blockSize: 8) == [1, 2, 0x80, 0, 0, 0, 0, 0])
        #expect(ISO9797Padding.pad([UInt8](repeating: 7, count: 8), blockSize: 8).count == 16)
        #expect(ISO9797Padding.unpad([1, 0x80, 0, 0]) == [1])
        #expect(ISO9797Padding.unpad([1, 0, 0, 0]) == nil)
        #expect(TripleDES.adjustParity([0x00, 0xFF, 0x7E]) == [0x01, 0xFE, 0x7F])
    }

    @Test("brainpoolP256r1 arithmetic: G.1 mapping and key agreement")
    func ecG1() throws {
        let curve = try ECCurve(standardizedParameterID: 13)
        let skMap = hex("7F4EF07B9EA82FD78AD689B38D0BC78CF21F249D953BC46F4C6E19259C010F99")
        let pkMap = try curve.multiplyGenerator(skMap)
        #expect(
            hexString(pkMap.uncompressed) == "04"
                + "7ACF3EFC982EC45565A4B155129EFBC74650DCBFA6362D896FC70262E0C2CC5E"
                + "544552DCB6725218799115B55C9BAA6D9F6BC3A9618E70C25AF71777A9C4922D")
        let pkIC = try curve.decode(
            hex(
                "04824FBA91C9CBE26BEF53A0EBE7342A3BF178CEA9F45DE0B70AA601651FBA3F57"
                    + "30D8C879AAA9C9F73991E61B58F4D52EB87A0A0C709A49DC63719363CCD13C54"))
        let h = try curve.multiply(skMap, pkIC)
        #expect(hexString(h.x) == "60332EF2450B5D247EF6D3868397D398852ED6E8CAF6FFEEF6BF85CA57057FD5")
        let g = try curve.add(try curve.multiplyGenerator(hex("3F00C4D39D153F2B2A214A078D899B22")), h)
        #expect(
            hexString(g.x + g.y) == "8CED63C91426D4F0EB1435E7CB1D74A46723A0AF21C89634F65A9AE87A9265E2"
                + "8C879506743F8611AC33645C5B985C80B5F09A0B83407C1B6A4D857AE76FE522")
        // A point off the curve is rejected.
        var bad = pkIC.uncompressed
        bad[bad.count - 1] ^= 1
        #expect(throws: ChipIDError.self) { try curve.decode(bad) }
        for id in 8...18 {
            let other = try ECCurve(standardizedParameterID: id)
            let k = try other.randomScalar()
            #expect(try other.multiply(k, try other.generator) == (try other.multiplyGenerator(k)), "param \(id)")
        }
        #expect(throws: ChipIDError.self) { try ECCurve(standardizedParameterID: 3) }
    }
}
