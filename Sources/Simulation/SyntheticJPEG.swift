import Foundation

/// The one synthetic-JPEG builder of the simulated cards and the test kit (no real person's image anywhere):
/// - `make`: a tiny baseline JPEG encoder for synthetic portraits that decoders open (the simulated chip's DG2): one
///   grey level, 8-bit greyscale, JFIF. Every 8×8 block has the same DC value and no AC energy, so each block codes
///   as two one-bit Huffman symbols: a flat grey image whose headers are real (SOI, APP0 JFIF, DQT, SOF0, DHT, SOS,
///   EOI).
/// - `headers`: only what the station's checks parse (SOI, a frame header with the dimensions, comment padding to
///   an exact size, EOI): live portraits and chip portraits of test and sample applications, in any size.
public enum SyntheticJPEG {
    /// What fills the comment padding of `headers`.
    public enum Fill: Sendable {
        /// One byte repeated.
        case byte(UInt8)
        /// Deterministic incompressible bytes (`SyntheticBytes.seeded(_:seed:)`), like real image data.
        case seeded(Int)
        /// Fresh random bytes each time.
        case random
    }

    /// A `width`×`height` JPEG of exactly `size` bytes (at least the headers): SOI, APP0 JFIF when `jfif`, a frame
    /// header `sof` (SOF0 baseline by default; 3 components), comment segments of `fill` up to `size`, EOI. Not
    /// decodable (no scan): enough for `LivePortrait` and the intake's checks. With `commentFirst` the padding comes
    /// before the frame header.
    public static func headers(
        width: Int, height: Int, size: Int, fill: Fill = .random, jfif: Bool = false, sof: UInt8 = 0xC0,
        commentFirst: Bool = false
    ) -> Data {
        var head: [UInt8] = [0xFF, 0xD8]
        if jfif { head += segment(0xE0, Array("JFIF".utf8) + [0, 1, 1, 0, 0, 1, 0, 1, 0, 0]) }
        let frame: [UInt8] = [
            0xFF, sof, 0x00, 0x11, 0x08, UInt8(height >> 8 & 0xFF), UInt8(height & 0xFF), UInt8(width >> 8 & 0xFF),
            UInt8(width & 0xFF), 0x03, 0x01, 0x22, 0x00, 0x02, 0x11, 0x01, 0x03, 0x11, 0x01,
        ]
        var padding: [UInt8] = []
        var remaining = max(0, size - head.count - frame.count - 2)
        var seed = 0
        while remaining > 4 {
            let chunk = min(remaining - 4, 65_000)
            padding += [0xFF, 0xFE, UInt8((chunk + 2) >> 8), UInt8((chunk + 2) & 0xFF)]
            switch fill {
            case .byte(let value): padding += [UInt8](repeating: value, count: chunk)
            case .seeded(let base):
                padding += SyntheticBytes.seeded(chunk, seed: base &+ seed)
                seed += 1
            case .random: padding += SyntheticBytes.random(chunk)
            }
            remaining -= chunk + 4
        }
        return Data(head + (commentFirst ? padding + frame : frame + padding) + [0xFF, 0xD9])
    }

