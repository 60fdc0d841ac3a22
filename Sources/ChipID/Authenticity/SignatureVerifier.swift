import COpenSSL

/// A signature scheme resolved from a CMS/X.509 signature AlgorithmIdentifier (plus the signer's digest algorithm
/// where the OID leaves the hash open, as `rsaEncryption` and `id-ecPublicKey` do in some SODs).
public enum SignatureScheme: Sendable, Hashable, CustomStringConvertible {
    /// RSASSA-PKCS1-v1_5.
    case rsaPKCS1(DigestAlgorithm)
    /// RSASSA-PSS with its parameters.
    case rsaPSS(hash: DigestAlgorithm, mgf1Hash: DigestAlgorithm, saltLength: Int)
    /// ECDSA with a DER `Ecdsa-Sig-Value`.
    case ecdsa(DigestAlgorithm)
    /// ECDSA with a plain `r || s` signature (BSI TR-03111 `ecdsa-plain-*`, Active Authentication).
    case ecdsaPlain(DigestAlgorithm)

    /// Resolves `algorithm`; `digest` is the signer's digest algorithm for OIDs that do not name one.
    public init(algorithm: AlgorithmIdentifier, digest: DigestAlgorithm?) throws(ChipIDError) {
        let oid = algorithm.oid
        func needDigest() throws(ChipIDError) -> DigestAlgorithm {
            guard let digest else {
                throw ChipIDError(.unsupportedAlgorithm, "\(AlgorithmNames.name(of: oid)) needs a digest algorithm")
            }
            return digest
        }
        switch oid {
        case "1.2.840.113549.1.1.1": self = .rsaPKCS1(try needDigest())
        case "1.2.840.113549.1.1.5": self = .rsaPKCS1(.sha1)
        case "1.2.840.113549.1.1.14": self = .rsaPKCS1(.sha224)
        case "1.2.840.113549.1.1.11": self = .rsaPKCS1(.sha256)
        case "1.2.840.113549.1.1.12": self = .rsaPKCS1(.sha384)
        case "1.2.840.113549.1.1.13": self = .rsaPKCS1(.sha512)
        case "1.2.840.113549.1.1.10": self = try Self.pss(algorithm.parameters)
        case "1.2.840.10045.2.1": self = .ecdsa(try needDigest())
        case "1.2.840.10045.4.1": self = .ecdsa(.sha1)
        case "1.2.840.10045.4.3.1": self = .ecdsa(.sha224)
        case "1.2.840.10045.4.3.2": self = .ecdsa(.sha256)
        case "1.2.840.10045.4.3.3": self = .ecdsa(.sha384)
        case "1.2.840.10045.4.3.4": self = .ecdsa(.sha512)
        case "0.4.0.127.0.7.1.1.4.1.1": self = .ecdsaPlain(.sha1)
        case "0.4.0.127.0.7.1.1.4.1.2": self = .ecdsaPlain(.sha224)
        case "0.4.0.127.0.7.1.1.4.1.3": self = .ecdsaPlain(.sha256)
        case "0.4.0.127.0.7.1.1.4.1.4": self = .ecdsaPlain(.sha384)
        case "0.4.0.127.0.7.1.1.4.1.5": self = .ecdsaPlain(.sha512)
        default:
            throw ChipIDError(
                .unsupportedAlgorithm,
                "signature algorithm \(AlgorithmNames.name(of: oid)) not supported")
        }
    }

    /// RSASSA-PSS-params (RFC 4055): hashAlgorithm [0] (SHA-1), maskGenAlgorithm [1] (MGF1-SHA-1),
    /// saltLength [2] (20), trailerField [3] (1).
    private static func pss(_ parameters: [UInt8]?) throws(ChipIDError) -> SignatureScheme {
        var hash = DigestAlgorithm.sha1
        var mgfHash = DigestAlgorithm.sha1
        var salt = 20
        guard let parameters, parameters != [0x05, 0x00] else {
            return .rsaPSS(hash: hash, mgf1Hash: mgfHash, saltLength: salt)
        }
        let root = try DERNode.parse(parameters, "RSASSA-PSS parameters", code: .sodMalformed)
        for field in try root.sequence("RSASSA-PSS parameters") {
            let inner = try field.explicit("RSASSA-PSS parameter")
            switch field.contextTag {
            case 0:
                let algorithm = try AlgorithmIdentifier(inner, "PSS hash")
                guard let digest = DigestAlgorithm(oid: algorithm.oid) else {
                    throw ChipIDError(.unsupportedAlgorithm, "PSS hash \(algorithm) not supported")
                }
                hash = digest
            case 1:
                let mgf = try AlgorithmIdentifier(inner, "PSS mask generation")
                guard mgf.oid == "1.2.840.113549.1.1.8", let mgfParameters = mgf.parameters else {
                    throw ChipIDError(.unsupportedAlgorithm, "PSS mask generation \(mgf) not supported")
                }
                let mgfNode = try DERNode.parse(mgfParameters, "MGF1 hash", code: .sodMalformed)
                let mgfDigest = try AlgorithmIdentifier(mgfNode, "MGF1 hash")
                guard let digest = DigestAlgorithm(oid: mgfDigest.oid) else {
                    throw ChipIDError(.unsupportedAlgorithm, "MGF1 hash \(mgfDigest) not supported")
                }
                mgfHash = digest
            case 2: salt = try inner.int("PSS salt length")
            case 3:
                guard try inner.int("PSS trailer field") == 1 else {
                    throw ChipIDError(.unsupportedAlgorithm, "PSS trailer field other than 1")
                }
            default: throw ChipIDError(.sodMalformed, "RSASSA-PSS parameters: unexpected field")
            }
        }
        return .rsaPSS(hash: hash, mgf1Hash: mgfHash, saltLength: salt)
    }

