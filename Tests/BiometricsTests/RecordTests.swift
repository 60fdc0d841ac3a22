import Foundation
import Testing

@testable import Biometrics

@Suite struct RecordTests {
    static let image: FingerprintImage = {
        var random = SplitMix64(seed: 42)
        let pixels = (0..<(64 * 48)).map { i in UInt8(truncatingIfNeeded: (i % 64) * 3 + Int(random.next() % 17)) }
        return FingerprintImage(width: 64, height: 48, pixels: pixels, resolutionPPI: 500)
    }()

    static let date = Date(timeIntervalSince1970: 1_795_000_000.250)  // 2026-11-18 …:40.250 UTC

    @Test func iso2005HeaderMatchesStandardLayout() throws {
        let record = try RecordBuilder.record(
            for: Self.image, finger: .rightIndex, quality: 77, edition: .iso2005,
            compression: .raw, deviceTypeID: 0x0ABC)
        let bytes = try record.encoded()
        #expect(bytes.count == 32 + 14 + 64 * 48)
        #expect(Array(bytes[0..<8]) == [0x46, 0x49, 0x52, 0x00, 0x30, 0x31, 0x30, 0x00])  // "FIR\0" "010\0"
        // Record length: 6 bytes big-endian.
        #expect(Array(bytes[8..<14]) == [0, 0, 0, 0, UInt8((bytes.count >> 8) & 0xFF), UInt8(bytes.count & 0xFF)])
        #expect(Array(bytes[14..<16]) == [0x0A, 0xBC])  // capture device id
        #expect(Array(bytes[16..<18]) == [0x00, 31])  // acquisition level 31
        #expect(bytes[18] == 1 && bytes[19] == 1)  // one finger, pixels per inch
        #expect(Array(bytes[20..<28]) == [0x01, 0xF4, 0x01, 0xF4, 0x01, 0xF4, 0x01, 0xF4])  // 500 ppi ×4
        #expect(bytes[28] == 8 && bytes[29] == 0)  // 8 bits, uncompressed
        #expect(bytes[30] == 0 && bytes[31] == 0)  // reserved
        // Finger view header (14 bytes).
        let viewLength = 14 + 64 * 48
        #expect(Array(bytes[32..<36]) == [0, 0, UInt8(viewLength >> 8), UInt8(viewLength & 0xFF)])
        #expect(Array(bytes[36..<41]) == [2, 1, 1, 77, 0])  // right index, 1 view, view 1, quality 77, live plain
        #expect(Array(bytes[41..<46]) == [0, 64, 0, 48, 0])  // width, height, reserved
        #expect(Array(bytes[46...]) == Self.image.pixels)
    }

