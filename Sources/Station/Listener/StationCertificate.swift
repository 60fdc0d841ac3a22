import Crypto
import Foundation
import Queue
import SwiftASN1
import X509

/// The station's TLS certificate for the TCP listener: self-signed (ECDSA P-256, 10 years), created at the first
/// start with `listener.tls` on (key file 0600, written like the store's keys), then loaded as it is. The HIS pins
/// it: `certificateSHA256` (SHA-256 of the DER certificate, as `openssl x509 -fingerprint -sha256` prints it) or
/// `publicKeySHA256` (SHA-256 of the public key, base64, as `curl --pinnedpubkey sha256//…` takes it).
struct StationCertificate: Sendable {
    /// The certificate, PEM.
    let certificatePEM: String
    /// The private key, PEM (PKCS#8).
    let keyPEM: String
    /// SHA-256 of the DER certificate, `AB:CD:…`.
    let certificateSHA256: String
    /// SHA-256 of the DER SubjectPublicKeyInfo, base64.
    let publicKeySHA256: String

    /// Loads the certificate and key, creating both when neither exists. A certificate without its key (or
    /// the reverse) is an error naming both files: never silently replaced, since HIS clients pinned it.
    static func loadOrCreate(certificatePath: String, keyPath: String, address: String) throws -> StationCertificate {
        let manager = FileManager.default
        let haveCertificate = manager.fileExists(atPath: certificatePath)
        let haveKey = manager.fileExists(atPath: keyPath)
        if !haveCertificate && !haveKey {
            let (certificate, key) = try create(address: address)
            for path in [certificatePath, keyPath] {
                try manager.createDirectory(
                    atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            }
            try KeyFile.write(Data(key.utf8), to: keyPath, replacing: false, what: "listener.key")
            try KeyFile.write(
                Data(certificate.utf8), to: certificatePath, replacing: false, what: "listener.certificate")
            chmod(certificatePath, 0o644)
        } else if haveCertificate != haveKey {
            throw StationCertificateError(
                "listener.certificate \(certificatePath) and listener.key \(keyPath) must both exist or both be "
                    + "absent (then a new certificate is made; HIS clients must pin it again)")
        }
        guard let certificatePEM = try? String(contentsOfFile: certificatePath, encoding: .utf8),
            let keyPEM = try? String(contentsOfFile: keyPath, encoding: .utf8)
        else {
            throw StationCertificateError("cannot read \(certificatePath) or \(keyPath)")
        }
        chmod(keyPath, 0o600)
        let certificate: Certificate
        do {
            certificate = try Certificate(pemEncoded: certificatePEM)
        } catch {
            throw StationCertificateError("\(certificatePath) is not a PEM certificate")
        }
        var serializer = DER.Serializer()
        try serializer.serialize(certificate)
        var keySerializer = DER.Serializer()
        try keySerializer.serialize(certificate.publicKey)
        return StationCertificate(
            certificatePEM: certificatePEM, keyPEM: keyPEM,
            certificateSHA256: SHA256.hash(data: serializer.serializedBytes)
                .map { String(format: "%02X", $0) }.joined(separator: ":"),
            publicKeySHA256: Data(SHA256.hash(data: keySerializer.serializedBytes)).base64EncodedString())
    }

    /// A new self-signed certificate for `address` (and `localhost`), PEM, with its key.
    static func create(address: String) throws -> (certificate: String, key: String) {
        let key = P256.Signing.PrivateKey()
        let name = try DistinguishedName {
            OrganizationName("stationd")
            CommonName("stationd listener")
        }
        var names: [GeneralName] = [.dnsName("localhost")]
        var v4 = in_addr()
        var v6 = in6_addr()
        if inet_pton(AF_INET, address, &v4) == 1 {
            names.append(.ipAddress(ASN1OctetString(contentBytes: withUnsafeBytes(of: &v4) { ArraySlice($0) })))
        } else if inet_pton(AF_INET6, address, &v6) == 1 {
            names.append(.ipAddress(ASN1OctetString(contentBytes: withUnsafeBytes(of: &v6) { ArraySlice($0) })))
        }
        if address != "127.0.0.1" {
            var loopback = in_addr()
            _ = inet_pton(AF_INET, "127.0.0.1", &loopback)
            names.append(.ipAddress(ASN1OctetString(contentBytes: withUnsafeBytes(of: &loopback) { ArraySlice($0) })))
        }
        let now = Date()
        var serial = [UInt8](repeating: 0, count: 16)
        var generator = SystemRandomNumberGenerator()
        for index in serial.indices { serial[index] = generator.next() }
        serial[0] &= 0x7F
        let certificate = try Certificate(
            version: .v3, serialNumber: Certificate.SerialNumber(bytes: ArraySlice(serial)),
            publicKey: Certificate.PublicKey(key.publicKey), notValidBefore: now.addingTimeInterval(-3600),
            notValidAfter: now.addingTimeInterval(10 * 365 * 86_400), issuer: name, subject: name,
            signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.notCertificateAuthority)
                Critical(KeyUsage(digitalSignature: true))
                try ExtendedKeyUsage([.serverAuth])
                SubjectAlternativeNames(names)
            },
            issuerPrivateKey: Certificate.PrivateKey(key))
        return (try certificate.serializeAsPEM().pemString + "\n", key.pemRepresentation + "\n")
    }
}

/// The station certificate cannot be made or read (start-up refusal, exit 78 with the reason).
struct StationCertificateError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
