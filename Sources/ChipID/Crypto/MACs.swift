import COpenSSL
import Synchronization

/// ISO/IEC 9797-1 padding method 2: append `80`, then `00` up to a multiple of the block size.
public enum ISO9797Padding {
    /// Pads `data` to a multiple of `blockSize` (always adds at least one byte).
    public static func pad(_ data: [UInt8], blockSize: Int) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(paddedLength(data.count, blockSize: blockSize))
        out += data
        padInPlace(&out, blockSize: blockSize)
        return out
    }

    /// Pads `data` where it is (reserve `paddedLength` first to avoid a reallocation).
    public static func padInPlace(_ data: inout [UInt8], blockSize: Int) {
        let target = paddedLength(data.count, blockSize: blockSize)
        data.append(0x80)
        data.append(contentsOf: repeatElement(0, count: target - data.count))
    }

    /// The length of `count` bytes once padded.
    public static func paddedLength(_ count: Int, blockSize: Int) -> Int { (count / blockSize + 1) * blockSize }

    /// Removes method-2 padding; nil when the padding is absent or malformed.
    public static func unpad(_ data: [UInt8]) -> [UInt8]? {
        guard let index = data.lastIndex(where: { $0 != 0x00 }), data[index] == 0x80 else { return nil }
        return Array(data[..<index])
    }
}

/// ISO/IEC 9797-1 MAC algorithm 3 ("retail MAC") with DES, 16-byte key, 8-byte MAC.
public enum RetailMAC {
    /// MAC of `data`; the data is padded with method 2 first unless `alreadyPadded`.
    public static func mac(key: [UInt8], _ data: [UInt8], alreadyPadded: Bool = false) throws(ChipIDError) -> [UInt8] {
        try KeyedRetailMAC(key: key).mac(data, alreadyPadded: alreadyPadded)
    }
}

/// A retail MAC keyed once (single-DES CBC under Ka for the chain, two-key 3DES for the final block), for secure
/// messaging sessions that MAC every APDU under the same key.
final class KeyedRetailMAC: Sendable {
    private let chain: KeyedCipher
    private let final: KeyedCipher

    init(key: [UInt8]) throws(ChipIDError) {
        guard key.count == 16 else { throw ChipIDError(.crypto, "retail MAC key must be 16 bytes") }
        let ka = Array(key[0..<8])
        chain = try KeyedCipher(EVP_des_ede3_cbc(), key: ka + ka + ka, encrypt: true)
        final = try KeyedCipher(EVP_des_ede_ecb(), key: key, encrypt: true)
    }

    func mac(_ data: [UInt8], alreadyPadded: Bool = false) throws(ChipIDError) -> [UInt8] {
        let message = alreadyPadded ? data : ISO9797Padding.pad(data, blockSize: 8)
        guard !message.isEmpty, message.count % 8 == 0 else {
            throw ChipIDError(.crypto, "retail MAC input not padded")
        }
        let last = Array(message[(message.count - 8)...])
        var state = [UInt8](repeating: 0, count: 8)
        if message.count > 8 {
            let head = try chain.run(iv: state, Array(message[..<(message.count - 8)]))
            state = Array(head[(head.count - 8)...])
        }
        // Final block: E(Ka, D(Kb, E(Ka, chain ^ last))) = two-key 3DES-EDE of (chain ^ last).
        return try final.run(iv: nil, Bytes.xor(state, last))
    }
}

/// AES-CMAC (NIST SP 800-38B) through OpenSSL's EVP_MAC "CMAC".
public enum AESCMAC {
    /// The full 16-byte CMAC of `data`.
    public static func mac(key: [UInt8], _ data: [UInt8]) throws(ChipIDError) -> [UInt8] {
        try KeyedCMAC(key: key).mac(data)
    }
}

/// An AES-CMAC keyed once: the cipher lookup and subkey derivation happen at creation, each `mac` only restarts it.
final class KeyedCMAC: Sendable {
    private let context: Mutex<OpenSSLHandle>

    init(key: [UInt8]) throws(ChipIDError) {
        let name: String
        switch key.count {
        case 16: name = "AES-128-CBC"
        case 24: name = "AES-192-CBC"
        case 32: name = "AES-256-CBC"
        default: throw ChipIDError(.crypto, "AES-CMAC key must be 16, 24 or 32 bytes")
        }
        let ctx = name.withCString { cipherName in
            key.withUnsafeBufferPointer { station_cmac_new(cipherName, $0.baseAddress, $0.count) }
        }
        guard let ctx else {
            ERR_clear_error()
            throw ChipIDError(.crypto, "AES-CMAC key setup failed")
        }
        context = Mutex(OpenSSLHandle(ctx))
    }

    deinit { context.withLock { EVP_MAC_CTX_free($0.pointer) } }

    /// The full 16-byte CMAC of `data`.
    func mac(_ data: [UInt8]) throws(ChipIDError) -> [UInt8] {
        let result: [UInt8]? = context.withLock { handle in
            let ctx = handle.pointer
            var out = [UInt8](repeating: 0, count: 16)
            var length = 0
            let ok = data.withUnsafeBufferPointer { dataBuffer in
                out.withUnsafeMutableBufferPointer { outBuffer in
                    // EVP_MAC_update needs a non-null pointer even for empty input.
                    withUnsafePointer(to: 0 as UInt8) { empty in
                        station_cmac_run(
                            ctx, dataBuffer.baseAddress ?? empty, dataBuffer.count,
                            outBuffer.baseAddress, &length)
                    }
                }
            }
            return ok == 1 && length == 16 ? out : nil
        }
        guard let result else {
            ERR_clear_error()
            throw ChipIDError(.crypto, "AES-CMAC failed")
        }
        return result
    }
}