    /// The JPEG bytes of a `width`×`height` image of grey `level`, padded with a comment segment (COM) up to
    /// `totalSize` bytes when that is larger.
    public static func make(width: Int, height: Int, level: Int = 128, totalSize: Int? = nil) -> [UInt8] {
        var out: [UInt8] = [0xFF, 0xD8]
        // APP0 JFIF 1.01, no thumbnail, aspect 1:1.
        out += segment(0xE0, Array("JFIF".utf8) + [0x00, 0x01, 0x01, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00])
        // DQT: table 0, all ones (DC quantiser 1 keeps the level exact).
        out += segment(0xDB, [0x00] + [UInt8](repeating: 1, count: 64))
        // SOF0: precision 8, height, width, 1 component (id 1, sampling 1x1, quant table 0).
        out += segment(
            0xC0,
            [
                0x08, UInt8(height >> 8), UInt8(height & 0xFF), UInt8(width >> 8), UInt8(width & 0xFF),
                0x01, 0x01, 0x11, 0x00,
            ])
        // DHT DC table 0: one code of length 1 for the DC category of the first block's difference, and one for 0.
        let dcValue = (max(0, min(255, level)) - 128) * 8  // DC coefficient = 8 × (level − 128) for a flat block
        let category = dcValue == 0 ? 0 : (Int.bitWidth - abs(dcValue).leadingZeroBitCount)
        let dcSymbols: [UInt8] = category == 0 ? [0] : [0, UInt8(category)]
        // Canonical codes: "0" for category 0, "10" for the first block's category when it is not 0.
        var dcCounts = [UInt8](repeating: 0, count: 16)
        dcCounts[0] = 1
        if dcSymbols.count == 2 { dcCounts[1] = 1 }
        out += segment(0xC4, [0x00] + dcCounts + dcSymbols)
        // DHT AC table 0: only EOB (0x00), code "0".
        out += segment(0xC4, [0x10, 0x01] + [UInt8](repeating: 0, count: 15) + [0x00])
        let blocks = ((width + 7) / 8) * ((height + 7) / 8)
        var bits = BitWriter()
        for index in 0..<blocks {
            if index == 0 && category != 0 {
                bits.write(0b10, count: 2)
                let magnitude = dcValue > 0 ? dcValue : dcValue + (1 << category) - 1
                bits.write(magnitude, count: category)
            } else {
                bits.write(0, count: 1)  // DC difference 0
            }
            bits.write(0, count: 1)  // EOB
        }
        let scan = bits.finish()
        // COM padding (before SOS; decoders skip comments).
        let sos = segment(0xDA, [0x01, 0x01, 0x00, 0x00, 0x3F, 0x00])
        let fixed = out.count + sos.count + scan.count + 2
        if let totalSize {
            var fill = totalSize - fixed
            var filler = 0
            let text = Array("SYNTHETIC TEST IMAGE - NOT A PERSON. ".utf8)
            while fill > 4 {
                let chunk = min(fill, 65_537)
                out += segment(
                    0xFE,
                    (0..<(chunk - 4)).map { _ in
                        defer { filler += 1 }
                        return text[filler % text.count]
                    })
                fill -= chunk
            }
        }
        out += sos + scan + [0xFF, 0xD9]
        return out
    }

    private static func segment(_ marker: UInt8, _ payload: [UInt8]) -> [UInt8] {
        let length = payload.count + 2
        return [0xFF, marker, UInt8(length >> 8), UInt8(length & 0xFF)] + payload
    }

    /// MSB-first bit packing with 0xFF byte stuffing and 1-bit padding.
    private struct BitWriter {
        var bytes: [UInt8] = []
        var current = 0
        var used = 0

        mutating func write(_ value: Int, count: Int) {
            guard count > 0 else { return }
            for shift in stride(from: count - 1, through: 0, by: -1) {
                current = current << 1 | (value >> shift & 1)
                used += 1
                if used == 8 { flush() }
            }
        }

        private mutating func flush() {
            bytes.append(UInt8(current))
            if current == 0xFF { bytes.append(0x00) }
            current = 0
            used = 0
        }

        mutating func finish() -> [UInt8] {
            while used != 0 { write(1, count: 1) }
            return bytes
        }
    }
}

/// Stand-ins for image, WSQ and sealed bytes in simulated cards, sample applications and tests.
public enum SyntheticBytes {
    /// `count` deterministic, incompressible bytes (xorshift from `seed`).
    public static func seeded(_ count: Int, seed: Int) -> Data {
        var state = UInt64(truncatingIfNeeded: seed) &* 0x9E37_79B9_7F4A_7C15 | 1
        var data = [UInt8](repeating: 0, count: count)
        for i in 0..<count {
            state ^= state << 13
            state ^= state >> 7
            state ^= state << 17
            data[i] = UInt8(truncatingIfNeeded: state)
        }
        return Data(data)
    }

    /// `count` fresh random bytes (8 per generator call: per-byte calls are slow in debug builds).
    public static func random(_ count: Int) -> Data {
        var generator = SystemRandomNumberGenerator()
        var bytes = [UInt8](repeating: 0, count: count)
        bytes.withUnsafeMutableBytes { buffer in
            var offset = 0
            while offset < count {
                var word = generator.next()
                let n = min(8, count - offset)
                withUnsafeBytes(of: &word) {
                    buffer.baseAddress!.advanced(by: offset).copyMemory(from: $0.baseAddress!, byteCount: n)
                }
                offset += n
            }
        }
        return Data(bytes)
    }
}
