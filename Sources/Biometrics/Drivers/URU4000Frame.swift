/// The U.are.U 4000/4500 bulk frame: a 64-byte header, then up to 290 rows of 384 bytes, in blocks that may be
/// obfuscated with a 32-bit LFSR key stream (CVE-2019-13604: weak, but it must be undone to get the image).
///
/// Header: bytes 4–5 number of rows (LE16), byte 6 key number, bytes 16–45 fifteen (flags, rows) block entries.
/// Block flags: 0x80 change key, 0x04 no key update, 0x02 obfuscated, 0x01 rows not present in the data.
public struct URU4000Frame: Sendable, CustomStringConvertible {
    /// Sensor geometry.
    public static let width = 384
    /// Sensor geometry.
    public static let height = 290
    /// Bytes requested from the bulk endpoint: header + full image.
    public static let transferLength = 64 + width * height
    /// Below this variance of the first two rows a frame of a non-encrypting model is taken as clear.
    public static let clearVarianceThreshold = 5000

    /// One block entry of the header.
    public struct Block: Sendable, Hashable {
        /// Flags byte.
        public var flags: UInt8
        /// Number of rows.
        public var rows: Int
        /// Key must be changed before this block.
        public var changesKey: Bool { flags & 0x80 != 0 }
        /// Block is obfuscated.
        public var encrypted: Bool { flags & 0x02 != 0 }
        /// Key stream is not advanced over this block.
        public var noKeyUpdate: Bool { flags & 0x04 != 0 }
        /// Rows are not in the data (repeat the previous rows).
        public var notPresent: Bool { flags & 0x01 != 0 }
    }

    /// Rows announced by the header.
    public var rowCount: Int
    /// Key number the device used for the first block.
    public var keyNumber: UInt8
    /// Block table (stops at the first zero-row entry).
    public var blocks: [Block]
    /// Image rows as received (row-major, 384 bytes each).
    public var data: [UInt8]

    /// Header facts only: never the image bytes.
    public var description: String { "URU4000Frame(\(rowCount) rows, key #\(keyNumber), \(blocks.count) blocks)" }

    /// Parses a bulk transfer. Throws when the header and the length disagree.
    public init(_ bytes: [UInt8]) throws {
        guard bytes.count >= 64 else { throw BiometricError(.protocolError, "U.are.U frame shorter than its header") }
        rowCount = Int(bytes[4]) | Int(bytes[5]) << 8
        keyNumber = bytes[6]
        guard rowCount < Self.height, bytes.count >= rowCount * Self.width + 64 else {
            throw BiometricError(
                .protocolError, "U.are.U frame announces \(rowCount) rows but carries \(bytes.count) bytes")
        }
        var blocks: [Block] = []
        for i in 0..<15 {
            let block = Block(flags: bytes[16 + 2 * i], rows: Int(bytes[17 + 2 * i]))
            blocks.append(block)
        }
        self.blocks = blocks
        var data = Array(bytes[64...])
        if data.count < Self.width * Self.height {
            data.append(contentsOf: repeatElement(0, count: Self.width * Self.height - data.count))
        }
        self.data = Array(data.prefix(Self.width * Self.height))
    }

    /// Variance measure of the first two present rows (libfprint's heuristic for "is this frame obfuscated").
    public var firstRowsVariance: Int {
        var rows: [Int] = []
        var row = 0
        for block in blocks where rows.count < 2 {
            if block.notPresent { continue }
            for _ in 0..<block.rows where rows.count < 2 {
                rows.append(row)
                row += 1
            }
        }
        guard rows.count == 2 else { return 0 }
        let a = rows[0] * Self.width
        let b = rows[1] * Self.width
        var mean = 0
        for i in 0..<Self.width { mean += Int(data[a + i]) + Int(data[b + i]) }
        mean /= Self.width
        var sum = 0
        for i in 0..<Self.width {
            let d = Int(data[a + i]) + Int(data[b + i]) - mean
            sum += d * d
        }
        return sum / Self.width
    }

    /// One step of the key LFSR: taps 0x9248144d, shift right, parity becomes the new top bit.
    public static func nextKey(_ key: UInt32) -> UInt32 {
        var bit = key & 0x9248_144D
        bit ^= bit << 16
        bit ^= bit << 8
        bit ^= bit << 4
        bit ^= bit << 2
        bit ^= bit << 1
        return (bit & 0x8000_0000) | (key >> 1)
    }

    /// The XOR byte a key yields: key bits 4, 8, 11, 14, 18, 21, 24, 29 become bits 0–7.
    public static func xorByte(_ key: UInt32) -> UInt8 {
        let taps: [UInt32] = [4, 8, 11, 14, 18, 21, 24, 29]
        var byte: UInt8 = 0
        for (i, tap) in taps.enumerated() { byte |= UInt8((key >> tap) & 1) << UInt8(i) }
        return byte
    }

    /// Undoes the obfuscation of `count` bytes at `offset` in place: each byte is the next one XOR the key stream
    /// (a one-byte shift), the last is zero. Returns the key after the block.
    static func decode(_ data: inout [UInt8], offset: Int, count: Int, key: UInt32) -> UInt32 {
        var key = key
        guard count > 0 else { return key }
        for i in offset..<(offset + count - 1) {
            let xor = xorByte(key)
            key = nextKey(key)
            data[i] = data[i + 1] ^ xor
        }
        data[offset + count - 1] = 0
        return nextKey(key)
    }

    /// Decodes the frame into the raw sensor image (not yet inverted or flipped).
    ///
    /// - Parameters:
    ///   - alwaysEncrypted: the model always obfuscates (4000B); otherwise the variance heuristic decides.
    ///   - frameKey: asks the device for the key of key number `n` (the driver writes the key index and its seed,
    ///     reads the device key and returns it XOR the seed).
    public mutating func decode(
        alwaysEncrypted: Bool,
        frameKey: (UInt8) async throws -> UInt32
    ) async throws -> FingerprintImage {
        if alwaysEncrypted || firstRowsVariance >= Self.clearVarianceThreshold {
            var key = try await frameKey(keyNumber)
            var rowsDone = 0
            var index = 0
            while index < blocks.count && rowsDone < rowCount {
                let block = blocks[index]
                if block.rows == 0 { break }
                if block.changesKey {
                    blocks[index].flags &= ~0x80
                    keyNumber &+= 1
                    key = try await frameKey(keyNumber)
                    continue
                }
                let offset = rowsDone * Self.width
                let count = min(block.rows * Self.width, data.count - offset)
                if block.encrypted && !block.noKeyUpdate {
                    key = Self.decode(&data, offset: offset, count: count, key: key)
                } else if !block.encrypted && !block.noKeyUpdate {
                    for _ in 0..<(block.rows * Self.width) { key = Self.nextKey(key) }
                }
                if !block.notPresent { rowsDone += block.rows }
                index += 1
            }
        }
        return assemble()
    }

    /// Lays the blocks out into a full 384×290 image (rows of absent blocks repeat the data at that point).
    func assemble() -> FingerprintImage {
        var pixels = [UInt8](repeating: 0, count: Self.width * Self.height)
        var to = 0
        var row = 0
        for block in blocks {
            if row >= rowCount || block.rows == 0 { break }
            let count = block.rows * Self.width
            let from = row * Self.width
            let n = max(0, min(count, pixels.count - to, data.count - from))
            if n > 0 { pixels.replaceSubrange(to..<(to + n), with: data[from..<(from + n)]) }
            if !block.notPresent { row += block.rows }
            to += count
        }
        return FingerprintImage(width: Self.width, height: Self.height, pixels: pixels)
    }
}
