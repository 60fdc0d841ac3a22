import COpenSSL
import ChipID
import Foundation

/// A document signer for test SODs: its X.509 certificate (DER) and its private key, signing through OpenSSL
/// libcrypto (ECDSA with SHA-256 for the brainpoolP384r1 test DS). The key is never printed.
public final class DocumentSigner: @unchecked Sendable, CustomStringConvertible {
    /// The DS certificate, DER.
    public let certificate: [UInt8]
    private let key: OpaquePointer

    /// File names in a test PKI folder (`Devices/cards/pki/`).
    public static let certificateFile = "ds-TEST-ONLY.cert.der"
    /// The DS private key, PKCS#8 DER.
    public static let keyFile = "ds-brainpoolP384r1-TEST-ONLY.key.der"
    /// The Active Authentication public key (SubjectPublicKeyInfo DER) for DG15.
    public static let activeAuthenticationKeyFile = "aa-rsa2048-TEST-ONLY.pub.der"

    /// Loads a signer from a certificate and a PKCS#8 (or traditional) DER private key.
    public init(certificate: [UInt8], privateKeyDER: [UInt8]) throws {
        let loaded: OpaquePointer? = privateKeyDER.withUnsafeBufferPointer { buffer in
            var cursor: UnsafePointer<UInt8>? = buffer.baseAddress
            return d2i_AutoPrivateKey(nil, &cursor, buffer.count)
        }
        guard let loaded else {
            ERR_clear_error()
            throw SimulationError("the document signer's private key does not load")
        }
        self.certificate = certificate
        self.key = loaded
    }

    /// Loads the test DS from a PKI folder.
    public static func load(directory: URL) throws -> DocumentSigner {
        let certificate = try [UInt8](Data(contentsOf: directory.appendingPathComponent(certificateFile)))
        let key = try [UInt8](Data(contentsOf: directory.appendingPathComponent(keyFile)))
        return try DocumentSigner(certificate: certificate, privateKeyDER: key)
    }

    deinit { EVP_PKEY_free(key) }

    public var description: String { "DocumentSigner(certificate \(certificate.count) bytes, key redacted)" }

    /// Signs `message` with SHA-256 (ECDSA: a DER `ECDSA-Sig-Value`).
    public func sign(_ message: [UInt8]) throws -> [UInt8] {
        guard let context = EVP_MD_CTX_new() else { throw SimulationError("EVP_MD_CTX_new failed") }
        defer { EVP_MD_CTX_free(context) }
        guard EVP_DigestSignInit(context, nil, EVP_sha256(), nil, key) == 1 else {
            ERR_clear_error()
            throw SimulationError("EVP_DigestSignInit failed")
        }
        var length = 0
        guard
            message.withUnsafeBufferPointer({ EVP_DigestSign(context, nil, &length, $0.baseAddress, $0.count) })
                == 1
        else {
            ERR_clear_error()
            throw SimulationError("EVP_DigestSign (size) failed")
        }
        var signature = [UInt8](repeating: 0, count: length)
        let ok = signature.withUnsafeMutableBufferPointer { out in
            message.withUnsafeBufferPointer {
                EVP_DigestSign(context, out.baseAddress, &length, $0.baseAddress, $0.count)
            }
        }
        guard ok == 1 else {
            ERR_clear_error()
            throw SimulationError("EVP_DigestSign failed")
        }
        return Array(signature.prefix(length))
    }

    /// The certificate's issuer Name and serial number INTEGER, DER, for a CMS IssuerAndSerialNumber.
    public func issuerAndSerial() throws -> (issuer: [UInt8], serial: [UInt8]) {
        let certificate = try TLV.single(self.certificate, expecting: 0x30, "certificate")
        guard let tbs = try certificate.children().first, tbs.tag == 0x30 else {
            throw SimulationError("certificate has no TBSCertificate")
        }
        var parts = try tbs.children()
        if parts.first?.tag == 0xA0 { parts.removeFirst() }  // version
        guard parts.count >= 3, parts[0].tag == 0x02, parts[2].tag == 0x30 else {
            throw SimulationError("certificate has no serial number / issuer")
        }
        return (parts[2].encoded, parts[0].encoded)
    }
}

/// A failure building a simulated card (bad data set, missing PKI file, OpenSSL error). No personal data.
public struct SimulationError: Error, CustomStringConvertible, Sendable {
    /// What went wrong.
    public var description: String
    /// Builds an error.
    public init(_ description: String) { self.description = description }
}
