/// EF.SOD (ICAO 9303-10 §4.6.2): `77 L` around a CMS SignedData whose content is an `LDSSecurityObject`
/// { version, hashAlgorithm, dataGroupHashValues, ldsVersionInfo (v1) }.
public struct SecurityObject: Sendable {
    /// `id-icao-mrtd-security-ldsSecurityObject`.
    public static let ldsSecurityObjectOID = "2.23.136.1.1.1"

    /// The CMS signed data.
    public var signedData: CMSSignedData
    /// LDSSecurityObject version (0 or 1).
    public var version: Int
    /// The data-group hash algorithm.
    public var hashAlgorithm: DigestAlgorithm
    /// Hash of each data group the document signer covered, by data-group number.
    public var dataGroupHashes: [Int: [UInt8]]
    /// LDS version (e.g. "0108"), v1 objects only.
    public var ldsVersion: String?
    /// Unicode version (e.g. "040000"), v1 objects only.
    public var unicodeVersion: String?

    /// Parses EF.SOD as read from the chip (with the `77` wrapper) or a bare ContentInfo.
    public init(_ bytes: [UInt8]) throws(ChipIDError) {
        var contentInfo = bytes
        if bytes.first == 0x77 {
            let wrapper: TLV
            do { wrapper = try TLV.parse(bytes).0 } catch {
                throw ChipIDError(.sodMalformed, "EF.SOD wrapper truncated")
            }
            contentInfo = wrapper.value
        }
        signedData = try CMSSignedData(contentInfo: contentInfo)
        guard signedData.contentType == Self.ldsSecurityObjectOID else {
            throw ChipIDError(.sodMalformed, "EF.SOD content type \(signedData.contentType) is not ldsSecurityObject")
        }
        let root = try DERNode.parse(signedData.content, "LDSSecurityObject", code: .sodMalformed)
        let fields = try root.sequence("LDSSecurityObject")
        guard fields.count >= 3 else { throw ChipIDError(.sodMalformed, "LDSSecurityObject: too few fields") }
        version = try fields[0].int("LDSSecurityObject version")
        let algorithm = try AlgorithmIdentifier(fields[1], "hashAlgorithm")
        guard let digest = DigestAlgorithm(oid: algorithm.oid) else {
            throw ChipIDError(.unsupportedAlgorithm, "data-group hash algorithm \(algorithm) not supported")
        }
        hashAlgorithm = digest
        var hashes: [Int: [UInt8]] = [:]
        for entry in try fields[2].sequence("dataGroupHashValues") {
            let parts = try entry.sequence("DataGroupHash")
            guard parts.count == 2 else { throw ChipIDError(.sodMalformed, "DataGroupHash malformed") }
            let number = try parts[0].int("dataGroupNumber")
            let value = try parts[1].octets("dataGroupHashValue")
            guard (1...16).contains(number), hashes[number] == nil else {
                throw ChipIDError(.sodMalformed, "DataGroupHash number \(number) out of range or repeated")
            }
            hashes[number] = value
        }
        dataGroupHashes = hashes
        if fields.count >= 4 {
            let info = try fields[3].sequence("ldsVersionInfo")
            if info.count == 2 {
                ldsVersion = String(decoding: try info[0].content("ldsVersion"), as: UTF8.self)
                unicodeVersion = String(decoding: try info[1].content("unicodeVersion"), as: UTF8.self)
            }
        }
    }

    /// The one signer (eMRTD SODs have exactly one).
    public var signer: CMSSignerInfo { signedData.signers[0] }

    /// The document signer certificate embedded in the SOD.
    public func documentSigner() throws(ChipIDError) -> Certificate {
        try signedData.signerCertificate(for: signer)
    }
}
