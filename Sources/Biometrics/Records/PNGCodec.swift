import CZlib

/// Minimal PNG (ISO/IEC 15948) for fingerprint images: writes 8-bit greyscale; reads 8-bit greyscale, grey+alpha,
/// RGB and RGBA non-interlaced images (all five filter types), returning the grey level (the first channel).
public enum PNGCodec {
    static let signature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]

    /// Encodes `image` as an 8-bit greyscale PNG with a pHYs chunk carrying its resolution.
    public static func encode(_ image: FingerprintImage) throws -> [UInt8] {
        var raw = [UInt8]()
        raw.reserveCapacity((image.width + 1) * image.height)
        for y in 0..<image.height {
            raw.append(0)
            raw.append(contentsOf: image.pixels[(y * image.width)..<((y + 1) * image.width)])
        }
        var out = signature
        var header = [UInt8]()
        header.appendBE32(UInt32(image.width))
        header.appendBE32(UInt32(image.height))
        header += [8, 0, 0, 0, 0]
        appendChunk("IHDR", header, to: &out)
        let pixelsPerMetre = UInt32((Double(image.resolutionPPI) / 0.0254).rounded())
        var physical = [UInt8]()
        physical.appendBE32(pixelsPerMetre)
        physical.appendBE32(pixelsPerMetre)
        physical.append(1)
        appendChunk("pHYs", physical, to: &out)
        appendChunk("IDAT", try deflate(raw), to: &out)
        appendChunk("IEND", [], to: &out)
        return out
    }

    /// Decodes a PNG into a grey image (first channel of colour images).
    public static func decode(_ data: [UInt8]) throws -> FingerprintImage {
        guard data.count > 8, Array(data.prefix(8)) == signature else { throw formatError("not a PNG") }
        var offset = 8
        var width = 0
        var height = 0
        var channels = 0
        var idat = [UInt8]()
        var ppi = 500
        while offset + 12 <= data.count {
            let length = Int(data.readBE32(at: offset))
            let type = String(decoding: data[(offset + 4)..<(offset + 8)], as: UTF8.self)
            let bodyStart = offset + 8
            guard bodyStart + length + 4 <= data.count else { throw formatError("truncated chunk \(type)") }
            let body = Array(data[bodyStart..<(bodyStart + length)])
            let crc = data.readBE32(at: bodyStart + length)
            guard crc == crc32(Array(type.utf8) + body) else { throw formatError("CRC mismatch in \(type)") }
            switch type {
            case "IHDR":
                guard body.count == 13 else { throw formatError("bad IHDR") }
                width = Int(body.readBE32(at: 0))
                height = Int(body.readBE32(at: 4))
                guard (1...16384).contains(width), (1...16384).contains(height) else {
                    throw formatError("PNG size \(width)x\(height) out of range")
                }
                guard body[8] == 8, body[10] == 0, body[11] == 0, body[12] == 0 else {
                    throw formatError("only 8-bit, non-interlaced PNGs are supported")
                }
                switch body[9] {
                case 0: channels = 1
                case 4: channels = 2
                case 2: channels = 3
                case 6: channels = 4
                default: throw formatError("unsupported PNG colour type \(body[9])")
                }
            case "pHYs":
                if body.count == 9, body[8] == 1 { ppi = Int((Double(body.readBE32(at: 0)) * 0.0254).rounded()) }
            case "IDAT":
                idat += body
            case "IEND":
                offset = data.count
                continue
            default:
                break
            }
            offset = bodyStart + length + 4
        }
        guard width > 0, height > 0, channels > 0 else { throw formatError("PNG without IHDR") }
        let stride = width * channels
        let raw = try inflate(idat, expected: (stride + 1) * height)
        guard raw.count == (stride + 1) * height else { throw formatError("PNG image data has the wrong size") }
        var previous = [UInt8](repeating: 0, count: stride)
        var grey = [UInt8]()
        grey.reserveCapacity(width * height)
        for y in 0..<height {
            let filter = raw[y * (stride + 1)]
            var line = Array(raw[(y * (stride + 1) + 1)..<((y + 1) * (stride + 1))])
            for i in 0..<stride {
                let a = i >= channels ? Int(line[i - channels]) : 0
                let b = Int(previous[i])
                let c = i >= channels ? Int(previous[i - channels]) : 0
                let predictor: Int
                switch filter {
                case 0: predictor = 0
                case 1: predictor = a
                case 2: predictor = b
                case 3: predictor = (a + b) / 2
                case 4:
                    let p = a + b - c
                    let pa = abs(p - a)
                    let pb = abs(p - b)
                    let pc = abs(p - c)
                    predictor = pa <= pb && pa <= pc ? a : (pb <= pc ? b : c)
                default: throw formatError("bad PNG filter \(filter)")
                }
                line[i] = line[i] &+ UInt8(predictor & 0xFF)
            }
            for x in 0..<width { grey.append(line[x * channels]) }
            previous = line
        }
        return FingerprintImage(width: width, height: height, pixels: grey, resolutionPPI: ppi)
    }

    // MARK: zlib

    static func deflate(_ input: [UInt8]) throws -> [UInt8] {
        var length = compressBound(uLong(input.count))
        var out = [UInt8](repeating: 0, count: Int(length))
        let rc = compress2(&out, &length, input, uLong(input.count), 6)
        guard rc == Z_OK else { throw formatError("zlib compress failed (\(rc))") }
        return Array(out.prefix(Int(length)))
    }

    static func inflate(_ input: [UInt8], expected: Int) throws -> [UInt8] {
        var length = uLong(expected)
        var out = [UInt8](repeating: 0, count: max(expected, 1))
        let rc = uncompress(&out, &length, input, uLong(input.count))
        guard rc == Z_OK else { throw formatError("zlib inflate failed (\(rc))") }
        return Array(out.prefix(Int(length)))
    }

    static func crc32(_ bytes: [UInt8]) -> UInt32 {
        UInt32(CZlib.crc32(0, bytes, uInt(bytes.count)))
    }

    private static func appendChunk(_ type: String, _ body: [UInt8], to out: inout [UInt8]) {
        out.appendBE32(UInt32(body.count))
        let typed = Array(type.utf8) + body
        out += typed
        out.appendBE32(crc32(typed))
    }

    private static func formatError(_ reason: String) -> BiometricError { BiometricError(.format, reason) }
}

