/// An Answer-To-Reset (ISO/IEC 7816-3), parsed into what a reader needs: the protocols the card offers, its
/// historical bytes and what they say about extended-length APDUs.
public struct ATR: Sendable, Hashable, CustomStringConvertible {
    /// The raw bytes.
    public let bytes: [UInt8]
    /// The initial character: `3B` direct or `3F` inverse convention.
    public let ts: UInt8
    /// Transmission protocols offered (T=0, T=1, T=15 for global bytes), each once, in order of appearance.
    public let protocols: [Int]
    /// `TA1` (Fi/Di) if present.
    public let ta1: UInt8?
    /// The historical bytes.
    public let historicalBytes: [UInt8]
    /// Whether a check byte TCK was present and correct (`nil`: none was required).
    public let checksumValid: Bool?
    /// The card capabilities from the historical bytes' compact-TLV tag `7x`, if present (ISO 7816-4 §12.1.1.9).
    public let cardCapabilities: [UInt8]?

    /// Parses an ATR; throws if the bytes end before the structure they announce.
    public init(_ bytes: [UInt8]) throws(APDUFormatError) {
        guard bytes.count >= 2 else { throw APDUFormatError("ATR shorter than TS and T0") }
        guard bytes[0] == 0x3B || bytes[0] == 0x3F else {
            throw APDUFormatError(String(format: "ATR initial character %02X is neither 3B nor 3F", bytes[0]))
        }
        self.bytes = bytes
        ts = bytes[0]
        let historicalCount = Int(bytes[1] & 0x0F)
        var y = bytes[1] >> 4
        var index = 2
        var protocols: [Int] = []
        var ta1: UInt8?
        var level = 1
        while true {
            for (mask, isTA) in [(UInt8(0x1), true), (0x2, false), (0x4, false)] where y & mask != 0 {
                guard index < bytes.count else { throw APDUFormatError("ATR ends inside interface bytes") }
                if isTA && level == 1 { ta1 = bytes[index] }
                index += 1
            }
            guard y & 0x8 != 0 else { break }
            guard index < bytes.count else { throw APDUFormatError("ATR ends before TD\(level)") }
            let td = bytes[index]
            index += 1
            if !protocols.contains(Int(td & 0x0F)) { protocols.append(Int(td & 0x0F)) }
            y = td >> 4
            level += 1
        }
        if protocols.isEmpty { protocols = [0] }
        guard index + historicalCount <= bytes.count else {
            throw APDUFormatError("ATR announces \(historicalCount) historical bytes but has \(bytes.count - index)")
        }
        historicalBytes = Array(bytes[index..<(index + historicalCount)])
        index += historicalCount
        if protocols.contains(where: { $0 != 0 }) {
            guard index < bytes.count else { throw APDUFormatError("ATR lacks its check byte TCK") }
            checksumValid = bytes[1...index].reduce(0, ^) == 0
            index += 1
        } else {
            checksumValid = nil
        }
        self.protocols = protocols
        self.ta1 = ta1
        cardCapabilities = Self.compactTLV(historicalBytes, tag: 0x7)
    }

    /// Whether the card says it accepts extended Lc/Le (card capabilities, third byte, bit b7).
    public var supportsExtendedLength: Bool {
        guard let caps = cardCapabilities, caps.count >= 3 else { return false }
        return caps[2] & 0x40 != 0
    }

    /// Finds a compact-TLV object in historical bytes whose category indicator is `80` (or `00` with status last).
    static func compactTLV(_ historical: [UInt8], tag: UInt8) -> [UInt8]? {
        guard let category = historical.first, category == 0x80 || category == 0x00 else { return nil }
        let end = category == 0x00 ? historical.count - 3 : historical.count
        var index = 1
        while index < end {
            let header = historical[index]
            let length = Int(header & 0x0F)
            guard index + 1 + length <= end else { return nil }
            if header >> 4 == tag { return Array(historical[(index + 1)..<(index + 1 + length)]) }
            index += 1 + length
        }
        return nil
    }

    /// The ATR in hex, which identifies a card model, not a person.
    public var description: String { bytes.hexString }
}

extension Array where Element == UInt8 {
    /// Upper-case hex with a space between bytes, e.g. `3B 80 80 01 01`.
    public var hexString: String { map { String(format: "%02X", $0) }.joined(separator: " ") }

    /// Parses hex with optional spaces or colons; `nil` if anything else is present or a digit is unpaired.
    public init?(hex: String) {
        let digits = hex.filter { !" :\n\t".contains($0) }
        guard digits.count % 2 == 0 else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(digits.count / 2)
        var index = digits.startIndex
        while index < digits.endIndex {
            let next = digits.index(index, offsetBy: 2)
            guard let byte = UInt8(digits[index..<next], radix: 16) else { return nil }
            out.append(byte)
            index = next
        }
        self = out
    }
}
