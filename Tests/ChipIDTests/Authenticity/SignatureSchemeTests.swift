import Testing

@testable import ChipID

@Suite("Signature scheme resolution")
struct SignatureSchemeTests {
    @Test("OIDs map to schemes; RSASSA-PSS parameters and their RFC 4055 defaults; unknown OIDs are typed errors")
    func resolution() throws {
        #expect(
            try SignatureScheme(algorithm: AlgorithmIdentifier(oid: "1.2.840.113549.1.1.11"), digest: nil)
                == .rsaPKCS1(.sha256))
        #expect(
            try SignatureScheme(algorithm: AlgorithmIdentifier(oid: "1.2.840.113549.1.1.1"), digest: .sha384)
                == .rsaPKCS1(.sha384))
        #expect(
            try SignatureScheme(algorithm: AlgorithmIdentifier(oid: "1.2.840.10045.2.1"), digest: .sha256)
                == .ecdsa(.sha256))
        #expect(
            try SignatureScheme(algorithm: AlgorithmIdentifier(oid: "1.2.840.10045.4.3.3"), digest: nil)
                == .ecdsa(.sha384))
        #expect(
            try SignatureScheme(algorithm: AlgorithmIdentifier(oid: "0.4.0.127.0.7.1.1.4.1.4"), digest: nil)
                == .ecdsaPlain(.sha384))
        // RSASSA-PSS with absent parameters: SHA-1, MGF1-SHA-1, salt 20.
        #expect(
            try SignatureScheme(
                algorithm: AlgorithmIdentifier(oid: "1.2.840.113549.1.1.10", parameters: nil),
                digest: nil) == .rsaPSS(hash: .sha1, mgf1Hash: .sha1, saltLength: 20))
        // SHA-512 / MGF1-SHA-512 / salt 64 (RFC 4055 encoding).
        let params = hex(
            "3034A00F300D06096086480165030402030500A11C301A06092A864886F70D010108300D0609608648016503"
                + "0402030500A203020140")
        #expect(
            try SignatureScheme(
                algorithm: AlgorithmIdentifier(oid: "1.2.840.113549.1.1.10", parameters: params),
                digest: nil) == .rsaPSS(hash: .sha512, mgf1Hash: .sha512, saltLength: 64))
        #expect(
            chipError {
                _ = try SignatureScheme(
                    algorithm: AlgorithmIdentifier(oid: "1.2.840.113549.1.1.4"),
                    digest: nil)
            }?.code == .unsupportedAlgorithm)
        #expect(
            chipError {
                _ = try SignatureScheme(
                    algorithm: AlgorithmIdentifier(oid: "1.2.840.113549.1.1.1"),
                    digest: nil)
            }?.code == .unsupportedAlgorithm)
    }

    @Test("Plain r||s and DER Ecdsa-Sig-Value convert both ways, high bits and leading zeros included")
    func plainAndDER() {
        let plain = hex("007F" + String(repeating: "11", count: 30) + "80" + String(repeating: "22", count: 31))
        let der = SignatureScheme.derFromPlain(plain)!
        #expect(der.prefix(4) == [0x30, 0x44, 0x02, 0x1F])  // r lost its zero byte
        #expect(der[35...36] == [0x02, 0x21] && der[37] == 0x00)  // s got one (high bit)
        #expect(SignatureScheme.plainFromDER(der, size: 32) == plain)
        #expect(SignatureScheme.derFromPlain([1, 2, 3]) == nil)
        #expect(SignatureScheme.plainFromDER([0x30, 0x00], size: 32) == nil)
    }

    @Test("Digest algorithms: OIDs and lengths round-trip, SHA-224 via OpenSSL matches its published value")
    func digests() {
        for digest in DigestAlgorithm.allCases {
            #expect(DigestAlgorithm(oid: digest.oid) == digest)
            #expect(digest.hash(Array("abc".utf8)).count == digest.length)
        }
        // FIPS 180-2 example "abc".
        #expect(
            hexString(DigestAlgorithm.sha224.hash(Array("abc".utf8)))
                == "23097D223405D8228642A477BDA255B32AADBCE4BDA0B3F7E36C9DA7")
    }
}
