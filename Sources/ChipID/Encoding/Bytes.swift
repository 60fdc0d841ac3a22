/// Small byte helpers used across ChipID.
enum Bytes {
    /// Parses hex text (whitespace ignored). Returns nil on odd length or a non-hex character.
    static func fromHex(_ text: String) -> [UInt8]? {
        let digits = text.unicodeScalars.filter { !$0.properties.isWhitespace }
        guard digits.count % 2 == 0 else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(digits.count / 2)
        var high: UInt8?
        for scalar in digits {
            guard let nibble = hexValue(scalar) else { return nil }
            if let h = high {
                out.append(h << 4 | nibble)
                high = nil
            } else {
                high = nibble
            }
        }
        return out
    }

    private static func hexValue(_ scalar: Unicode.Scalar) -> UInt8? {
        switch scalar.value {
        case 0x30...0x39: UInt8(scalar.value - 0x30)
        case 0x41...0x46: UInt8(scalar.value - 0x41 + 10)
        case 0x61...0x66: UInt8(scalar.value - 0x61 + 10)
        default: nil
        }
    }

    /// Uppercase hex of the bytes (for tests and key-free diagnostics only).
    static func hex(_ bytes: some Sequence<UInt8>) -> String {
        let table = Array("0123456789ABCDEF".utf8)
        var out: [UInt8] = []
        for byte in bytes {
            out.append(table[Int(byte >> 4)])
            out.append(table[Int(byte & 0x0F)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// XOR of two equal-length arrays.
    static func xor(_ a: [UInt8], _ b: [UInt8]) -> [UInt8] {
        precondition(a.count == b.count, "xor of unequal lengths")
        return zip(a, b).map { $0 ^ $1 }
    }

    /// Big-endian encoding of `value` in `width` bytes.
    static func bigEndian(_ value: Int, width: Int) -> [UInt8] {
        (0..<width).map { UInt8(truncatingIfNeeded: value >> (8 * (width - 1 - $0))) }
    }

    /// Increments a big-endian counter in place (wrapping).
    static func increment(_ counter: inout [UInt8]) {
        var index = counter.count - 1
        while index >= 0 {
            counter[index] &+= 1
            if counter[index] != 0 { return }
            index -= 1
        }
    }
}
