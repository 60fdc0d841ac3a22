import CentralAPI
import Crypto
import Foundation

/// The station's identity towards the central: an Ed25519 key pair created at first start (file `station.key`,
/// mode 0600, raw 32-byte private key) and, after enrollment, `enrollment.json` with the station id and the
/// central's HPKE public key. Keys are never printed.
public struct StationCredentials: Sendable {
    /// The station id.
    public let stationID: String
    /// Raw keys: swift-crypto's key types are not `Sendable` on Linux.
    let signingKeyRaw: Data
    let centralKeyRaw: Data?
    /// The signing key.
    public var signingKey: Curve25519.Signing.PrivateKey {
        try! Curve25519.Signing.PrivateKey(rawRepresentation: signingKeyRaw)
    }
    /// The central's X25519 key, once enrolled.
    public var centralKey: Curve25519.KeyAgreement.PublicKey? {
        centralKeyRaw.flatMap { try? Curve25519.KeyAgreement.PublicKey(rawRepresentation: $0) }
    }
    /// The folder holding the files.
    public let directory: String

    init(
        stationID: String, signingKey: Curve25519.Signing.PrivateKey, centralKey: Curve25519.KeyAgreement.PublicKey?,
        directory: String
    ) {
        self.stationID = stationID
        signingKeyRaw = signingKey.rawRepresentation
        centralKeyRaw = centralKey?.rawRepresentation
        self.directory = directory
    }

    struct Enrollment: Codable {
        var stationID: String
        var centralKey: Data
    }

    /// Loads the key pair (creating it 0600 if absent) and the enrollment if any. Refuses a key file readable
    /// by group or others.
    public static func load(directory: String, stationID: String) throws(UplinkError) -> StationCredentials {
        let keyPath = directory + "/station.key"
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw UplinkError(.credentials, "cannot create the credentials folder")
        }
        var key: Curve25519.Signing.PrivateKey
        if FileManager.default.fileExists(atPath: keyPath) {
            var info = stat()
            guard stat(keyPath, &info) == 0, info.st_mode & 0o077 == 0 else {
                throw UplinkError(.credentials, "station.key must be mode 0600")
            }
            guard let raw = FileManager.default.contents(atPath: keyPath),
                let loaded = try? Curve25519.Signing.PrivateKey(rawRepresentation: raw)
            else { throw UplinkError(.credentials, "station.key is not a raw Ed25519 key") }
            key = loaded
        } else {
            key = Curve25519.Signing.PrivateKey()
            let fd = open(keyPath, O_WRONLY | O_CREAT | O_EXCL, 0o600)
            guard fd >= 0 else { throw UplinkError(.credentials, "cannot create station.key") }
            let ok = key.rawRepresentation.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) == $0.count }
            fsync(fd)
            close(fd)
            guard ok else { throw UplinkError(.credentials, "cannot write station.key") }
        }
        var central: Curve25519.KeyAgreement.PublicKey?
        if let data = FileManager.default.contents(atPath: directory + "/enrollment.json") {
            guard let enrollment = try? CanonicalEncoding.decode(Enrollment.self, from: data),
                enrollment.stationID == stationID,
                let centralKey = try? Curve25519.KeyAgreement.PublicKey(rawRepresentation: enrollment.centralKey)
            else { throw UplinkError(.credentials, "enrollment.json does not match this station") }
            central = centralKey
        }
        return StationCredentials(stationID: stationID, signingKey: key, centralKey: central, directory: directory)
    }

    /// Records a successful enrollment (atomically).
    public func enrolled(_ response: EnrollmentResponse) throws(UplinkError) -> StationCredentials {
        guard response.stationID == stationID,
            let central = try? Curve25519.KeyAgreement.PublicKey(rawRepresentation: response.centralKey)
        else { throw UplinkError(.credentials, "the enrollment answer is for another station or malformed") }
        do {
            let data = try CanonicalEncoding.encode(Enrollment(stationID: stationID, centralKey: response.centralKey))
            try data.write(to: URL(fileURLWithPath: directory + "/enrollment.json"), options: .atomic)
        } catch {
            throw UplinkError(.credentials, "cannot write enrollment.json")
        }
        return StationCredentials(
            stationID: stationID, signingKey: signingKey, centralKey: central, directory: directory)
    }

    /// The same station with another central key (the central rotated its key; also used by tests to
    /// simulate a corrupted enrollment). Not persisted.
    public func replacingCentralKey(_ key: Curve25519.KeyAgreement.PublicKey) -> StationCredentials {
        StationCredentials(stationID: stationID, signingKey: signingKey, centralKey: key, directory: directory)
    }

    /// Lower-case hex SHA-256 of the raw public signing key (shown to supervisors, written in exports).
    public var keyFingerprint: String { ItemEnvelope.hash(signingKey.publicKey.rawRepresentation) }
}
