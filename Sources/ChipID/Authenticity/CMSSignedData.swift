import Foundation

/// A CMS `SignedData` (RFC 5652) as eMRTDs use it: EF.SOD and ICAO CSCA master lists. Parsed with swift-asn1;
/// signatures are checked through OpenSSL (`SignatureScheme`), because swift-certificates' CMS verifier accepts
/// neither ICAO content types nor RSA-PSS nor brainpool curves.
public struct CMSSignedData: Sendable {
    /// SignedData version.
    public var version: Int
    /// The encapsulated content type OID (`2.23.136.1.1.1` LDS security object, `2.23.136.1.1.2` master list).
    public var contentType: String
    /// The encapsulated content octets (what `messageDigest` covers).
    public var content: [UInt8]
    /// Certificates carried in the object (DER).
    public var certificates: [[UInt8]]
    /// The signers (eMRTDs have exactly one).
    public var signers: [CMSSignerInfo]

    /// `id-signedData`.
    static let signedDataOID = "1.2.840.113549.1.7.2"

    /// Parses a DER `ContentInfo { id-signedData, [0] SignedData }`.
    public init(contentInfo bytes: [UInt8], code: ChipIDError.Code = .sodMalformed) throws(ChipIDError) {
        let root = try DERNode.parse(bytes, "CMS ContentInfo", code: code)
        let info = try root.sequence("ContentInfo")
        guard info.count == 2, try info[0].oid("contentType") == Self.signedDataOID, info[1].contextTag == 0 else {
            throw ChipIDError(code, "ContentInfo is not id-signedData")
        }
        let fields = try info[1].explicit("SignedData").sequence("SignedData")
        guard fields.count >= 4 else { throw ChipIDError(code, "SignedData: too few fields") }
        version = try fields[0].int("SignedData version")
        let encapsulated = try fields[2].sequence("encapContentInfo")
        guard let typeNode = encapsulated.first else { throw ChipIDError(code, "encapContentInfo empty") }
        contentType = try typeNode.oid("eContentType")
        guard encapsulated.count == 2, encapsulated[1].contextTag == 0 else {
            throw ChipIDError(code, "encapContentInfo carries no content (detached signatures are not eMRTD)")
        }
        content = try encapsulated[1].explicit("eContent").octets("eContent")
        var certificates: [[UInt8]] = []
        var signerSet: DERNode?
        for field in fields.dropFirst(3) {
            switch field.contextTag {
            case 0: certificates = try field.children("certificates").map(\.encoded)
            case 1: continue  // CRLs inside SignedData: not used by eMRTDs
            default: signerSet = field
            }
        }
        self.certificates = certificates
        guard let signerSet else { throw ChipIDError(code, "SignedData has no signerInfos") }
        signers = []
        for signer in try signerSet.set("signerInfos") { signers.append(try CMSSignerInfo(signer, code: code)) }
        guard !signers.isEmpty else { throw ChipIDError(code, "SignedData has no signer") }
    }

    /// The certificate `signer` names (issuer and serial, or subject key identifier), from `certificates` first,
    /// then from `extra`.
    public func signerCertificate(for signer: CMSSignerInfo, extra: [Certificate] = []) throws(ChipIDError)
        -> Certificate
    {
        var candidates: [Certificate] = []
        for der in certificates { if let certificate = try? Certificate(der: der) { candidates.append(certificate) } }
        candidates += extra
        for certificate in candidates where signer.identifies(certificate) { return certificate }
        throw ChipIDError(.sodMalformed, "the signer's certificate is not in the signed object")
    }
}

/// One CMS `SignerInfo`.
public struct CMSSignerInfo: Sendable {
    /// How the signer names its certificate.
    public enum Identifier: Sendable, Hashable {
        /// Issuer Name DER and serial number content bytes.
        case issuerAndSerial(issuer: [UInt8], serial: [UInt8])
        /// Subject key identifier.
        case subjectKeyIdentifier([UInt8])
    }

    /// The certificate identifier.
    public var identifier: Identifier
    /// Digest algorithm for the content and signed attributes.
    public var digestAlgorithm: AlgorithmIdentifier
    /// The signed attributes re-tagged as a SET (`31 …`): the bytes the signature covers. nil when absent.
    public var signedAttributes: [UInt8]?
    /// The `messageDigest` attribute.
    public var messageDigest: [UInt8]?
    /// The `contentType` attribute.
    public var contentTypeAttribute: String?
    /// The `signingTime` attribute.
    public var signingTime: Date?
    /// The signature algorithm.
    public var signatureAlgorithm: AlgorithmIdentifier
    /// The signature value.
    public var signature: [UInt8]

