import ChipID
import SwiftASN1

/// Builds EF.SOD (ICAO 9303-10 §4.6.2): `77 { ContentInfo { id-signedData, [0] SignedData v3 } }` whose
/// encapsulated content is an LDSSecurityObject v0 with SHA-256 data-group hashes, signed by a `DocumentSigner`
/// (signed attributes contentType + messageDigest; ECDSA with SHA-256), the DS certificate embedded.
public enum SODBuilder {
    static let sha256: ASN1ObjectIdentifier = [2, 16, 840, 1, 101, 3, 4, 2, 1]
    static let ecdsaWithSHA256: ASN1ObjectIdentifier = [1, 2, 840, 10045, 4, 3, 2]
    static let signedData: ASN1ObjectIdentifier = [1, 2, 840, 113549, 1, 7, 2]
    static let ldsSecurityObject: ASN1ObjectIdentifier = [2, 23, 136, 1, 1, 1]
    static let contentType: ASN1ObjectIdentifier = [1, 2, 840, 113549, 1, 9, 3]
    static let messageDigest: ASN1ObjectIdentifier = [1, 2, 840, 113549, 1, 9, 4]

    /// The LDSSecurityObject (DER) over `dataGroups` (number, full file bytes).
    public static func securityObject(dataGroups: [(Int, [UInt8])]) throws -> [UInt8] {
        var serializer = DER.Serializer()
        try serializer.appendConstructedNode(identifier: .sequence) { coder in
            try coder.serialize(0)
            try algorithm(sha256, into: &coder, null: true)
            try coder.appendConstructedNode(identifier: .sequence) { coder in
                for (number, bytes) in dataGroups.sorted(by: { $0.0 < $1.0 }) {
                    try coder.appendConstructedNode(identifier: .sequence) { coder in
                        try coder.serialize(number)
                        try coder.serialize(ASN1OctetString(contentBytes: ArraySlice(Hashing.sha256(bytes))))
                    }
                }
            }
        }
        return serializer.serializedBytes
    }

    /// The whole EF.SOD.
    public static func sod(dataGroups: [(Int, [UInt8])], signer: DocumentSigner) throws -> [UInt8] {
        let content = try securityObject(dataGroups: dataGroups)
        // Signed attributes, in DER SET OF order (contentType's encoding is shorter, so it sorts first).
        var attributes = DER.Serializer()
        try attributes.appendConstructedNode(identifier: .sequence) { coder in
            try coder.serialize(contentType)
            try coder.appendConstructedNode(identifier: .set) { coder in try coder.serialize(ldsSecurityObject) }
        }
        try attributes.appendConstructedNode(identifier: .sequence) { coder in
            try coder.serialize(messageDigest)
            try coder.appendConstructedNode(identifier: .set) { coder in
                try coder.serialize(ASN1OctetString(contentBytes: ArraySlice(Hashing.sha256(content))))
            }
        }
        let attributeBytes = attributes.serializedBytes
        let signature = try signer.sign(TLV.encode(tag: 0x31, value: attributeBytes))
        let (issuer, serial) = try signer.issuerAndSerial()

        var serializer = DER.Serializer()
        try serializer.appendConstructedNode(identifier: .sequence) { coder in
            try coder.serialize(signedData)
            try coder.serialize(explicitlyTaggedWithTagNumber: 0, tagClass: .contextSpecific) { coder in
                try coder.appendConstructedNode(identifier: .sequence) { coder in
                    try coder.serialize(3)
                    try coder.appendConstructedNode(identifier: .set) { coder in
                        try algorithm(sha256, into: &coder, null: true)
                    }
                    try coder.appendConstructedNode(identifier: .sequence) { coder in
                        try coder.serialize(ldsSecurityObject)
                        try coder.serialize(explicitlyTaggedWithTagNumber: 0, tagClass: .contextSpecific) { coder in
                            try coder.serialize(ASN1OctetString(contentBytes: ArraySlice(content)))
                        }
                    }
                    coder.appendConstructedNode(
                        identifier: ASN1Identifier(
                            tagWithNumber: 0,
                            tagClass: .contextSpecific)
                    ) { coder in
                        coder.serializeRawBytes(signer.certificate)
                    }
                    try coder.appendConstructedNode(identifier: .set) { coder in
                        try coder.appendConstructedNode(identifier: .sequence) { coder in
                            try coder.serialize(1)
                            coder.appendConstructedNode(identifier: .sequence) { coder in
                                coder.serializeRawBytes(issuer)
                                coder.serializeRawBytes(serial)
                            }
                            try algorithm(sha256, into: &coder, null: true)
                            coder.appendConstructedNode(
                                identifier: ASN1Identifier(
                                    tagWithNumber: 0,
                                    tagClass: .contextSpecific)
                            ) {
                                $0.serializeRawBytes(attributeBytes)
                            }
                            try algorithm(ecdsaWithSHA256, into: &coder, null: false)
                            try coder.serialize(ASN1OctetString(contentBytes: ArraySlice(signature)))
                        }
                    }
                }
            }
        }
        return TLV.encode(tag: 0x77, value: serializer.serializedBytes)
    }

    private static func algorithm(
        _ oid: ASN1ObjectIdentifier, into coder: inout DER.Serializer,
        null: Bool
    ) throws {
        try coder.appendConstructedNode(identifier: .sequence) { coder in
            try coder.serialize(oid)
            if null { try coder.serialize(ASN1Null()) }
        }
    }
}
