import Foundation

/// An ICAO CSCA master list (ICAO 9303-12 §9): a CMS SignedData (content type `2.23.136.1.1.2`) over
/// `CscaMasterList { version, certList SET OF Certificate }`, signed by a master-list signer whose certificate is
/// issued by the publishing state's CSCA. Loading verifies the signature first: a list whose signature does not
/// verify throws `masterListSignatureInvalid` and yields nothing.
public struct CSCAMasterList: Sendable {
    /// `id-icao-cscaMasterList`.
    public static let contentTypeOID = "2.23.136.1.1.2"

    /// The CSCA certificates in the list (unparseable entries are skipped and counted in `skippedEntries`).
    public var certificates: [Certificate]
    /// Entries that did not parse as certificates.
    public var skippedEntries: Int
    /// The master-list signer's certificate.
    public var signer: Certificate
    /// When the list was signed, if it says.
    public var signingTime: Date?
    /// Whether the signer certificate is issued (and signed) by a CSCA contained in the list itself.
    public var signerChainsToListedCSCA: Bool
    /// The signature scheme of the list.
    public var signatureScheme: String

    /// Parses and verifies a master list file (DER).
    public init(der bytes: [UInt8]) throws(ChipIDError) {
        let signedData = try CMSSignedData(contentInfo: bytes, code: .masterListMalformed)
        guard signedData.contentType == Self.contentTypeOID else {
            throw ChipIDError(.masterListMalformed, "content type \(signedData.contentType) is not cscaMasterList")
        }
        let signerInfo = signedData.signers[0]
        let signer: Certificate
        do { signer = try signedData.signerCertificate(for: signerInfo) } catch {
            throw ChipIDError(.masterListMalformed, "master list signer certificate not found")
        }
        let check = try signerInfo.check(content: signedData.content, certificate: signer)
        guard check.messageDigestValid else {
            throw ChipIDError(.masterListSignatureInvalid, "master list content does not match its messageDigest")
        }
        guard check.signatureValid else {
            throw ChipIDError(.masterListSignatureInvalid, "master list signature does not verify")
        }
        let root = try DERNode.parse(signedData.content, "CscaMasterList", code: .masterListMalformed)
        let fields = try root.sequence("CscaMasterList")
        guard fields.count == 2 else { throw ChipIDError(.masterListMalformed, "CscaMasterList: two fields expected") }
        var certificates: [Certificate] = []
        var skipped = 0
        for entry in try fields[1].set("certList") {
            if let certificate = try? Certificate(der: entry.encoded) {
                certificates.append(certificate)
            } else {
                skipped += 1
            }
        }
        self.certificates = certificates
        self.skippedEntries = skipped
        self.signer = signer
        self.signingTime = signerInfo.signingTime
        self.signerChainsToListedCSCA = certificates.contains { signer.namesIssuer($0) && signer.isSigned(by: $0) }
        self.signatureScheme = check.scheme
    }

    /// Countries (C=) present in the list, sorted.
    public var countries: [String] { Array(Set(certificates.compactMap(\.country))).sorted() }
}