    /// The message digest the scheme uses.
    public var digest: DigestAlgorithm {
        switch self {
        case .rsaPKCS1(let d), .ecdsa(let d), .ecdsaPlain(let d): d
        case .rsaPSS(let d, _, _): d
        }
    }

    public var description: String {
        switch self {
        case .rsaPKCS1(let d): "RSA PKCS#1 v1.5 with \(d)"
        case .rsaPSS(let d, let m, let s): "RSASSA-PSS (\(d), MGF1-\(m), salt \(s))"
        case .ecdsa(let d): "ECDSA with \(d)"
        case .ecdsaPlain(let d): "ECDSA (plain r||s) with \(d)"
        }
    }

    /// Verifies `signature` over `message` with `key` (OpenSSL EVP). Returns false for a wrong signature, and
    /// for a key that does not fit the scheme (an RSA scheme with an EC key is a forgery, not an input error).
    public func verify(message: [UInt8], signature: [UInt8], key: PublicKey) throws(ChipIDError) -> Bool {
        switch self {
        case .rsaPKCS1, .rsaPSS: guard key.isRSA else { return false }
        case .ecdsa, .ecdsaPlain: guard key.isEC else { return false }
        }
        var derSignature = signature
        if case .ecdsaPlain = self {
            guard let converted = Self.derFromPlain(signature) else { return false }
            derSignature = converted
        }
        guard let md = EVP_MD_CTX_new() else { throw ChipIDError(.crypto, "EVP_MD_CTX_new failed") }
        defer { EVP_MD_CTX_free(md) }
        var pctx: OpaquePointer?
        guard EVP_DigestVerifyInit(md, &pctx, digest.evp, nil, key.pkey) == 1, let pctx else {
            ERR_clear_error()
            throw ChipIDError(.crypto, "EVP_DigestVerifyInit failed for \(self) and \(key)")
        }
        if case .rsaPSS(_, let mgf, let salt) = self {
            guard EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) == 1,
                EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, Int32(salt)) == 1,
                EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, mgf.evp) == 1
            else {
                ERR_clear_error()
                throw ChipIDError(.crypto, "RSA-PSS parameters rejected by OpenSSL")
            }
        }
        let result = EVP_DigestVerify(md, derSignature, derSignature.count, message, message.count)
        ERR_clear_error()
        return result == 1
    }

    /// DER `SEQUENCE { INTEGER r, INTEGER s }` from plain `r || s` (equal halves).
    static func derFromPlain(_ plain: [UInt8]) -> [UInt8]? {
        guard !plain.isEmpty, plain.count % 2 == 0 else { return nil }
        let half = plain.count / 2
        func integer(_ bytes: ArraySlice<UInt8>) -> [UInt8] {
            var value = Array(bytes.drop { $0 == 0 })
            if value.isEmpty { value = [0] }
            if value[0] & 0x80 != 0 { value.insert(0, at: 0) }
            return TLV.encode(tag: 0x02, value: value)
        }
        return TLV.encode(tag: 0x30, value: integer(plain[0..<half]) + integer(plain[half...]))
    }

    /// Plain `r || s` (each `size` bytes) from a DER `Ecdsa-Sig-Value`.
    public static func plainFromDER(_ der: [UInt8], size: Int) -> [UInt8]? {
        guard let sequence = try? TLV.single(der, expecting: 0x30, "ECDSA signature"),
            let parts = try? sequence.children(), parts.count == 2
        else { return nil }
        var out: [UInt8] = []
        for part in parts {
            let value = Array(part.value.drop { $0 == 0 })
            guard value.count <= size else { return nil }
            out += [UInt8](repeating: 0, count: size - value.count) + value
        }
        return out
    }
}
