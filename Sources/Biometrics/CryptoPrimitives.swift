import COpenSSL

/// The two primitives this module needs, from OpenSSL's libcrypto: SHA-256 (capture hash chain) and one AES-128
/// block (the Microsoft v2 reader's challenge–response).
enum CryptoPrimitives {
    /// SHA-256 of `data`.
    static func sha256(_ data: [UInt8]) -> [UInt8] {
        var digest = [UInt8](repeating: 0, count: 32)
        var length: UInt32 = 0
        let ok = data.withUnsafeBytes { bytes in
            EVP_Digest(bytes.baseAddress, bytes.count, &digest, &length, EVP_sha256(), nil)
        }
        precondition(ok == 1 && length == 32, "EVP_Digest(SHA-256) failed")
        return digest
    }

    /// AES-128 encryption of one 16-byte block (ECB, no padding).
    static func aes128EncryptBlock(key: [UInt8], block: [UInt8]) throws -> [UInt8] {
        guard key.count == 16, block.count == 16 else {
            throw BiometricError(.protocolError, "AES-128 needs a 16-byte key and block")
        }
        guard let context = EVP_CIPHER_CTX_new() else { throw BiometricError(.usb, "EVP_CIPHER_CTX_new failed") }
        defer { EVP_CIPHER_CTX_free(context) }
        var out = [UInt8](repeating: 0, count: 32)
        var written: Int32 = 0
        guard EVP_EncryptInit_ex(context, EVP_aes_128_ecb(), nil, key, nil) == 1,
            EVP_CIPHER_CTX_set_padding(context, 0) == 1,
            EVP_EncryptUpdate(context, &out, &written, block, 16) == 1, written == 16
        else {
            throw BiometricError(.protocolError, "AES-128 encryption failed")
        }
        return Array(out.prefix(16))
    }
}