    @Test func iso2011HeaderMatchesStandardLayout() throws {
        let record = try RecordBuilder.record(
            for: Self.image, finger: .leftThumb, quality: 63, edition: .iso2011,
            compression: .raw, deviceVendorID: 0x1234, deviceTypeID: 0x5678,
            deviceTechnology: 1, captureDate: Self.date)
        let bytes = try record.encoded()
        let representation = 4 + 9 + 1 + 2 + 2 + 1 + 5 + 1 + 1 + 1 + 8 + 1 + 1 + 1 + 2 + 2 + 4 + 64 * 48
        #expect(bytes.count == 16 + representation)
        #expect(Array(bytes[0..<8]) == [0x46, 0x49, 0x52, 0x00, 0x30, 0x32, 0x30, 0x00])  // "FIR\0" "020\0"
        #expect(Array(bytes[8..<12]) == [0, 0, UInt8(bytes.count >> 8), UInt8(bytes.count & 0xFF)])
        #expect(Array(bytes[12..<16]) == [0, 1, 0, 1])  // 1 representation, no certification, 1 position
        #expect(Array(bytes[16..<20]) == [0, 0, UInt8(representation >> 8), UInt8(representation & 0xFF)])
        // Capture date/time: 2026-11-18 (year 0x07EA), time from the epoch value, milliseconds 250.
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let c = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: Self.date)
        #expect(
            Array(bytes[20..<29]) == [
                0x07, 0xEA, UInt8(c.month!), UInt8(c.day!), UInt8(c.hour!),
                UInt8(c.minute!), UInt8(c.second!), 0x00, 0xFA,
            ])
        #expect(bytes[29] == 1)  // technology
        #expect(Array(bytes[30..<34]) == [0x12, 0x34, 0x56, 0x78])  // vendor, type
        #expect(Array(bytes[34..<40]) == [1, 63, 0, 0, 0, 1])  // one quality block: score, vendor 0, algorithm 1
        #expect(Array(bytes[40..<43]) == [6, 1, 1])  // left thumb, representation 1, ppi
        #expect(Array(bytes[43..<51]) == [0x01, 0xF4, 0x01, 0xF4, 0x01, 0xF4, 0x01, 0xF4])
        #expect(Array(bytes[51..<54]) == [8, 0, 0])  // 8 bit, raw, live-scan plain
        #expect(Array(bytes[54..<58]) == [0, 64, 0, 48])
        #expect(Array(bytes[58..<62]) == [0, 0, 0x0C, 0x00])  // 3072 image bytes
    }

    @Test(
        arguments: [FingerImageRecord.Edition.iso2005, .iso2011],
        [FingerImageCompression.raw, .png, .jpeg2000Lossless])
    func roundTrip(edition: FingerImageRecord.Edition, compression: FingerImageCompression) throws {
        let record = try RecordBuilder.record(
            for: Self.image, finger: .rightMiddle, quality: 55, edition: edition,
            compression: compression, captureDate: Self.date)
        let bytes = try record.encoded()
        let parsed = try FingerImageRecord(decoding: bytes)
        #expect(parsed.edition == edition)
        #expect(parsed.compression == compression)
        #expect(parsed.views.count == 1)
        #expect(parsed.views[0].position == .rightMiddle)
        #expect(parsed.views[0].quality == 55)
        #expect(parsed.views[0].width == 64 && parsed.views[0].height == 48)
        #expect(parsed.resolutionPPI == 500)
        #expect(try parsed.image().pixels == Self.image.pixels)
        #expect(try parsed.encoded() == bytes)
        // No image bytes in descriptions (logs): the default description would list them.
        let leaked = parsed.views[0].imageData.prefix(6).map(String.init).joined(separator: ", ")
        #expect(!"\(parsed)".contains(leaked))
        if edition == .iso2011 { #expect(parsed.views[0].captureDate == Self.date) }
        // A truncated record is refused, not mis-read.
        #expect(throws: BiometricError.self) { try FingerImageRecord(decoding: Array(bytes.dropLast(3))) }
    }

    @Test func acquisitionLevelFollowsResolution() {
        #expect(RecordBuilder.acquisitionLevel(ppi: 500) == 31)
        #expect(RecordBuilder.acquisitionLevel(ppi: 385) == 20)  // NB-1010: below the 500 ppi levels
        #expect(RecordBuilder.acquisitionLevel(ppi: 1000) == 41)
    }

    @Test func compressionCodesDifferByEdition() {
        #expect(FingerImageCompression.jpeg2000Lossless.code(for: .iso2005) == 4)
        #expect(FingerImageCompression.jpeg2000Lossless.code(for: .iso2011) == 5)
        #expect(FingerImageCompression.png.code(for: .iso2005) == 5)
        #expect(FingerImageCompression.png.code(for: .iso2011) == 6)
    }

    @Test func jpeg2000LosslessDecodesToSamePixels() throws {
        let image = SyntheticFingerprint(width: 192, height: 160).generate(.good, seed: 9)
        let jp2 = try JPEG2000Codec.encodeLossless(image)
        // JP2 signature box, then a real compression gain on a fingerprint.
        #expect(Array(jp2[0..<12]) == [0, 0, 0, 0x0C, 0x6A, 0x50, 0x20, 0x20, 0x0D, 0x0A, 0x87, 0x0A])
        #expect(jp2.count < image.pixels.count)
        let decoded = try JPEG2000Codec.decode(jp2)
        #expect(decoded.width == image.width && decoded.height == image.height)
        #expect(decoded.pixels == image.pixels)
        #expect(throws: BiometricError.self) { try JPEG2000Codec.decode(Array(jp2.prefix(40))) }
    }

    @Test func pngRoundTripAndCRCCheck() throws {
        var png = try PNGCodec.encode(Self.image)
        #expect(try PNGCodec.decode(png) == Self.image)
        png[png.count / 2] ^= 0xFF  // corrupt IDAT: CRC must catch it
        #expect(throws: BiometricError.self) { try PNGCodec.decode(png) }
    }
}
