import COpenSSL

@testable import ChipID

/// Private keys for the test card's AA (the card side: the reader code never holds private keys).
final class TestPrivateKey: @unchecked Sendable {
    let pkey: OpaquePointer

    private init(_ pkey: OpaquePointer) { self.pkey = pkey }
    deinit { EVP_PKEY_free(pkey) }

    /// A fresh RSA key.
    static func rsa(bits: Int32 = 2048) -> TestPrivateKey {
        let ctx = EVP_PKEY_CTX_new_id(EVP_PKEY_RSA, nil)!
        defer { EVP_PKEY_CTX_free(ctx) }
        var key: OpaquePointer?
        precondition(
            EVP_PKEY_keygen_init(ctx) == 1 && EVP_PKEY_CTX_set_rsa_keygen_bits(ctx, bits) == 1
                && EVP_PKEY_keygen(ctx, &key) == 1)
        return TestPrivateKey(key!)
    }

    /// A fresh EC key on a named curve.
    static func ec(nid: Int32) -> TestPrivateKey {
        let ctx = EVP_PKEY_CTX_new_id(EVP_PKEY_EC, nil)!
        defer { EVP_PKEY_CTX_free(ctx) }
        var key: OpaquePointer?
        precondition(
            EVP_PKEY_keygen_init(ctx) == 1 && EVP_PKEY_CTX_set_ec_paramgen_curve_nid(ctx, nid) == 1
                && EVP_PKEY_keygen(ctx, &key) == 1)
        return TestPrivateKey(key!)
    }

    /// DER SubjectPublicKeyInfo.
    var subjectPublicKeyInfo: [UInt8] {
        let length = i2d_PUBKEY(pkey, nil)
        var out = [UInt8](repeating: 0, count: Int(length))
        out.withUnsafeMutableBufferPointer { buffer in
            var cursor: UnsafeMutablePointer<UInt8>? = buffer.baseAddress
            _ = i2d_PUBKEY(pkey, &cursor)
        }
        return out
    }

    /// Modulus size in bytes.
    var size: Int { Int(EVP_PKEY_get_size(pkey)) }

    /// The raw RSA private operation (F^d mod n), for ISO/IEC 9796-2.
    func rsaRaw(_ f: [UInt8]) -> [UInt8] {
        let ctx = EVP_PKEY_CTX_new(pkey, nil)!
        defer { EVP_PKEY_CTX_free(ctx) }
        var out = [UInt8](repeating: 0, count: size)
        var length = out.count
        precondition(
            EVP_PKEY_sign_init(ctx) == 1 && EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_NO_PADDING) == 1
                && EVP_PKEY_sign(ctx, &out, &length, f, f.count) == 1)
        return Array(out[0..<length])
    }

    /// ECDSA, plain r||s.
    func ecdsaPlain(_ message: [UInt8], digest: DigestAlgorithm, fieldSize: Int) -> [UInt8] {
        let md = EVP_MD_CTX_new()!
        defer { EVP_MD_CTX_free(md) }
        var length = 0
        precondition(
            EVP_DigestSignInit(md, nil, digest.evp, nil, pkey) == 1
                && EVP_DigestSign(md, nil, &length, message, message.count) == 1)
        var der = [UInt8](repeating: 0, count: length)
        precondition(EVP_DigestSign(md, &der, &length, message, message.count) == 1)
        return SignatureScheme.plainFromDER(Array(der[0..<length]), size: fieldSize)!
    }
}
