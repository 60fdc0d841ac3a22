/// Bounds-checked big-endian reads from the front of a byte array: ChipID's one byte reader (for the fixed-layout
/// binary records inside TLV values, e.g. the ISO/IEC 19794-5 face records of DG2). Running past the end is a
/// `malformedFile` error.
struct ByteReader {
    let bytes: [UInt8]
    private(set) var offset = 0

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    mutating func take(_ count: Int) throws(ChipIDError) -> [UInt8] {
        guard count >= 0, count <= bytes.count - offset else {
            throw ChipIDError(.malformedFile, "record truncated")
        }
        defer { offset += count }
        return Array(bytes[offset..<(offset + count)])
    }

    mutating func uint(_ width: Int) throws(ChipIDError) -> Int {
        try take(width).reduce(0) { $0 << 8 | Int($1) }
    }
}
