import COpenSSL
import Foundation

/// An X.509 certificate (document signer, CSCA, master-list signer), parsed by OpenSSL for signatures and times
/// and by swift-asn1 for the fields CMS matching needs. Immutable, shareable between threads.
public final class Certificate: @unchecked Sendable, CustomStringConvertible {
    let x509: OpaquePointer
    /// The certificate's DER encoding.
    public let der: [UInt8]
    /// DER of the issuer Name (for CMS issuerAndSerialNumber matching and CRLs).
    public let issuerDER: [UInt8]
    /// DER of the subject Name.
    public let subjectDER: [UInt8]
    /// The serial number's INTEGER content bytes.
    public let serialNumber: [UInt8]
    /// Subject key identifier extension value, when present.
    public let subjectKeyIdentifier: [UInt8]?
    /// Authority key identifier (keyIdentifier field), when present.
    public let authorityKeyIdentifier: [UInt8]?
    /// Start of validity.
    public let notBefore: Date
    /// End of validity.
    public let notAfter: Date
    /// The subject public key.
    public let publicKey: PublicKey

    /// Parses a DER certificate.
    public init(der: [UInt8]) throws(ChipIDError) {
        var parsed: OpaquePointer?
        der.withUnsafeBufferPointer { buffer in
            var cursor: UnsafePointer<UInt8>? = buffer.baseAddress
            parsed = d2i_X509(nil, &cursor, buffer.count)
        }
        guard let parsed else {
            ERR_clear_error()
            throw ChipIDError(.certificateMalformed, "certificate does not parse")
        }
        x509 = parsed
        self.der = der
        do throws(ChipIDError) {
            let fields = try Self.tbsFields(der)
            issuerDER = fields.issuer
            subjectDER = fields.subject
            serialNumber = fields.serial
            publicKey = try PublicKey(subjectPublicKeyInfo: fields.spki)
            subjectKeyIdentifier = fields.ski
            authorityKeyIdentifier = fields.aki
            guard let start = Self.date(X509_get0_notBefore(parsed)), let end = Self.date(X509_get0_notAfter(parsed))
            else { throw ChipIDError(.certificateMalformed, "certificate validity does not parse") }
            notBefore = start
            notAfter = end
        } catch {
            X509_free(parsed)
            throw error
        }
    }

    deinit { X509_free(x509) }

    /// The subject as one line (`/C=DE/O=…/CN=…`): no personal data in DS/CSCA names.
    public var subject: String { Self.oneLine(X509_get_subject_name(x509)) }
    /// The issuer as one line.
    public var issuer: String { Self.oneLine(X509_get_issuer_name(x509)) }
    /// The subject's country (C=), when present.
    public var country: String? {
        subject.split(separator: "/").first { $0.hasPrefix("C=") }.map { String($0.dropFirst(2)) }
    }

    /// Whether `at` lies within the validity period.
    public func isValid(at date: Date) -> Bool { notBefore <= date && date <= notAfter }

    /// Whether `issuer`'s key verifies this certificate's signature (any algorithm OpenSSL knows: RSA, RSA-PSS,
    /// ECDSA on named or explicit curves).
    public func isSigned(by issuer: Certificate) -> Bool {
        let result = X509_verify(x509, issuer.publicKey.pkey)
        ERR_clear_error()
        return result == 1
    }

    /// Whether `issuer`'s subject equals this certificate's issuer and, when both carry key identifiers, they match.
    public func namesIssuer(_ issuer: Certificate) -> Bool {
        guard X509_NAME_cmp(X509_get_issuer_name(x509), X509_get_subject_name(issuer.x509)) == 0 else { return false }
        if let aki = authorityKeyIdentifier, let ski = issuer.subjectKeyIdentifier { return aki == ski }
        return true
    }

    /// Whether the certificate is self-issued and self-signed (a root CSCA).
    public var isSelfSigned: Bool {
        X509_NAME_cmp(X509_get_issuer_name(x509), X509_get_subject_name(x509)) == 0 && isSigned(by: self)
    }

