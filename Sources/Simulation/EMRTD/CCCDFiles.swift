import ChipID
import Foundation

/// Builds a simulated CCCD's LDS files from a `CitizenDataSet`: EF.COM, DG1 (TD1 MRZ), DG2 (ISO 19794-5 face
/// record around a generated JPEG), DG3 (present, EAC-protected), DG13 (CCCD-CHIP.md §3), DG14 (CA infos and a
/// CA public key), DG15 (the test AA public key) and EF.SOD signed by the test document signer.
public enum CCCDFiles {
    /// The data groups a CCCD lists in EF.COM.
    public static let dataGroups = [1, 2, 3, 13, 14, 15]

    /// Every file, EF.SOD included (signed with `signer`).
    public static func build(
        _ citizen: CitizenDataSet, signer: DocumentSigner,
        activeAuthenticationKey: [UInt8], dg14: [UInt8]? = nil
    ) throws -> [LDSFile: [UInt8]] {
        var files: [LDSFile: [UInt8]] = [
            .com: com(dataGroups: dataGroups),
            .dg(1): dg1(mrz: CCCDMRZ.lines(for: citizen).joined()),
            .dg(2): dg2(
                image: portrait(citizen), width: citizen.photo?.width ?? 240,
                height: citizen.photo?.height ?? 320),
            .dg(3): tlv(0x63, tlv(0x7F61, [0x02, 0x01, 0x00])),
            .dg(13): dg13(citizen),
            .dg(14): try dg14 ?? Self.dg14(seed: citizen.idNumber),
            .dg(15): dg15(activeAuthenticationKey),
        ]
        let hashed = files.compactMap { file, bytes -> (Int, [UInt8])? in
            if case .dg(let n) = file { return (n, bytes) }
            return nil
        }
        files[.sod] = try SODBuilder.sod(dataGroups: hashed, signer: signer)
        return files
    }

    /// The generated portrait for a citizen.
    public static func portrait(_ citizen: CitizenDataSet) -> [UInt8] {
        let photo = citizen.photo
        return SyntheticJPEG.make(
            width: photo?.width ?? 240, height: photo?.height ?? 320,
            level: photo?.gray ?? 128, totalSize: photo?.bytes)
    }

    static func tlv(_ tag: UInt32, _ value: [UInt8]) -> [UInt8] { TLV.encode(tag: tag, value: value) }

    /// EF.COM: LDS 1.7, Unicode 4.0.0, the data groups' tags.
    public static func com(dataGroups: [Int]) -> [UInt8] {
        let tags = dataGroups.compactMap { LDSFile.dg($0).tag.map { UInt8($0) } }
        return tlv(0x60, tlv(0x5F01, Array("0107".utf8)) + tlv(0x5F36, Array("040000".utf8)) + tlv(0x5C, tags))
    }

    /// DG1 around MRZ text (90 characters TD1, 88 TD3).
    public static func dg1(mrz: String) -> [UInt8] { tlv(0x61, tlv(0x5F1F, Array(mrz.utf8))) }

    /// DG2: `75 { 7F61 { 02 01 01, 7F60 { A1 header, 5F2E ISO 19794-5 record } } }` with a JPEG image.
    public static func dg2(image: [UInt8], width: Int, height: Int) -> [UInt8] {
        let blockLength = 20 + 12 + image.count
        var record = Array("FAC".utf8) + [0] + Array("010".utf8) + [0]
        record += bigEndian(14 + blockLength, 4) + [0x00, 0x01]
        // Facial information: block length, 0 feature points, gender, eye, hair, mask, expression, pose, uncertainty.
        record += bigEndian(blockLength, 4) + [0x00, 0x00] + [UInt8](repeating: 0, count: 14)
        // Image information: full frontal, JPEG, size, colour space (grey = 3 not in 2005; 0 unspecified), source
        // 02 (digital still), device type, quality.
        record += [0x01, 0x00] + bigEndian(width, 2) + bigEndian(height, 2) + [0x00, 0x02, 0x00, 0x00, 0x00, 0x00]
        record += image
        let header = tlv(
            0xA1,
            tlv(0x81, [0x02]) + tlv(0x82, [0x00]) + tlv(0x87, [0x01, 0x01])
                + tlv(0x88, [0x00, 0x08]))
        return tlv(0x75, tlv(0x7F61, [0x02, 0x01, 0x01] + tlv(0x7F60, header + tlv(0x5F2E, record))))
    }

