import COpenSSL

/// A public key held by OpenSSL (RSA, RSA-PSS or EC on any curve, named or with explicit parameters), loaded from
/// a DER SubjectPublicKeyInfo. Immutable after creation, so it may be shared between threads.
public final class PublicKey: @unchecked Sendable, CustomStringConvertible {
    let pkey: OpaquePointer
    /// The SubjectPublicKeyInfo it was loaded from.
    public let subjectPublicKeyInfo: [UInt8]

    /// Loads a DER SubjectPublicKeyInfo.
    public init(subjectPublicKeyInfo spki: [UInt8]) throws(ChipIDError) {
        var loaded: OpaquePointer?
        spki.withUnsafeBufferPointer { buffer in
            var cursor: UnsafePointer<UInt8>? = buffer.baseAddress
            loaded = d2i_PUBKEY(nil, &cursor, buffer.count)
        }
        guard let loaded else {
            ERR_clear_error()
            throw ChipIDError(.certificateMalformed, "public key (SubjectPublicKeyInfo) does not parse")
        }
        pkey = loaded
        subjectPublicKeyInfo = spki
    }

    /// Takes ownership of an `EVP_PKEY` (up-referenced by the caller).
    init(owning pkey: OpaquePointer, spki: [UInt8]) {
        self.pkey = pkey
        self.subjectPublicKeyInfo = spki
    }

    deinit { EVP_PKEY_free(pkey) }

    /// Whether it is an RSA (or RSA-PSS) key.
    public var isRSA: Bool {
        EVP_PKEY_get_base_id(pkey) == EVP_PKEY_RSA || EVP_PKEY_get_base_id(pkey) == EVP_PKEY_RSA_PSS
    }

    /// Whether it is an EC key.
    public var isEC: Bool { EVP_PKEY_get_base_id(pkey) == EVP_PKEY_EC }

    /// Key size in bits.
    public var bits: Int { Int(EVP_PKEY_get_bits(pkey)) }

    /// The curve's OpenSSL NID for an EC key (named, or recognised from explicit parameters), else nil.
    public var curveNID: Int32? {
        guard isEC else { return nil }
        var name = [CChar](repeating: 0, count: 80)
        var length = 0
        if EVP_PKEY_get_utf8_string_param(pkey, OSSL_PKEY_PARAM_GROUP_NAME, &name, name.count, &length) == 1 {
            let nid = OBJ_txt2nid(name)
            if nid != NID_undef { return nid }
        }
        ERR_clear_error()
        return withGroup { group in
            let matched = EC_GROUP_check_named_curve(group, 0, nil)
            ERR_clear_error()
            return matched > 0 ? matched : nil
        }
    }

    /// The uncompressed EC point `04 || x || y` of an EC key.
    public var ecPoint: [UInt8]? {
        guard isEC else { return nil }
        var length = 0
        guard EVP_PKEY_get_octet_string_param(pkey, OSSL_PKEY_PARAM_PUB_KEY, nil, 0, &length) == 1, length > 0 else {
            ERR_clear_error()
            return nil
        }
        var encoded = [UInt8](repeating: 0, count: length)
        guard EVP_PKEY_get_octet_string_param(pkey, OSSL_PKEY_PARAM_PUB_KEY, &encoded, length, &length) == 1 else {
            ERR_clear_error()
            return nil
        }
        encoded = Array(encoded[0..<length])
        if encoded.first == 0x04 { return encoded }
        // A compressed (or hybrid) point: decode it on the key's curve and encode it uncompressed.
        return withGroup { group -> [UInt8]? in
            guard let point = EC_POINT_new(group) else { return nil }
            defer { EC_POINT_free(point) }
            guard EC_POINT_oct2point(group, point, encoded, encoded.count, nil) == 1 else {
                ERR_clear_error()
                return nil
            }
            let size = EC_POINT_point2oct(group, point, POINT_CONVERSION_UNCOMPRESSED, nil, 0, nil)
            guard size > 0 else { return nil }
            var out = [UInt8](repeating: 0, count: size)
            _ = EC_POINT_point2oct(group, point, POINT_CONVERSION_UNCOMPRESSED, &out, size, nil)
            return out
        }
    }

    /// Runs `body` with the EC group of the key's domain parameters (named or explicit), built through
    /// `EVP_PKEY_todata` (OpenSSL 3's provider API; no deprecated `EC_KEY`).
    private func withGroup<R>(_ body: (OpaquePointer) -> R?) -> R? {
        var params: UnsafeMutablePointer<OSSL_PARAM>?
        guard EVP_PKEY_todata(pkey, OSSL_KEYMGMT_SELECT_DOMAIN_PARAMETERS, &params) == 1, let params else {
            ERR_clear_error()
            return nil
        }
        defer { OSSL_PARAM_free(params) }
        guard let group = EC_GROUP_new_from_params(params, nil, nil) else {
            ERR_clear_error()
            return nil
        }
        defer { EC_GROUP_free(group) }
        return body(group)
    }

    /// Algorithm and size, e.g. "RSA-2048" or "EC brainpoolP256r1".
    public var description: String {
        if isRSA { return "RSA-\(bits)" }
        if isEC {
            if let nid = curveNID, let name = OBJ_nid2sn(nid) { return "EC \(String(cString: name))" }
            return "EC (\(bits) bits, explicit parameters)"
        }
        return "key (\(bits) bits)"
    }

    /// The raw RSA public operation `s^e mod n` (no padding), for ISO/IEC 9796-2 recovery.
    func rsaRecover(_ signature: [UInt8]) throws(ChipIDError) -> [UInt8] {
        guard isRSA, let ctx = EVP_PKEY_CTX_new(pkey, nil) else {
            throw ChipIDError(.unsupportedAlgorithm, "raw RSA operation needs an RSA key")
        }
        defer { EVP_PKEY_CTX_free(ctx) }
        var out = [UInt8](repeating: 0, count: max(signature.count, (bits + 7) / 8) + 16)
        var length = out.count
        guard EVP_PKEY_verify_recover_init(ctx) == 1, EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_NO_PADDING) == 1,
            EVP_PKEY_verify_recover(ctx, &out, &length, signature, signature.count) == 1
        else {
            ERR_clear_error()
            throw ChipIDError(.activeAuthenticationFailed, "RSA public operation failed (signature out of range)")
        }
        return Array(out[0..<length])
    }
}
