import CentralAPI
import Crypto
import Foundation
import Testing

/// The provisioning file: made and opened; every signed field changed is named; another key's file is named at
/// `centralSigningKey`; a missing field, an unknown version and an expired file are refused with their field.
@Suite struct ProvisioningFileTests {
    static let keyRaw = Curve25519.Signing.PrivateKey().rawRepresentation
    static var key: Curve25519.Signing.PrivateKey { try! Curve25519.Signing.PrivateKey(rawRepresentation: keyRaw) }
    static let central = Curve25519.KeyAgreement.PrivateKey().publicKey.rawRepresentation

    static func made(validity: TimeInterval = 86_400, certificate: String? = nil) throws -> Data {
        let file = try ProvisioningFile.make(
            stationID: "station-01234-a", endpoint: "https://c06.example:8443", token: "prov-secret",
            tlsCertificate: certificate, validity: validity, signingKey: key, centralKey: central)
        return try CanonicalEncoding.encode(file)
    }

    static func edited(_ data: Data, _ change: (inout [String: Any]) -> Void) throws -> Data {
        var object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        change(&object)
        return try JSONSerialization.data(withJSONObject: object)
    }

    static func refusal(_ data: Data, now: Date = Date()) -> ProvisioningError? {
        do {
            _ = try ProvisioningFile.open(data, now: now)
            return nil
        } catch {
            return error
        }
    }

    @Test func aFileOpensWithTheCentralsKeys() throws {
        let file = try ProvisioningFile.open(try Self.made(certificate: "-----BEGIN CERTIFICATE-----\nAA==\n"))
        #expect(file.stationID == "station-01234-a" && file.token == "prov-secret")
        #expect(file.keys.signingKey == Self.key.publicKey.rawRepresentation && file.keys.encryptionKey == Self.central)
        #expect(file.enrollmentResponse.keys == file.keys)
        #expect(file.fileID.count == 24)
    }

    @Test(arguments: [
        ("token", "prov-other"), ("stationID", "station-elsewhere"), ("endpoint", "https://evil.example"),
        ("expiresAt", "99999999999999"), ("fileID", "00"), ("tlsCertificate", "-----BEGIN…"),
        ("centralKey", Data(repeating: 7, count: 32).base64EncodedString()),
    ])
    func aChangedFieldIsNamed(field: String, value: String) throws {
        let changed = try Self.edited(try Self.made()) { $0[field] = field == "expiresAt" ? Int64(value)! : value }
        let error = try #require(Self.refusal(changed))
        #expect(error.code == .badSignature)
        #expect(error.field == field, "\(error)")
    }

    @Test func anotherKeysFileIsNamedAtTheSigningKey() throws {
        let other = Curve25519.Signing.PrivateKey().publicKey.rawRepresentation.base64EncodedString()
        let changed = try Self.edited(try Self.made()) { $0["centralSigningKey"] = other }
        let error = try #require(Self.refusal(changed))
        #expect(error.code == .badSignature && error.field == "centralSigningKey")
        let short = try Self.edited(try Self.made()) { $0["centralSigningKey"] = Data([1, 2]).base64EncodedString() }
        #expect(Self.refusal(short)?.field == "centralSigningKey")
    }

    @Test func missingUnknownAndExpiredAreRefusedWithTheirField() throws {
        let missing = try Self.edited(try Self.made()) { $0.removeValue(forKey: "token") }
        #expect(Self.refusal(missing).map { ($0.code, $0.field) }! == (.malformed, "token"))
        let version = try Self.edited(try Self.made()) { $0["version"] = 2 }
        #expect(Self.refusal(version).map { ($0.code, $0.field) }! == (.unsupported, "version"))
        let unsigned = try Self.edited(try Self.made()) {
            var signatures = $0["signatures"] as! [String: Any]
            signatures.removeValue(forKey: "endpoint")
            $0["signatures"] = signatures
        }
        #expect(Self.refusal(unsigned).map { ($0.code, $0.field) }! == (.badSignature, "endpoint"))
        let expired = Self.refusal(try Self.made(validity: 60), now: Date().addingTimeInterval(120))
        #expect(expired.map { ($0.code, $0.field) }! == (.expired, "expiresAt"))
        #expect(Self.refusal(Data("not json".utf8))?.code == .malformed)
        #expect(!String(describing: Self.refusal(missing)!).contains("prov-secret"))
    }
}
