import COpenSSL
import ChipID

/// The private keys a simulated eMRTD proves possession of: the Chip Authentication key (ECDH on brainpoolP256r1)
/// and the Active Authentication key (RSA-2048, ISO/IEC 9796-2 scheme 1 with SHA-256). Generated fresh for every
/// card start; the private parts are never printed or written anywhere.
public final class EMRTDChipKeys: @unchecked Sendable, CustomStringConvertible {
    /// The Chip Authentication curve (brainpoolP256r1).
    public let caCurve: ECCurve
    /// The Chip Authentication public key (DG14).
    public let caPublicKey: ECPoint
    /// The Active Authentication public key, DER SubjectPublicKeyInfo (DG15).
    public let aaSubjectPublicKeyInfo: [UInt8]
    private let caPrivate: [UInt8]
    private let aaKey: OpaquePointer

    private init(caCurve: ECCurve, caPrivate: [UInt8], aaKey: OpaquePointer) throws {
        self.caCurve = caCurve
        self.caPrivate = caPrivate
        self.caPublicKey = try caCurve.multiplyGenerator(caPrivate)
        self.aaKey = aaKey
        let length = i2d_PUBKEY(aaKey, nil)
        guard length > 0 else { throw SimulationError("the AA public key does not encode") }
        var out = [UInt8](repeating: 0, count: Int(length))
        out.withUnsafeMutableBufferPointer { buffer in
            var cursor: UnsafeMutablePointer<UInt8>? = buffer.baseAddress
            _ = i2d_PUBKEY(aaKey, &cursor)
        }
        self.aaSubjectPublicKeyInfo = out
    }

    deinit { EVP_PKEY_free(aaKey) }

    public var description: String { "EMRTDChipKeys(CA brainpoolP256r1, AA RSA-2048, private keys redacted)" }

    /// Fresh keys: a random CA scalar and a new RSA-2048 key.
    public static func generate() throws -> EMRTDChipKeys {
        let curve = try ECCurve(nid: NID_brainpoolP256r1)
        guard let context = EVP_PKEY_CTX_new_id(EVP_PKEY_RSA, nil) else {
            throw SimulationError("EVP_PKEY_CTX_new_id failed")
        }
        defer { EVP_PKEY_CTX_free(context) }
        var key: OpaquePointer?
        guard EVP_PKEY_keygen_init(context) == 1, EVP_PKEY_CTX_set_rsa_keygen_bits(context, 2048) == 1,
            EVP_PKEY_keygen(context, &key) == 1, let key
        else {
            ERR_clear_error()
            throw SimulationError("RSA key generation failed")
        }
        return try EMRTDChipKeys(caCurve: curve, caPrivate: try curve.randomScalar(), aaKey: key)
    }

    /// The CA shared secret K: the x-coordinate of d·P for the terminal's ephemeral point P.
    func chipAuthenticationSecret(terminalKey: [UInt8]) throws -> [UInt8] {
        let point = try caCurve.decode(terminalKey)
        return try caCurve.multiply(caPrivate, point).x
    }

    /// The AA answer to a challenge: F = ISO 9796-2 scheme 1 (random M1, SHA-256) signed with the raw RSA operation.
    func activeAuthenticationSignature(challenge: [UInt8]) throws -> [UInt8] {
        let size = Int(EVP_PKEY_get_size(aaKey))
        let digest = DigestAlgorithm.sha256
        let m1 = SystemRandomSource().bytes(size - 1 - digest.length - 2)
        let f = ISO9796Scheme1.encode(m1: m1, challenge: challenge, digest: digest)
        guard let context = EVP_PKEY_CTX_new(aaKey, nil) else { throw SimulationError("EVP_PKEY_CTX_new failed") }
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
}
