/// The symmetric algorithm a key is for, which fixes the KDF's hash and output length (ICAO 9303-11 §9.7.1).
public enum CipherAlgorithm: Sendable, Hashable, CustomStringConvertible {
    /// Two-key 3DES (BAC, PACE-3DES): SHA-1, 16 bytes, DES parity adjusted.
    case tripleDES
    /// AES-128: SHA-1, 16 bytes.
    case aes128
    /// AES-192: SHA-256, 24 bytes.
    case aes192
    /// AES-256: SHA-256, 32 bytes.
    case aes256

    /// Key length in bytes.
    public var keyLength: Int {
        switch self {
        case .tripleDES, .aes128: 16
        case .aes192: 24
        case .aes256: 32
        }
    }

    /// Cipher block size.
    public var blockSize: Int { self == .tripleDES ? 8 : 16 }

    public var description: String {
        switch self {
        case .tripleDES: "3DES"
        case .aes128: "AES-128"
        case .aes192: "AES-192"
        case .aes256: "AES-256"
        }
    }
}

/// The key derivation function of ICAO 9303-11 §9.7.1: `H(seed || counter32)`, truncated.
public enum KeyDerivation {
    /// Counter 1: encryption key.
    public static let encryptionCounter: UInt32 = 1
    /// Counter 2: MAC key.
    public static let macCounter: UInt32 = 2
    /// Counter 3: PACE password key Kπ.
    public static let passwordCounter: UInt32 = 3

    /// Derives a key of `algorithm`'s length from the shared secret or seed.
    public static func derive(seed: [UInt8], counter: UInt32, for algorithm: CipherAlgorithm) -> [UInt8] {
        let input =
            seed + [
                UInt8(counter >> 24), UInt8(counter >> 16 & 0xFF), UInt8(counter >> 8 & 0xFF),
                UInt8(counter & 0xFF),
            ]
        switch algorithm {
        case .tripleDES: return TripleDES.adjustParity(Array(Hashing.sha1(input)[0..<16]))
        case .aes128: return Array(Hashing.sha1(input)[0..<16])
        case .aes192: return Array(Hashing.sha256(input)[0..<24])
        case .aes256: return Hashing.sha256(input)
        }
    }
}
