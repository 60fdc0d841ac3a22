import Testing

@testable import ChipID

@Suite("LDS parsing: BSI TR-03105-5 reference files and synthetic CCCD files")
struct LDSTests {
    static let folder = "lds/bsi-tr03105-5"

    @Test("BSI EF.COM lists DG1, DG2, DG3, DG4, DG14")
    func bsiCOM() throws {
        guard let bytes = fixture(Self.folder, "EF_COM.bin") else { return }
        let com = try EFCOM(bytes)
        #expect(com.ldsVersion == "0107" && com.ldsVersionDotted == "1.7")
        #expect(com.unicodeVersion == "040000")
        #expect(com.dataGroups == [.dg(1), .dg(2), .dg(3), .dg(4), .dg(14)])
    }

    @Test("BSI DG1 gives the reference MRZ; its SHA-256 is the SOD's")
    func bsiDG1() throws {
        guard let bytes = fixture(Self.folder, "Datagroup1.bin") else { return }
        let dg1 = try DG1(bytes)
        #expect(
            dg1.mrz.lines == [
                "P<D<<MUSTERMANN<<ERIKA<<<<<<<<<<<<<<<<<<<<<<",
                "C11T002JM4D<<9608122F2310314<<<<<<<<<<<<<<<4",
            ])
        #expect(dg1.mrz.documentNumber == "C11T002JM")
        #expect(dg1.mrz.dateOfBirth == "960812" && dg1.mrz.dateOfExpiry == "231031" && dg1.mrz.sex == "F")
        #expect(dg1.mrz.primaryIdentifier == "MUSTERMANN" && dg1.mrz.secondaryIdentifier == "ERIKA")
        #expect(
            hexString(LDSFileBytes(file: .dg(1), bytes: bytes).sha256)
                == "4170CA879FCE6A22FFEF1567FF88079F415C66EAD250AB5F23781AC2CDBF42B6")
        guard let sod = fixture(Self.folder, "EF_SOD.bin") else { return }
        #expect(try TLV.parse(sod).0.tag == 0x77)
        #expect(sod.count == 1934)
        // The SOD carries DG1's hash.
        #expect(sod.firstRange(of: Hashing.sha256(bytes)) != nil)
    }

    @Test("BSI DG2: 15,083 bytes, one JPEG 2000 face 337×449")
    func bsiDG2() throws {
        guard let bytes = fixture(Self.folder, "Datagroup2.bin") else { return }
        #expect(bytes.count == 15_083)
        let dg2 = try DG2(bytes)
        #expect(dg2.faces.count == 1)
        #expect(dg2.face.encoding == .jpeg2000)
        #expect(dg2.face.width == 337 && dg2.face.height == 449)
        #expect(dg2.face.imageData.count == 14_999)
        #expect(Array(dg2.face.imageData.prefix(8)) == hex("0000000C6A502020"))
        #expect(Array(bytes.suffix(14_999)) == dg2.face.imageData)
        #expect(!dg2.description.contains("6A50"))
    }

    @Test("BSI DG14 SecurityInfos parse")
    func bsiDG14() throws {
        guard let bytes = fixture(Self.folder, "Datagroup14.bin") else { return }
        let infos = try SecurityInfos(der: bytes)
        #expect(infos.protocolOIDs.contains { $0.hasPrefix("0.4.0.127.0.7.2.2.3") })
        #expect(infos.protocolOIDs.contains { $0.hasPrefix("0.4.0.127.0.7.2.2.1") })
    }

    @Test("DG13: every field, both parent nestings, any field order")
    func dg13() throws {
        for bytes in [TestDataSet.dg13(), TestDataSet.dg13(flatParents: true), TestDataSet.dg13(fieldOrder: true)] {
            let info = try CitizenInfo(bytes)
            #expect(info.idNumber == "001099012345")
            #expect(info.fullName == "Nguyễn Văn A")
            #expect(info.dateOfBirth == "01/01/1999")
            #expect(info.sex == "Nam")
            #expect(info.nationality == "Việt Nam")
            #expect(info.ethnicity == "Kinh")
            #expect(info.religion == "Không")
            #expect(info.placeOfOrigin == "Xã Một, Huyện Hai, Tỉnh Ba")
            #expect(info.placeOfResidence == "Số 1, Phường X, Quận Y, Hà Nội")
            #expect(info.identifyingMarks == "Nốt ruồi C:1cm trên trước mép phải")
            #expect(info.dateOfIssue == "15/04/2021")
            #expect(info.dateOfExpiry == "01/01/2024")
            #expect(info.fatherName == "Nguyễn Văn B")
            #expect(info.motherName == "Trần Thị C")
            #expect(info.spouseName == nil)
            #expect(info.oldIDNumber == "123456789")
            #expect(info.field16Raw == TestDataSet.printable("0123456789ABCDEF"))
            #expect(!info.description.contains("Nguyễn"))
        }
        let forever = try CitizenInfo(TestDataSet.dg13(expiry: "Không thời hạn"))
        #expect(forever.hasNoExpiry)
    }

    @Test("DG1 × DG13 cross-check")
    func crossCheck() throws {
        let mrz = try DG1(TestDataSet.dg1).mrz
        #expect(DataMismatch.crossCheck(mrz: mrz, citizen: try CitizenInfo(TestDataSet.dg13())).isEmpty)
        let forever = try CitizenInfo(TestDataSet.dg13(expiry: "Không thời hạn"))
        let noExpiry = DataMismatch.crossCheck(mrz: mrz, citizen: forever)
        #expect(noExpiry.map(\.field) == [.dateOfExpiry])
        var other = try CitizenInfo(TestDataSet.dg13())
        other.idNumber = "001099012346"
        other.sex = "Nữ"
        other.dateOfBirth = "02/01/1999"
        #expect(Set(DataMismatch.crossCheck(mrz: mrz, citizen: other).map(\.field)) == [.idNumber, .sex, .dateOfBirth])
    }

    @Test("synthetic DG2 (JPEG), EF.COM and DG1")
    func synthetic() throws {
        let image = TestDataSet.jpeg(1_000)
        let dg2 = try DG2(TestDataSet.dg2(image: image, width: 300, height: 400))
        #expect(dg2.face.encoding == .jpeg && dg2.face.width == 300 && dg2.face.height == 400)
        #expect(dg2.face.imageData == image)
        #expect(try EFCOM(TestDataSet.com).dataGroups == [.dg(1), .dg(2), .dg(13), .dg(14), .dg(15)])
        #expect(try DG1(TestDataSet.dg1).mrz.citizenIDNumber == "001099012345")
    }

    @Test("TLV reader: multi-byte tags, 1–4-byte lengths, strict bounds")
    func tlv() throws {
        for length in [0, 5, 127, 128, 255, 256, 65_535, 65_536, 70_000] {
            let value = [UInt8](repeating: 0xAB, count: length)
            let encoded = TLV.encode(tag: 0x5F2E, value: value)
            let (object, end) = try TLV.parse(encoded)
            #expect(object.tag == 0x5F2E && object.value.count == length && end == encoded.count)
            #expect(try TLV.header(Array(encoded.prefix(6)))?.valueLength == length)
        }
        #expect(try TLV.parse(hex("7F6103020101")).0.tag == 0x7F61)
        #expect(try TLV.parse(hex("5F84800101AA")).0.tag == 0x5F84_8001)
        #expect(try TLV.parse(hex("0184000000020102")).0.value == [1, 2])
        for bad in ["5F", "61", "6105", "6181", "618280", "6180", "6185000000000001", "5F8080808001", "6102AA"] {
            #expect(throws: ChipIDError.self, "\(bad)") { try TLV.parse(hex(bad)) }
        }
        #expect(try TLV.header(hex("7F")) == nil)
        #expect(try TLV.header(hex("6182")) == nil)
        #expect(throws: ChipIDError.self) { try TLV.single(hex("6100AA"), expecting: 0x61, "x") }
        #expect(try ASN1.oidString(hex("04007F00070202040202")) == "0.4.0.127.0.7.2.2.4.2.2")
        #expect(ASN1.oidBytes("0.4.0.127.0.7.2.2.4.2.2") == hex("04007F00070202040202"))
        #expect(ASN1.oidBytes("1.0.10646.1.0.8") == hex("28D316010008"))
    }
}

extension Array where Element == UInt8 {
    func firstRange(of needle: [UInt8]) -> Range<Int>? {
        guard !needle.isEmpty, needle.count <= count else { return nil }
        for start in 0...(count - needle.count) where Array(self[start..<(start + needle.count)]) == needle {
            return start..<(start + needle.count)
        }
        return nil
    }
}
