import COpenSSL
import Crypto

/// The hash functions eMRTD security objects use (ICAO 9303-10/-11), by OID.
public enum DigestAlgorithm: String, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    /// SHA-1 (legacy documents).
    case sha1 = "SHA-1"
    /// SHA-224.
    case sha224 = "SHA-224"
    /// SHA-256 (the CCCD's).
    case sha256 = "SHA-256"
    /// SHA-384.
    case sha384 = "SHA-384"
    /// SHA-512.
    case sha512 = "SHA-512"

    /// The algorithm for a digest OID (`1.3.14.3.2.26`, `2.16.840.1.101.3.4.2.{1,2,3,4}`).
    public init?(oid: String) {
        switch oid {
        case "1.3.14.3.2.26": self = .sha1
        case "2.16.840.1.101.3.4.2.4": self = .sha224
        case "2.16.840.1.101.3.4.2.1": self = .sha256
        case "2.16.840.1.101.3.4.2.2": self = .sha384
        case "2.16.840.1.101.3.4.2.3": self = .sha512
        default: return nil
        }
    }

    /// The digest OID.
    public var oid: String {
        switch self {
        case .sha1: "1.3.14.3.2.26"
        case .sha224: "2.16.840.1.101.3.4.2.4"
        case .sha256: "2.16.840.1.101.3.4.2.1"
        case .sha384: "2.16.840.1.101.3.4.2.2"
        case .sha512: "2.16.840.1.101.3.4.2.3"
        }
    }

    /// Digest length in bytes.
    public var length: Int {
        switch self {
        case .sha1: 20
        case .sha224: 28
        case .sha256: 32
        case .sha384: 48
        case .sha512: 64
        }
    }

    public var description: String { rawValue }

    /// The digest of `data`.
    public func hash(_ data: [UInt8]) -> [UInt8] {
        switch self {
        case .sha1: Array(Insecure.SHA1.hash(data: data))
        case .sha224: Self.openSSLDigest(EVP_sha224(), data)
        case .sha256: Array(SHA256.hash(data: data))
        case .sha384: Array(SHA384.hash(data: data))
        case .sha512: Array(SHA512.hash(data: data))
        }
    }

    /// OpenSSL's message digest for EVP signatures.
    public var evp: OpaquePointer? {
        switch self {
        case .sha1: EVP_sha1()
        case .sha224: EVP_sha224()
        case .sha256: EVP_sha256()
        case .sha384: EVP_sha384()
        case .sha512: EVP_sha512()
        }
    }

    private static func openSSLDigest(_ md: OpaquePointer?, _ data: [UInt8]) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: 64)
        var length: UInt32 = 0
        _ = data.withUnsafeBufferPointer { EVP_Digest($0.baseAddress, $0.count, &out, &length, md, nil) }
        return Array(out[0..<Int(length)])
    }
}

/// Readable names of the OIDs reports mention.
enum AlgorithmNames {
    static func name(of oid: String) -> String {
        if let digest = DigestAlgorithm(oid: oid) { return digest.rawValue }
        return known[oid] ?? oid
    }

    static let known: [String: String] = [
        "1.2.840.113549.1.1.1": "rsaEncryption",
        "1.2.840.113549.1.1.5": "sha1WithRSAEncryption",
        "1.2.840.113549.1.1.14": "sha224WithRSAEncryption",
        "1.2.840.113549.1.1.11": "sha256WithRSAEncryption",
        "1.2.840.113549.1.1.12": "sha384WithRSAEncryption",
        "1.2.840.113549.1.1.13": "sha512WithRSAEncryption",
        "1.2.840.113549.1.1.10": "RSASSA-PSS",
        "1.2.840.10045.2.1": "id-ecPublicKey",
        "1.2.840.10045.4.1": "ecdsa-with-SHA1",
        "1.2.840.10045.4.3.1": "ecdsa-with-SHA224",
        "1.2.840.10045.4.3.2": "ecdsa-with-SHA256",
        "1.2.840.10045.4.3.3": "ecdsa-with-SHA384",
        "1.2.840.10045.4.3.4": "ecdsa-with-SHA512",
        "0.4.0.127.0.7.1.1.4.1.1": "ecdsa-plain-SHA1",
        "0.4.0.127.0.7.1.1.4.1.2": "ecdsa-plain-SHA224",
        "0.4.0.127.0.7.1.1.4.1.3": "ecdsa-plain-SHA256",
        "0.4.0.127.0.7.1.1.4.1.4": "ecdsa-plain-SHA384",
        "0.4.0.127.0.7.1.1.4.1.5": "ecdsa-plain-SHA512",
    ]
}