    public var description: String { "Certificate(subject \(subject), issuer \(issuer))" }

    /// Loads every certificate in PEM text (`-----BEGIN CERTIFICATE-----` blocks) or, failing that, one DER.
    public static func load(_ bytes: [UInt8]) throws(ChipIDError) -> [Certificate] {
        let blocks = PEM.blocks(bytes, label: "CERTIFICATE")
        if !blocks.isEmpty {
            var out: [Certificate] = []
            for block in blocks { out.append(try Certificate(der: block)) }
            return out
        }
        return [try Certificate(der: bytes)]
    }

    // MARK: - Helpers

    private static func oneLine(_ name: OpaquePointer?) -> String {
        guard let name else { return "" }
        var buffer = [CChar](repeating: 0, count: 512)
        _ = X509_NAME_oneline(name, &buffer, Int32(buffer.count))
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    static func date(_ time: UnsafePointer<ASN1_TIME>?) -> Date? {
        guard let time else { return nil }
        var value = tm()
        guard ASN1_TIME_to_tm(time, &value) == 1 else { return nil }
        return Date(timeIntervalSince1970: TimeInterval(timegm(&value)))
    }

    private struct Fields {
        var issuer: [UInt8], subject: [UInt8], serial: [UInt8], spki: [UInt8], ski: [UInt8]?, aki: [UInt8]?
    }

    private static func tbsFields(_ der: [UInt8]) throws(ChipIDError) -> Fields {
        let root = try DERNode.parse(der, "certificate", code: .certificateMalformed)
        let certificate = try root.sequence("certificate")
        guard let tbsNode = certificate.first else { throw ChipIDError(.certificateMalformed, "certificate: empty") }
        var tbs = try tbsNode.sequence("tbsCertificate")
        if tbs.first?.contextTag == 0 { tbs.removeFirst() }  // version
        guard tbs.count >= 6 else { throw ChipIDError(.certificateMalformed, "tbsCertificate: too few fields") }
        var ski: [UInt8]?
        var aki: [UInt8]?
        for extra in tbs.dropFirst(6) where extra.contextTag == 3 {
            for ext in try extra.explicit("extensions").sequence("extensions") {
                let parts = try ext.sequence("extension")
                guard let id = parts.first, let value = parts.last else { continue }
                let oid = try id.oid("extension id")
                let octets = try value.octets("extension value")
                if oid == "2.5.29.14" {
                    ski = try DERNode.parse(octets, "subject key identifier", code: .certificateMalformed)
                        .octets("subject key identifier")
                } else if oid == "2.5.29.35" {
                    let fields = try DERNode.parse(octets, "authority key identifier", code: .certificateMalformed)
                        .sequence("authority key identifier")
                    if let keyID = fields.first(where: { $0.contextTag == 0 }) {
                        aki = try keyID.content("authority key identifier")
                    }
                }
            }
        }
        guard tbs[0].universalTag == 2 else { throw ChipIDError(.certificateMalformed, "serial number missing") }
        return Fields(
            issuer: tbs[2].encoded, subject: tbs[4].encoded, serial: try tbs[0].content("serial"),
            spki: tbs[5].encoded, ski: ski, aki: aki)
    }
}

/// PEM armour (RFC 7468): the DER of every block with a given label.
enum PEM {
    static func blocks(_ bytes: [UInt8], label: String) -> [[UInt8]] {
        guard let text = String(validating: bytes, as: UTF8.self), text.contains("-----BEGIN \(label)-----") else {
            return []
        }
        var out: [[UInt8]] = []
        var collecting: String?
        for line in text.split(whereSeparator: \.isNewline) {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed == "-----BEGIN \(label)-----" {
                collecting = ""
            } else if trimmed == "-----END \(label)-----", let body = collecting {
                if let data = Data(base64Encoded: body) { out.append([UInt8](data)) }
                collecting = nil
            } else if collecting != nil {
                collecting! += trimmed
            }
        }
        return out
    }
}
