import Foundation

@testable import ChipID

/// Synthetic CCCD files (a made-up person, CCCD-CHIP.md §2/§3 layout), built with the library's own TLV encoder.
enum TestDataSet {
    static func tlv(_ tag: UInt32, _ value: [UInt8]) -> [UInt8] { TLV.encode(tag: tag, value: value) }
    static func utf8(_ text: String) -> [UInt8] { tlv(0x0C, Array(text.utf8)) }
    static func printable(_ text: String) -> [UInt8] { tlv(0x13, Array(text.utf8)) }
    static func field(_ number: UInt8, _ value: [UInt8]) -> [UInt8] { tlv(0x30, [0x02, 0x01, number] + value) }

    static let com = tlv(
        0x60,
        tlv(0x5F01, Array("0107".utf8)) + tlv(0x5F36, Array("040000".utf8))
            + tlv(0x5C, [0x61, 0x75, 0x6D, 0x6E, 0x6F]))

    static let dg1 = tlv(0x61, tlv(0x5F1F, Array(TestCCCD.mrzText.replacingNewlines().utf8)))

    /// DG13 with the two-sub-SEQUENCE parents nesting seen on real cards (or one SEQUENCE when `flatParents`).
    static func dg13(flatParents: Bool = false, expiry: String = "01/01/2024", fieldOrder reversed: Bool = false)
        -> [UInt8]
    {
        let parents =
            flatParents
            ? tlv(0x30, utf8("Nguyễn Văn B") + utf8("Trần Thị C"))
            : tlv(0x30, utf8("Nguyễn Văn B")) + tlv(0x30, utf8("Trần Thị C"))
        var fields: [[UInt8]] = [
            field(1, printable("001099012345")), field(2, utf8("Nguyễn Văn A")), field(3, printable("01/01/1999")),
            field(4, utf8("Nam")), field(5, utf8("Việt Nam")), field(6, utf8("Kinh")), field(7, utf8("Không")),
            field(8, utf8("Xã Một, Huyện Hai, Tỉnh Ba")), field(9, utf8("Số 1, Phường X, Quận Y, Hà Nội")),
            field(10, utf8("Nốt ruồi C:1cm trên trước mép phải")), field(11, printable("15/04/2021")),
            field(12, utf8(expiry)), field(13, parents), tlv(0x30, [0x02, 0x01, 0x0E]),
            field(15, printable("123456789")), field(16, printable("0123456789ABCDEF")),
        ]
        if reversed { fields.reverse() }
        let set = tlv(0x31, fields.flatMap { $0 })
        return tlv(0x6D, tlv(0x30, [0x02, 0x01, 0x01] + tlv(0x06, [0x28, 0xD3, 0x16, 0x01, 0x00, 0x08]) + set))
    }

    /// An ISO 19794-5 DG2 around `image` (JPEG when `jpeg2000` is false).
    static func dg2(image: [UInt8], width: Int = 480, height: Int = 640, jpeg2000: Bool = false) -> [UInt8] {
        let blockLength = 20 + 12 + image.count
        var record = Array("FAC".utf8) + [0] + Array("010".utf8) + [0]
        record += Bytes.bigEndian(14 + blockLength, width: 4) + [0x00, 0x01]
        record += Bytes.bigEndian(blockLength, width: 4) + [0x00, 0x00] + [UInt8](repeating: 0, count: 14)
        record += [0x01, jpeg2000 ? 0x01 : 0x00] + Bytes.bigEndian(width, width: 2) + Bytes.bigEndian(height, width: 2)
        record += [UInt8](repeating: 0, count: 6) + image
        let header = tlv(0xA1, tlv(0x81, [0x02]) + tlv(0x87, [0x01, 0x01]) + tlv(0x88, [0x00, 0x08]))
        return tlv(0x75, tlv(0x7F61, [0x02, 0x01, 0x01] + tlv(0x7F60, header + tlv(0x5F2E, record))))
    }

    static func jpeg(_ count: Int) -> [UInt8] {
        [0xFF, 0xD8, 0xFF, 0xE0] + (0..<(count - 6)).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) } + [0xFF, 0xD9]
    }

    static let cardAccess = hex(
        "3134300d060804007f0007020202020101300f060a04007f000702020302020201013012"
            + "060a04007f0007020204020202010202010d")

    /// The file set of a synthetic CCCD.
    static func files(imageSize: Int = 6_000) -> [LDSFile: [UInt8]] {
        [
            .com: com, .dg(1): dg1, .dg(2): dg2(image: jpeg(imageSize)), .dg(13): dg13(),
            .dg(14): tlv(0x6E, cardAccess), .dg(15): tlv(0x6F, [UInt8](repeating: 0x42, count: 290)),
            .sod: tlv(0x77, (0..<1_500).map { UInt8(truncatingIfNeeded: $0) }),
        ]
    }
}

extension String {
    func replacingNewlines() -> String { split(separator: "\n").joined() }
}
