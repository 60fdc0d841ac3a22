import COpenSSL
import Synchronization

/// One block cipher under one key in one direction: an OpenSSL context keyed once and reused for every message, so
/// secure messaging pays the cipher lookup and key schedule once per session key instead of once per APDU. Whole
/// blocks only (no padding: callers pad with ISO 9797-1 method 2 themselves). Safe to share: runs are serialised.
final class KeyedCipher: Sendable {
    private let context: Mutex<OpenSSLHandle>

    /// Keys a context for `cipher` (an `EVP_CIPHER`, e.g. `EVP_aes_128_cbc()`).
    init(_ cipher: OpaquePointer?, key: [UInt8], encrypt: Bool) throws(ChipIDError) {
        guard let cipher else { throw ChipIDError(.crypto, "cipher not available in libcrypto") }
        guard let ctx = EVP_CIPHER_CTX_new() else { throw ChipIDError(.crypto, "EVP_CIPHER_CTX_new failed") }
        let keyed = key.withUnsafeBufferPointer { keyBuffer in
            EVP_CipherInit_ex(ctx, cipher, nil, keyBuffer.baseAddress, nil, encrypt ? 1 : 0) == 1
                && EVP_CIPHER_CTX_set_padding(ctx, 0) == 1
        }
        guard keyed else {
            EVP_CIPHER_CTX_free(ctx)
            ERR_clear_error()
            throw ChipIDError(.crypto, "block cipher key setup failed")
        }
        context = Mutex(OpenSSLHandle(ctx))
    }

    deinit { context.withLock { EVP_CIPHER_CTX_free($0.pointer) } }

    /// Runs the cipher over `data` (a whole number of blocks) from `iv` (CBC; nil for ECB), keeping the key.
    func run(iv: [UInt8]?, _ data: [UInt8]) throws(ChipIDError) -> [UInt8] {
        let ok: [UInt8]? = context.withLock { handle in
            let ctx = handle.pointer
            var out = [UInt8](repeating: 0, count: data.count + 32)
            var written: Int32 = 0
            var finalWritten: Int32 = 0
            let restarted: Bool =
                if let iv {
                    iv.withUnsafeBufferPointer { EVP_CipherInit_ex(ctx, nil, nil, nil, $0.baseAddress, -1) == 1 }
                } else {
                    EVP_CipherInit_ex(ctx, nil, nil, nil, nil, -1) == 1
                }
            guard restarted else { return nil }
            let done = out.withUnsafeMutableBufferPointer { outBuffer in
                data.withUnsafeBufferPointer { input in
                    EVP_CipherUpdate(ctx, outBuffer.baseAddress, &written, input.baseAddress, Int32(input.count)) == 1
                        && EVP_CipherFinal_ex(ctx, outBuffer.baseAddress! + Int(written), &finalWritten) == 1
                }
            }
            guard done else { return nil }
            out.removeSubrange(Int(written + finalWritten)...)
            return out
        }
        guard let ok else {
            ERR_clear_error()
            throw ChipIDError(.crypto, "block cipher operation failed")
        }
        return ok
    }
}

/// An OpenSSL object pointer owned by one Swift object and only used under its lock.
struct OpenSSLHandle: @unchecked Sendable {
    let pointer: OpaquePointer
    init(_ pointer: OpaquePointer) { self.pointer = pointer }
}

/// One-shot cipher runs (a context keyed for a single message).
enum EVPCipher {
    /// Encrypts or decrypts `data` (a whole number of blocks) with an OpenSSL cipher.
    static func run(
        _ cipher: OpaquePointer?, key: [UInt8], iv: [UInt8]?, data: [UInt8],
        encrypt: Bool
    ) throws(ChipIDError) -> [UInt8] {
        try KeyedCipher(cipher, key: key, encrypt: encrypt).run(iv: iv, data)
    }
}

/// Two-key (16-byte) or three-key (24-byte) Triple DES in OpenSSL's default provider (single DES for the retail
/// MAC is EDE3 with equal keys: see `KeyedRetailMAC`).
public enum TripleDES {
    /// The DES block size.
    public static let blockSize = 8

    /// 3DES-CBC encryption of whole blocks, IV zero unless given.
    public static func encryptCBC(
        key: [UInt8], iv: [UInt8] = [UInt8](repeating: 0, count: 8),
        _ data: [UInt8]
    ) throws(ChipIDError) -> [UInt8] {
        try EVPCipher.run(cbc(key), key: key, iv: iv, data: data, encrypt: true)
    }

    /// 3DES-CBC decryption of whole blocks, IV zero unless given.
    public static func decryptCBC(
        key: [UInt8], iv: [UInt8] = [UInt8](repeating: 0, count: 8),
        _ data: [UInt8]
    ) throws(ChipIDError) -> [UInt8] {
        try EVPCipher.run(cbc(key), key: key, iv: iv, data: data, encrypt: false)
    }

    static func cbc(_ key: [UInt8]) -> OpaquePointer? {
        switch key.count {
        case 16: EVP_des_ede_cbc()
        case 24: EVP_des_ede3_cbc()
        default: nil
        }
    }

    /// Sets the DES odd-parity bit of every byte.
    public static func adjustParity(_ key: [UInt8]) -> [UInt8] {
        key.map { byte in
            let high = byte & 0xFE
            return high.nonzeroBitCount % 2 == 0 ? high | 1 : high
        }
    }
}

/// AES (128/192/256 by key length) in CBC and ECB, via OpenSSL.
public enum AESCipher {
    /// The AES block size.
    public static let blockSize = 16

    /// AES-CBC encryption of whole blocks, IV zero unless given.
    public static func encryptCBC(
        key: [UInt8], iv: [UInt8] = [UInt8](repeating: 0, count: 16),
        _ data: [UInt8]
    ) throws(ChipIDError) -> [UInt8] {
        try EVPCipher.run(cbc(key), key: key, iv: iv, data: data, encrypt: true)
    }

    /// AES-CBC decryption of whole blocks, IV zero unless given.
    public static func decryptCBC(
        key: [UInt8], iv: [UInt8] = [UInt8](repeating: 0, count: 16),
        _ data: [UInt8]
    ) throws(ChipIDError) -> [UInt8] {
        try EVPCipher.run(cbc(key), key: key, iv: iv, data: data, encrypt: false)
    }

    /// AES-ECB encryption of whole blocks.
    public static func encryptECB(key: [UInt8], _ data: [UInt8]) throws(ChipIDError) -> [UInt8] {
        try EVPCipher.run(ecb(key), key: key, iv: nil, data: data, encrypt: true)
    }

    static func ecb(_ key: [UInt8]) -> OpaquePointer? {
        switch key.count {
        case 16: EVP_aes_128_ecb()
        case 24: EVP_aes_192_ecb()
        case 32: EVP_aes_256_ecb()
        default: nil
        }
    }

    static func cbc(_ key: [UInt8]) -> OpaquePointer? {
        switch key.count {
        case 16: EVP_aes_128_cbc()
        case 24: EVP_aes_192_cbc()
        case 32: EVP_aes_256_cbc()
        default: nil
        }
    }
}
