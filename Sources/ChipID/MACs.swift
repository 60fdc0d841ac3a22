import COpenSSL

/// ISO/IEC 9797-1 padding method 2: append `80`, then `00` up to a multiple of the block size.
public enum ISO9797Padding {
    /// Pads `data` to a multiple of `blockSize` (always adds at least one byte).
    public static func pad(_ data: [UInt8], blockSize: Int) -> [UInt8] {
        var out = data
        out.append(0x80)
        while out.count % blockSize != 0 { out.append(0x00) }
        return out
    }

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
        guard key.count == 16 else { throw ChipIDError(.crypto, "retail MAC key must be 16 bytes") }
        let message = alreadyPadded ? data : ISO9797Padding.pad(data, blockSize: 8)
        guard !message.isEmpty, message.count % 8 == 0 else {
            throw ChipIDError(.crypto, "retail MAC input not padded")
        }
        let ka = Array(key[0..<8])
        let last = Array(message[(message.count - 8)...])
        var chain = [UInt8](repeating: 0, count: 8)
        if message.count > 8 {
            let head = try TripleDES.singleDESEncryptCBC(key: ka, Array(message[..<(message.count - 8)]))
            chain = Array(head[(head.count - 8)...])
        }
        // Final block: E(Ka, D(Kb, E(Ka, chain ^ last))) = two-key 3DES-EDE of (chain ^ last).
        return try TripleDES.encryptECB(key: key, Bytes.xor(chain, last))
    }
}

/// AES-CMAC (NIST SP 800-38B) through OpenSSL's EVP_MAC "CMAC".
public enum AESCMAC {
    /// The full 16-byte CMAC of `data`.
    public static func mac(key: [UInt8], _ data: [UInt8]) throws(ChipIDError) -> [UInt8] {
        let name: String
        switch key.count {
        case 16: name = "AES-128-CBC"
        case 24: name = "AES-192-CBC"
        case 32: name = "AES-256-CBC"
        default: throw ChipIDError(.crypto, "AES-CMAC key must be 16, 24 or 32 bytes")
        }
        var out = [UInt8](repeating: 0, count: 16)
        var length = 0
        let ok = name.withCString { cipherName in
            key.withUnsafeBufferPointer { keyBuffer in
                data.withUnsafeBufferPointer { dataBuffer in
                    out.withUnsafeMutableBufferPointer { outBuffer in
                        station_cmac(cipherName, keyBuffer.baseAddress, keyBuffer.count,
                                     dataBuffer.baseAddress ?? UnsafePointer(keyBuffer.baseAddress), dataBuffer.count,
                                     outBuffer.baseAddress, &length)
                    }
                }
            }
        }
        guard ok == 1, length == 16 else {
            ERR_clear_error()
            throw ChipIDError(.crypto, "AES-CMAC failed")
        }
        return out
    }
}
