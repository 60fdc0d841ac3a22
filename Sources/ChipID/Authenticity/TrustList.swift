import COpenSSL
import Foundation
import Synchronization

/// A certificate revocation list issued by a CSCA.
public final class RevocationList: @unchecked Sendable {
    let crl: OpaquePointer

    /// Parses a DER CRL.
    public init(der: [UInt8]) throws(ChipIDError) {
        var parsed: OpaquePointer?
        der.withUnsafeBufferPointer { buffer in
            var cursor: UnsafePointer<UInt8>? = buffer.baseAddress
            parsed = d2i_X509_CRL(nil, &cursor, buffer.count)
        }
        guard let parsed else {
            ERR_clear_error()
            throw ChipIDError(.certificateMalformed, "CRL does not parse")
        }
        crl = parsed
    }

    deinit { X509_CRL_free(crl) }

    /// Whether this CRL is issued by `issuer` (name match and signature).
    public func isIssued(by issuer: Certificate) -> Bool {
        guard X509_NAME_cmp(X509_CRL_get_issuer(crl), X509_get_subject_name(issuer.x509)) == 0 else { return false }
        let result = X509_CRL_verify(crl, issuer.publicKey.pkey)
        ERR_clear_error()
        return result == 1
    }

    /// Whether `certificate` is listed as revoked.
    public func revokes(_ certificate: Certificate) -> Bool {
        var entry: OpaquePointer?
        return X509_CRL_get0_by_cert(crl, &entry, certificate.x509) == 1
    }
}

/// The CSCA certificates Passive Authentication may chain a document signer to, and the CRLs to check it
/// against. Built from a folder (PEM/DER certificates `.pem .crt .cer .der`, CRLs `.crl`, master lists `.ml .mls`)
/// and/or ICAO master list files. Empty is normal for CCCDs: the Vietnamese CSCA is not published.
public struct CSCATrustList: Sendable {
    /// The trust anchors.
    public var certificates: [Certificate] = []
    /// CRLs, checked when one is issued by the DS's CSCA.
    public var revocationLists: [RevocationList] = []
    /// Where the anchors came from (file names, master-list summaries), for reports.
    public var sources: [String] = []
    /// When the document signer must have been valid (default: at the time of the check). A policy of the
    /// authority that installs the anchors, so it travels with them.
    public var validityModel: SignerValidityModel = .checkTime

    /// An empty list (no trust anchor configured).
    public init() {}

    /// Whether no CSCA is configured.
    public var isEmpty: Bool { certificates.isEmpty }

    /// Adds a verified master list's CSCAs.
    public mutating func add(_ masterList: CSCAMasterList, source: String) {
        certificates += masterList.certificates
        sources.append("\(source) (master list, \(masterList.certificates.count) CSCA)")
    }

    /// Loads and verifies a master list file; on any failure throws and adds nothing.
    public mutating func addMasterList(file url: URL) throws(ChipIDError) {
        let bytes = try Self.read(url)
        add(try CSCAMasterList(der: bytes), source: url.lastPathComponent)
    }

    /// Loads every certificate, CRL and master list of a folder (not recursive). Files of other kinds are
    /// ignored; a file of a known kind that does not parse throws.
    public static func load(folder url: URL) throws(ChipIDError) -> CSCATrustList {
        let names: [String]
        do { names = try FileManager.default.contentsOfDirectory(atPath: url.path).sorted() } catch {
            throw ChipIDError(.unreadableInput, "trust folder cannot be listed: \(url.path)")
        }
        var list = CSCATrustList()
        for name in names {
            let file = url.appendingPathComponent(name)
            switch file.pathExtension.lowercased() {
            case "pem", "crt", "cer", "der":
                let certificates = try Certificate.load(try read(file))
                list.certificates += certificates
                list.sources.append("\(name) (\(certificates.count) certificate(s))")
            case "crl":
                let bytes = try read(file)
                let blocks = PEM.blocks(bytes, label: "X509 CRL")
                for der in blocks.isEmpty ? [bytes] : blocks {
                    list.revocationLists.append(try RevocationList(der: der))
                }
                list.sources.append("\(name) (CRL)")
            case "ml", "mls":
                try list.addMasterList(file: file)
            default:
                continue
            }
        }
        return list
    }

    /// Trusted CSCAs that name and sign `certificate`.
    public func issuers(of certificate: Certificate) -> (named: [Certificate], signing: [Certificate]) {
        let named = certificates.filter { certificate.namesIssuer($0) }
        return (named, named.filter { signatureCache.isSigned(certificate, by: $0) })
    }

    /// Document signer signatures already verified: one DS signs the cards of months, so each (DS, CSCA) pair's
    /// signature check runs once per process. Shared by copies of the list (entries are keyed by both certificates).
    private let signatureCache = SignatureCache()

    static func read(_ url: URL) throws(ChipIDError) -> [UInt8] {
        guard let data = FileManager.default.contents(atPath: url.path) else {
            throw ChipIDError(.unreadableInput, "cannot read \(url.lastPathComponent)")
        }
        return [UInt8](data)
    }
}

/// The outcomes of `Certificate.isSigned(by:)`, keyed by the two certificates' DER; bounded.
final class SignatureCache: Sendable {
    private struct Key: Hashable {
        let subject: [UInt8]
        let issuer: [UInt8]
    }

    private let entries = Mutex<[Key: Bool]>([:])
    /// Entries kept before the cache starts over (a station sees a handful of document signers).
    static let capacity = 4096

    func isSigned(_ certificate: Certificate, by issuer: Certificate) -> Bool {
        let key = Key(subject: certificate.der, issuer: issuer.der)
        if let known = entries.withLock({ $0[key] }) { return known }
        let verified = certificate.isSigned(by: issuer)
        entries.withLock { entries in
            if entries.count >= Self.capacity { entries.removeAll() }
            entries[key] = verified
        }
        return verified
    }
}

/// When a Document Signer certificate must be valid for its SOD to be trusted.
public enum SignerValidityModel: String, Sendable, Hashable, CaseIterable {
    /// The DS (and its CSCA) must be valid now, at the time of the check ("shell model"). An expired DS fails with
    /// `documentSignerExpired`. The default: ICAO 9303-12 expects a DS to stay valid for the life of the documents
    /// it signs, so an expired DS under a valid document is a finding.
    case checkTime
    /// ICAO "chain model": the DS must have been valid when it signed the SOD (its signing time, else the DS's own
    /// start, since CCCD SODs carry no signing time); an expired DS does not fail an older document. For authorities
    /// that issue short-lived DS certificates.
    case signingTime
}