    init(_ node: DERNode, code: ChipIDError.Code) throws(ChipIDError) {
        let fields = try node.sequence("SignerInfo")
        guard fields.count >= 5 else { throw ChipIDError(code, "SignerInfo: too few fields") }
        if fields[1].contextTag == 0 {
            identifier = .subjectKeyIdentifier(try fields[1].content("subjectKeyIdentifier"))
        } else {
            let parts = try fields[1].sequence("issuerAndSerialNumber")
            guard parts.count == 2 else { throw ChipIDError(code, "issuerAndSerialNumber malformed") }
            identifier = .issuerAndSerial(issuer: parts[0].encoded, serial: try parts[1].content("serial"))
        }
        digestAlgorithm = try AlgorithmIdentifier(fields[2], "digestAlgorithm")
        var index = 3
        if fields[index].contextTag == 0 {
            var encoded = fields[index].encoded
            encoded[0] = 0x31  // [0] IMPLICIT SET OF Attribute is signed as a SET OF (RFC 5652 §5.4)
            signedAttributes = encoded
            for attribute in try fields[index].children("signedAttrs") {
                let parts = try attribute.sequence("Attribute")
                guard parts.count == 2 else { throw ChipIDError(code, "Attribute malformed") }
                let values = try parts[1].set("attribute values")
                guard let value = values.first else { continue }
                switch try parts[0].oid("attribute type") {
                case "1.2.840.113549.1.9.4": messageDigest = try value.octets("messageDigest")
                case "1.2.840.113549.1.9.3": contentTypeAttribute = try value.oid("contentType attribute")
                case "1.2.840.113549.1.9.5": signingTime = CMSTime.date(value)
                default: break
                }
            }
            index += 1
        }
        guard index + 1 < fields.count else { throw ChipIDError(code, "SignerInfo: signature missing") }
        signatureAlgorithm = try AlgorithmIdentifier(fields[index], "signatureAlgorithm")
        signature = try fields[index + 1].octets("signature")
    }

    /// Whether this signer names `certificate`.
    public func identifies(_ certificate: Certificate) -> Bool {
        switch identifier {
        case .issuerAndSerial(let issuer, let serial):
            return issuer == certificate.issuerDER && serial == certificate.serialNumber
        case .subjectKeyIdentifier(let ski):
            return ski == certificate.subjectKeyIdentifier
        }
    }

    /// The outcome of checking this signer over `content` with `certificate`.
    public struct Check: Sendable, Hashable {
        /// The signature scheme.
        public var scheme: String
        /// messageDigest equals the hash of the content (true when there are no signed attributes and the
        /// signature covers the content directly).
        public var messageDigestValid: Bool
        /// The signature verifies with the certificate's key.
        public var signatureValid: Bool
    }

    /// Checks messageDigest against `content` and the signature over the signed attributes.
    public func check(content: [UInt8], certificate: Certificate) throws(ChipIDError) -> Check {
        guard let digest = DigestAlgorithm(oid: digestAlgorithm.oid) else {
            throw ChipIDError(.unsupportedAlgorithm, "digest algorithm \(digestAlgorithm) not supported")
        }
        let scheme = try SignatureScheme(algorithm: signatureAlgorithm, digest: digest)
        if let signedAttributes {
            let digestValid =
                messageDigest.map { SecureMessagingSession.constantTimeEqual($0, digest.hash(content)) }
                ?? false
            let signatureValid = try scheme.verify(
                message: signedAttributes, signature: signature,
                key: certificate.publicKey)
            return Check(scheme: scheme.description, messageDigestValid: digestValid, signatureValid: signatureValid)
        }
        let valid = try scheme.verify(message: content, signature: signature, key: certificate.publicKey)
        return Check(scheme: scheme.description, messageDigestValid: true, signatureValid: valid)
    }
}

/// UTCTime / GeneralizedTime values of CMS attributes.
enum CMSTime {
    static func date(_ node: DERNode) -> Date? {
        guard let tag = node.universalTag, tag == 23 || tag == 24, let raw = try? node.content("time"),
            let text = String(validating: raw, as: UTF8.self), text.hasSuffix("Z")
        else { return nil }
        let digits = text.dropLast().prefix { $0.isNumber }
        let yearLength = tag == 23 ? 2 : 4
        guard digits.count >= yearLength + 8 else { return nil }
        let numbers = Array(digits)
        func value(_ start: Int, _ length: Int) -> Int? { Int(String(numbers[start..<(start + length)])) }
        guard var year = value(0, yearLength), let month = value(yearLength, 2), let day = value(yearLength + 2, 2),
            let hour = value(yearLength + 4, 2), let minute = value(yearLength + 6, 2)
        else { return nil }
        if tag == 23 { year += year < 50 ? 2000 : 1900 }
        let second = numbers.count >= yearLength + 10 ? value(yearLength + 8, 2) ?? 0 : 0
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        return calendar.date(
            from: DateComponents(
                year: year, month: month, day: day, hour: hour, minute: minute,
                second: second))
    }
}