/// Big- and little-endian fields at absolute offsets (callers check bounds): Biometrics' one byte reader
/// (ISO 19794-4 records, PNG chunks, pcapng captures).
extension Array where Element == UInt8 {
    mutating func appendBE16(_ value: UInt16) {
        append(UInt8(value >> 8))
        append(UInt8(value & 0xFF))
    }
    mutating func appendBE32(_ value: UInt32) {
        append(UInt8(value >> 24))
        append(UInt8(value >> 16 & 0xFF))
        append(UInt8(value >> 8 & 0xFF))
        append(UInt8(value & 0xFF))
    }
    func readBE16(at offset: Int) -> UInt16 { UInt16(self[offset]) << 8 | UInt16(self[offset + 1]) }
    func readBE32(at offset: Int) -> UInt32 {
        UInt32(self[offset]) << 24 | UInt32(self[offset + 1]) << 16
            | UInt32(self[offset + 2]) << 8 | UInt32(self[offset + 3])
    }
    /// The little-endian 16-bit value at `offset` (public for USBRecordings' pcapng reader).
    public func readLE16(at offset: Int) -> UInt16 { UInt16(self[offset]) | UInt16(self[offset + 1]) << 8 }
    /// The little-endian 32-bit value at `offset`.
    public func readLE32(at offset: Int) -> UInt32 {
        UInt32(self[offset]) | UInt32(self[offset + 1]) << 8 | UInt32(self[offset + 2]) << 16
            | UInt32(self[offset + 3]) << 24
    }
}