    /// DG13 as on real cards: `6D { 30 { 02 01 01, 06 UTF-8 OID, 31 { 30 { 02 01 n, value }… } } }`, the parents
    /// as two sub-SEQUENCEs, the spouse in a SEQUENCE (empty when none), field 15 only when there is an old ID.
    public static func dg13(_ citizen: CitizenDataSet) -> [UInt8] {
        func utf8(_ text: String) -> [UInt8] { tlv(0x0C, Array(text.utf8)) }
        func printable(_ text: String) -> [UInt8] { tlv(0x13, Array(text.utf8)) }
        func field(_ number: UInt8, _ value: [UInt8]) -> [UInt8] { tlv(0x30, [0x02, 0x01, number] + value) }
        var fields: [[UInt8]] = [
            field(1, printable(citizen.idNumber)), field(2, utf8(citizen.fullName)),
            field(3, printable(citizen.dateOfBirthText)), field(4, utf8(citizen.sexText)),
            field(5, utf8(citizen.nationality ?? "Việt Nam")), field(6, utf8(citizen.ethnicity ?? "Kinh")),
            field(7, utf8(citizen.religion ?? "Không")), field(8, utf8(citizen.placeOfOrigin ?? "")),
            field(9, utf8(citizen.placeOfResidence ?? "")), field(10, utf8(citizen.identifyingMarks ?? "")),
            field(11, printable(citizen.dateOfIssueText)), field(12, utf8(citizen.dateOfExpiryText)),
            field(13, tlv(0x30, utf8(citizen.fatherName ?? "")) + tlv(0x30, utf8(citizen.motherName ?? ""))),
            field(14, citizen.spouseName.map { tlv(0x30, utf8($0)) } ?? []),
        ]
        if let old = citizen.oldIDNumber { fields.append(field(15, printable(old))) }
        if let field16 = citizen.field16 { fields.append(field(16, printable(field16))) }
        let set = tlv(0x31, fields.flatMap { $0 })
        return tlv(0x6D, tlv(0x30, [0x02, 0x01, 0x01] + tlv(0x06, [0x28, 0xD3, 0x16, 0x01, 0x00, 0x08]) + set))
    }

    /// DG14 with a PACEInfo (PACE-ECDH-GM-AES-128, brainpoolP256r1) and nothing for Chip Authentication: a reader
    /// falls back to Active Authentication.
    public static var dg14WithoutChipAuthentication: [UInt8] {
        let pace = tlv(
            0x30, tlv(0x06, ASN1.oidBytes("0.4.0.127.0.7.2.2.4.2.2")) + [0x02, 0x01, 0x02, 0x02, 0x01, 0x0D])
        return tlv(0x6E, tlv(0x31, pace))
    }

    /// DG14: ChipAuthenticationInfo (CA-ECDH-AES-128 v1) and a ChipAuthenticationPublicKeyInfo on brainpoolP256r1
    /// whose key is derived from `seed` (a test key: the simulator does not run Chip Authentication).
    public static func dg14(seed: String) throws -> [UInt8] {
        let curve = try ECCurve(nid: ECCurve.nid(forParameterID: 13)!)
        var scalar = Hashing.sha256(Array(("chip-authentication:" + seed).utf8))
        scalar[0] &= 0x7F
        return dg14(caPublicKey: try curve.multiplyGenerator(scalar))
    }

    /// DG14: a ChipAuthenticationInfo (`caOID`, v1; CA-ECDH-AES-128 by default) and a
    /// ChipAuthenticationPublicKeyInfo with `point` on the named curve `curve` (brainpoolP256r1 by default), both
    /// with `keyID` when given, and an ActiveAuthenticationInfo naming the ECDSA signature algorithm when
    /// `activeAuthenticationOID` is given.
    public static func dg14(
        caPublicKey point: ECPoint, curve: ECCurve? = nil, caOID: String = "0.4.0.127.0.7.2.2.3.2.2",
        keyID: Int? = nil, activeAuthenticationOID: String? = nil
    ) -> [UInt8] {
        let oid = { (dotted: String) in tlv(0x06, ASN1.oidBytes(dotted)) }
        let keyIDBytes = keyID.map { tlv(0x02, [UInt8($0)]) } ?? []
        let caInfo = tlv(0x30, oid(caOID) + [0x02, 0x01, 0x01] + keyIDBytes)
        let curveOID = curve?.objectIdentifier ?? "1.3.36.3.3.2.8.1.1.7"
        let algorithm = tlv(0x30, oid("1.2.840.10045.2.1") + oid(curveOID))
        let spki = tlv(0x30, algorithm + tlv(0x03, [0x00] + point.uncompressed))
        let keyInfo = tlv(0x30, oid("0.4.0.127.0.7.2.2.1.2") + spki + keyIDBytes)
        var infos = caInfo + keyInfo
        if let activeAuthenticationOID {
            infos += tlv(0x30, oid("2.23.136.1.1.5") + [0x02, 0x01, 0x01] + oid(activeAuthenticationOID))
        }
        return tlv(0x6E, tlv(0x31, infos))
    }

    /// DG15 around an Active Authentication public key (DER SubjectPublicKeyInfo).
    public static func dg15(_ subjectPublicKeyInfo: [UInt8]) -> [UInt8] { tlv(0x6F, subjectPublicKeyInfo) }

    static func bigEndian(_ value: Int, _ width: Int) -> [UInt8] {
        (0..<width).map { UInt8(truncatingIfNeeded: value >> (8 * (width - 1 - $0))) }
    }
}
