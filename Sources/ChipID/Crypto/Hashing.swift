import Crypto

/// SHA-1 and SHA-256 over byte arrays (swift-crypto).
public enum Hashing {
    /// SHA-1 digest (20 bytes).
    public static func sha1(_ data: [UInt8]) -> [UInt8] { Array(Insecure.SHA1.hash(data: data)) }
    /// SHA-256 digest (32 bytes).
    public static func sha256(_ data: [UInt8]) -> [UInt8] { Array(SHA256.hash(data: data)) }
}
