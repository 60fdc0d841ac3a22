/// One BER-TLV data object (ISO/IEC 7816-4 / X.690): tags of 1–4 bytes, lengths of 1–5 bytes (short form or
/// `81`–`84` + 1–4 bytes), strict bounds. The one reader every ChipID parser uses.
public struct TLV: Sendable, Hashable {
    /// The tag bytes packed big-endian (e.g. `0x5F1F`, `0x7F61`).
    public var tag: UInt32
    /// The value bytes.
    public var value: [UInt8]

    /// Builds an object.
    public init(tag: UInt32, value: [UInt8]) {
        self.tag = tag
        self.value = value
    }

    /// Whether the tag's constructed bit (bit 6 of the first byte) is set.
    public var isConstructed: Bool { Self.firstByte(of: tag) & 0x20 != 0 }

    /// The full encoding `tag || length || value`.
    public var encoded: [UInt8] { Self.encode(tag: tag, value: value) }

    /// The nested objects of a constructed value.
    public func children() throws(ChipIDError) -> [TLV] {
        try TLV.sequence(value)
    }

    /// The first nested object with `tag`, or nil.
    public func child(_ tag: UInt32) throws(ChipIDError) -> TLV? {
        try children().first { $0.tag == tag }
    }

    /// The first nested object with `tag`, or a `malformedFile` error naming `what`.
    public func requiredChild(_ tag: UInt32, _ what: String) throws(ChipIDError) -> TLV {
        guard let found = try child(tag) else {
            throw ChipIDError(.malformedFile, "\(what): missing tag \(TLV.tagHex(tag))")
        }
        return found
    }

    // MARK: - Decoding

    /// The parsed header of an object at the start of some bytes.
    public struct Header: Sendable, Hashable {
        /// Packed tag.
        public var tag: UInt32
        /// Bytes taken by tag and length.
        public var headerLength: Int
        /// Value length the header announces.
        public var valueLength: Int
        /// `headerLength + valueLength`.
        public var totalLength: Int { headerLength + valueLength }
    }

    /// Parses the tag and length at `offset`. Returns nil when `bytes` ends inside the header (more bytes are
    /// needed), throws when the header is invalid. The value may extend past the end of `bytes`.
    public static func header(_ bytes: [UInt8], at offset: Int = 0) throws(ChipIDError) -> Header? {
        var index = offset
        guard index < bytes.count else { return nil }
        let first = bytes[index]
        var tag = UInt32(first)
        index += 1
        if first & 0x1F == 0x1F {
            var count = 1
            while true {
                guard index < bytes.count else { return nil }
                let next = bytes[index]
                index += 1
                count += 1
                guard count <= 4 else { throw ChipIDError(.malformedFile, "TLV tag longer than 4 bytes") }
                tag = tag << 8 | UInt32(next)
                if next & 0x80 == 0 { break }
            }
        }
        guard index < bytes.count else { return nil }
        let lengthByte = bytes[index]
        index += 1
        var length = 0
        if lengthByte < 0x80 {
            length = Int(lengthByte)
        } else {
            let count = Int(lengthByte & 0x7F)
            guard count >= 1, count <= 4 else {
                throw ChipIDError(.malformedFile, "TLV length form 0x\(Bytes.hex([lengthByte])) not allowed")
            }
            guard index + count <= bytes.count else { return nil }
            for _ in 0..<count {
                length = length << 8 | Int(bytes[index])
                index += 1
            }
        }
        return Header(tag: tag, headerLength: index - offset, valueLength: length)
    }

    /// Parses one object at `offset`; returns it and the offset after it. Throws when it is truncated or invalid.
    public static func parse(_ bytes: [UInt8], at offset: Int = 0) throws(ChipIDError) -> (TLV, Int) {
        guard let header = try header(bytes, at: offset) else {
            throw ChipIDError(.malformedFile, "TLV header truncated")
        }
        let start = offset + header.headerLength
        guard header.valueLength <= bytes.count - start else {
            throw ChipIDError(.malformedFile, "TLV length runs past the end of the data")
        }
        let end = start + header.valueLength
        return (TLV(tag: header.tag, value: Array(bytes[start..<end])), end)
    }

    /// Parses consecutive objects filling `bytes` exactly.
    public static func sequence(_ bytes: [UInt8]) throws(ChipIDError) -> [TLV] {
        var out: [TLV] = []
        var offset = 0
        while offset < bytes.count {
            let (object, next) = try parse(bytes, at: offset)
            out.append(object)
            offset = next
        }
        return out
    }

