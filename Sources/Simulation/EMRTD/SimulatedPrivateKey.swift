import COpenSSL
import ChipID

/// A private key a simulated chip holds (an OpenSSL `EVP_PKEY`, RSA or EC): the Active Authentication key of the
/// simulator and of ChipID's tests. The card side only: the reader code never holds private keys. The private part
/// is never printed or written anywhere.
public final class SimulatedPrivateKey: @unchecked Sendable, CustomStringConvertible {
    private let pkey: OpaquePointer

    private init(_ pkey: OpaquePointer) { self.pkey = pkey }
    deinit { EVP_PKEY_free(pkey) }

    public var description: String { "SimulatedPrivateKey(\(size * 8) bits, redacted)" }

    /// A fresh RSA key of `bits` bits.
    public static func rsa(bits: Int32 = 2048) throws -> SimulatedPrivateKey {
        try generate(EVP_PKEY_RSA, "RSA") { EVP_PKEY_CTX_set_rsa_keygen_bits($0, bits) }
    }

    /// A fresh EC key on the named curve `nid`.
    public static func ec(nid: Int32) throws -> SimulatedPrivateKey {
        try generate(EVP_PKEY_EC, "EC") { EVP_PKEY_CTX_set_ec_paramgen_curve_nid($0, nid) }
    }

    private static func generate(
        _ type: Int32, _ name: String, _ configure: (OpaquePointer) -> Int32
    ) throws -> SimulatedPrivateKey {
        guard let context = EVP_PKEY_CTX_new_id(type, nil) else { throw SimulationError("EVP_PKEY_CTX_new_id failed") }
        defer { EVP_PKEY_CTX_free(context) }
        var key: OpaquePointer?
        guard EVP_PKEY_keygen_init(context) == 1, configure(context) == 1, EVP_PKEY_keygen(context, &key) == 1,
            let key
        else {
            ERR_clear_error()
            throw SimulationError("\(name) key generation failed")
        }
        return SimulatedPrivateKey(key)
    }

    /// The public key as DER SubjectPublicKeyInfo (DG15's content).
    public var subjectPublicKeyInfo: [UInt8] {
        let length = i2d_PUBKEY(pkey, nil)
        guard length > 0 else { return [] }
        var out = [UInt8](repeating: 0, count: Int(length))
        out.withUnsafeMutableBufferPointer { buffer in
            var cursor: UnsafeMutablePointer<UInt8>? = buffer.baseAddress
            _ = i2d_PUBKEY(pkey, &cursor)
        }
        return out
    }

    /// The signature size in bytes (an RSA key's modulus size).
    public var size: Int { Int(EVP_PKEY_get_size(pkey)) }

    /// The raw RSA private operation F^d mod n (no padding), as ISO/IEC 9796-2 needs it.
    public func rsaRaw(_ f: [UInt8]) throws -> [UInt8] {
        guard let context = EVP_PKEY_CTX_new(pkey, nil) else { throw SimulationError("EVP_PKEY_CTX_new failed") }
        defer { EVP_PKEY_CTX_free(context) }
        var out = [UInt8](repeating: 0, count: size)
        var length = out.count
        guard EVP_PKEY_sign_init(context) == 1, EVP_PKEY_CTX_set_rsa_padding(context, RSA_NO_PADDING) == 1,
            EVP_PKEY_sign(context, &out, &length, f, f.count) == 1
        else {
            ERR_clear_error()
            throw SimulationError("the raw RSA operation failed")
        }
        return Array(out[0..<length])
    }

    /// ECDSA over `message` with `digest`, as plain `r || s` of `fieldSize` bytes each (BSI TR-03111).
    public func ecdsaPlain(_ message: [UInt8], digest: DigestAlgorithm, fieldSize: Int) throws -> [UInt8] {
        guard let context = EVP_MD_CTX_new() else { throw SimulationError("EVP_MD_CTX_new failed") }
        defer { EVP_MD_CTX_free(context) }
        var length = 0
        guard EVP_DigestSignInit(context, nil, digest.evp, nil, pkey) == 1,
            EVP_DigestSign(context, nil, &length, message, message.count) == 1
        else {
            ERR_clear_error()
            throw SimulationError("ECDSA signing failed")
        }
        var der = [UInt8](repeating: 0, count: length)
        guard EVP_DigestSign(context, &der, &length, message, message.count) == 1,
            let plain = SignatureScheme.plainFromDER(Array(der[0..<length]), size: fieldSize)
        else {
            ERR_clear_error()
            throw SimulationError("ECDSA signing failed")
        }
        return plain
    }
}
