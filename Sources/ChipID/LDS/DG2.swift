/// The encoding of a face image in an ISO/IEC 19794-5 record.
public enum FaceImageEncoding: String, Sendable, Hashable {
    /// JPEG (JFIF), image data type 0.
    case jpeg
    /// JPEG 2000, image data type 1.
    case jpeg2000
}

/// One face image from DG2 (ISO/IEC 19794-5:2005 facial record inside the biometric data block).
public struct FaceImage: Sendable, Hashable, CustomStringConvertible {
    /// JPEG or JPEG 2000 (from the image information block's data type).
    public var encoding: FaceImageEncoding
    /// Width in pixels.
    public var width: Int
    /// Height in pixels.
    public var height: Int
    /// Face image type (0 basic, 1 full frontal, 2 token frontal).
    public var faceImageType: UInt8
    /// The image bytes. Biometric data: never logged.
    public var imageData: [UInt8]

    /// Sizes only: the image is biometric data.
    public var description: String { "FaceImage(\(encoding.rawValue), \(width)x\(height), \(imageData.count) bytes)" }
}

/// DG2 (tag `75`): the face biometric template(s).
public struct DG2: Sendable, Hashable, CustomStringConvertible {
    /// The faces, in order (a CCCD has one).
    public var faces: [FaceImage]

    /// Parses DG2 bytes: `75 { 7F61 { 02 count, 7F60 { A1 header, 5F2E record }… } }`.
    public init(_ bytes: [UInt8]) throws(ChipIDError) {
        let outer = try TLV.single(bytes, expecting: 0x75, "DG2")
        let group = try outer.requiredChild(0x7F61, "DG2 biometric information group")
        let children = try group.children()
        guard let countObject = children.first(where: { $0.tag == 0x02 }) else {
            throw ChipIDError(.malformedFile, "DG2: no instance count")
        }
        let count = try ASN1.smallInt(countObject.value)
        var faces: [FaceImage] = []
        var templates = 0
        for template in children where template.tag == 0x7F60 {
            templates += 1
            let parts = try template.children()
            guard let block = parts.first(where: { $0.tag == 0x5F2E || $0.tag == 0x7F2E }) else {
                throw ChipIDError(.malformedFile, "DG2: biometric template without data block")
            }
            guard block.tag == 0x5F2E else {
                throw ChipIDError(.unsupported, "DG2: enciphered biometric data block")
            }
            faces += try Self.facialRecord(block.value)
        }
        guard templates == count, count >= 1, !faces.isEmpty else {
            throw ChipIDError(.malformedFile, "DG2: instance count \(count) does not match \(templates) templates")
        }
        self.faces = faces
    }

    /// The first face.
    public var face: FaceImage { faces[0] }

    public var description: String { "DG2(\(faces.count) face(s))" }

    /// Parses an ISO/IEC 19794-5 facial record ("FAC\0", version "010\0").
    static func facialRecord(_ record: [UInt8]) throws(ChipIDError) -> [FaceImage] {
        var reader = ByteReader(record)
        guard try reader.take(4) == Array("FAC".utf8) + [0] else {
            throw ChipIDError(.malformedFile, "DG2: facial record does not start with FAC")
        }
        _ = try reader.take(4)  // version, e.g. "010\0"
        let recordLength = try reader.uint(4)
        guard recordLength <= record.count else {
            throw ChipIDError(.malformedFile, "DG2: facial record length past the data block")
        }
        let faceCount = try reader.uint(2)
        guard faceCount >= 1 else { throw ChipIDError(.malformedFile, "DG2: facial record with no face") }
        var faces: [FaceImage] = []
        for _ in 0..<faceCount {
            let start = reader.offset
            let blockLength = try reader.uint(4)
            let featurePoints = try reader.uint(2)
            _ = try reader.take(14)  // gender, eye, hair, property mask, expression, pose, pose uncertainty
            _ = try reader.take(8 * featurePoints)
            let imageType = try reader.take(1)[0]
            let dataType = try reader.take(1)[0]
            let width = try reader.uint(2)
            let height = try reader.uint(2)
            _ = try reader.take(6)  // colour space, source type, device type, quality
            let imageLength = blockLength - (reader.offset - start)
            guard blockLength >= reader.offset - start, imageLength > 0 else {
                throw ChipIDError(.malformedFile, "DG2: facial information block length too small")
            }
            let image = try reader.take(imageLength)
            let encoding: FaceImageEncoding
            switch dataType {
            case 0x00: encoding = .jpeg
            case 0x01: encoding = .jpeg2000
            default: throw ChipIDError(.unsupported, "DG2: image data type \(dataType) is neither JPEG nor JPEG 2000")
            }
            faces.append(
                FaceImage(
                    encoding: encoding, width: width, height: height, faceImageType: imageType,
                    imageData: image))
        }
        return faces
    }
}