    /// Parses exactly one object with tag `expected` filling `bytes` (no trailing bytes).
    public static func single(_ bytes: [UInt8], expecting expected: UInt32, _ what: String) throws(ChipIDError) -> TLV {
        let (object, end) = try parse(bytes)
        guard object.tag == expected else {
            throw ChipIDError(.malformedFile, "\(what): tag \(tagHex(object.tag)) where \(tagHex(expected)) expected")
        }
        guard end == bytes.count else { throw ChipIDError(.malformedFile, "\(what): trailing bytes after the object") }
        return object
    }

    // MARK: - Encoding

    /// Encodes `tag || length || value` (definite length, shortest form).
    public static func encode(tag: UInt32, value: [UInt8]) -> [UInt8] {
        tagBytes(tag) + encodeLength(value.count) + value
    }

    /// The definite-length encoding of `length`.
    public static func encodeLength(_ length: Int) -> [UInt8] {
        switch length {
        case ..<0x80: [UInt8(length)]
        case ..<0x100: [0x81, UInt8(length)]
        case ..<0x1_0000: [0x82, UInt8(length >> 8), UInt8(length & 0xFF)]
        case ..<0x100_0000: [0x83, UInt8(length >> 16), UInt8(length >> 8 & 0xFF), UInt8(length & 0xFF)]
        default: [0x84] + Bytes.bigEndian(length, width: 4)
        }
    }

    /// The bytes of a packed tag.
    public static func tagBytes(_ tag: UInt32) -> [UInt8] {
        var bytes: [UInt8] = []
        var rest = tag
        repeat {
            bytes.insert(UInt8(rest & 0xFF), at: 0)
            rest >>= 8
        } while rest != 0
        return bytes
    }

    /// Hex of a tag for messages.
    public static func tagHex(_ tag: UInt32) -> String { Bytes.hex(tagBytes(tag)) }

    private static func firstByte(of tag: UInt32) -> UInt8 { tagBytes(tag)[0] }
}

/// ASN.1 helpers on top of `TLV` (DER OIDs and small integers).
public enum ASN1 {
    /// Dotted text of an OBJECT IDENTIFIER's content bytes.
    public static func oidString(_ content: [UInt8]) throws(ChipIDError) -> String {
        guard !content.isEmpty, content.last! & 0x80 == 0 else {
            throw ChipIDError(.malformedFile, "OBJECT IDENTIFIER encoding truncated")
        }
        var arcs: [UInt64] = []
        var current: UInt64 = 0
        var digits = 0
        for byte in content {
            current = current << 7 | UInt64(byte & 0x7F)
            digits += 1
            guard digits <= 9 else { throw ChipIDError(.malformedFile, "OBJECT IDENTIFIER arc too large") }
            if byte & 0x80 == 0 {
                arcs.append(current)
                current = 0
                digits = 0
            }
        }
        let first = arcs[0]
        let head: [UInt64] = first < 40 ? [0, first] : first < 80 ? [1, first - 40] : [2, first - 80]
        return (head + arcs.dropFirst()).map(String.init).joined(separator: ".")
    }

    /// Content bytes of an OBJECT IDENTIFIER from dotted text.
    public static func oidBytes(_ dotted: String) -> [UInt8] {
        let arcs = dotted.split(separator: ".").compactMap { UInt64($0) }
        guard arcs.count >= 2 else { return [] }
        var out: [UInt8] = []
        for (index, arc) in ([arcs[0] * 40 + arcs[1]] + arcs.dropFirst(2)).enumerated() {
            _ = index
            var chunk: [UInt8] = [UInt8(arc & 0x7F)]
            var rest = arc >> 7
            while rest > 0 {
                chunk.insert(UInt8(rest & 0x7F) | 0x80, at: 0)
                rest >>= 7
            }
            out += chunk
        }
        return out
    }

    /// A small non-negative INTEGER's value.
    static func smallInt(_ content: [UInt8]) throws(ChipIDError) -> Int {
        guard !content.isEmpty, content.count <= 4, content[0] & 0x80 == 0 else {
            throw ChipIDError(.malformedFile, "INTEGER empty, negative or too large")
        }
        return content.reduce(0) { $0 << 8 | Int($1) }
    }
}
