import CentralAPI
import Crypto
import Foundation

/// The station's identity towards the central: an Ed25519 key pair created at first start (file `station.key`,
/// mode 0600, raw 32-byte private key) and, after enrollment, `enrollment.json` with the station id and the
/// central's PINNED public keys (`CentralKeys`: the key that signs its answers and the key envelopes are sealed
/// to), pinned only once a technician confirmed their fingerprint. Keys are never printed.
///
/// An `enrollment.json` of an earlier version holds only the encryption key: it still opens (exports seal to it),
/// but uploads need the signing key, so such a station enrolls again (same token) with the fingerprint confirmed.
public struct StationCredentials: Sendable {
    /// The station id.
    public let stationID: String
    /// Raw keys: swift-crypto's key types are not `Sendable` on Linux.
    let signingKeyRaw: Data
    let centralKeyRaw: Data?
    /// The pinned central keys (nil: not enrolled, or enrolled by a version that did not pin the signing key).
    public let pinnedCentral: CentralKeys?
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
        pinnedCentral: CentralKeys?, directory: String
    ) {
        self.stationID = stationID
        signingKeyRaw = signingKey.rawRepresentation
        centralKeyRaw = centralKey?.rawRepresentation
        self.pinnedCentral = pinnedCentral
        self.directory = directory
    }

    /// `enrollment.json`. Version 1 had `stationID` and `centralKey` only.
    struct Enrollment: Codable {
        var stationID: String
        var centralKey: Data
        /// The pinned signing key (version 2).
        var centralSigningKey: Data?
        /// The fingerprint the technician confirmed (version 2).
        var fingerprint: String?
        /// When the keys were pinned, and who confirmed a change of keys (nil: first enrollment).
        var pinnedAt: Date?
        var changeConfirmedBy: String?
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
        var pinned: CentralKeys?
        if let data = FileManager.default.contents(atPath: directory + "/enrollment.json") {
            guard let enrollment = try? CanonicalEncoding.decode(Enrollment.self, from: data),
                enrollment.stationID == stationID,
                let centralKey = try? Curve25519.KeyAgreement.PublicKey(rawRepresentation: enrollment.centralKey)
            else { throw UplinkError(.credentials, "enrollment.json does not match this station") }
            central = centralKey
            if let signing = enrollment.centralSigningKey {
                let keys = CentralKeys(signingKey: signing, encryptionKey: enrollment.centralKey)
                guard (try? Curve25519.Signing.PublicKey(rawRepresentation: signing)) != nil,
                    enrollment.fingerprint == keys.fingerprint
                else { throw UplinkError(.credentials, "enrollment.json: the pinned central keys are malformed") }
                pinned = keys
            }
        }
        return StationCredentials(
            stationID: stationID, signingKey: key, centralKey: central, pinnedCentral: pinned, directory: directory)
    }

    /// Pins the central's keys from an enrollment answer (atomically), once the fingerprint the technician
    /// confirmed matches them. Refuses (`uplink.central_fingerprint_mismatch`) when it does not, and
    /// (`uplink.central_key_changed`) when other keys are pinned already, unless `changeConfirmedBy` names the
    /// supervisor who confirmed the change. Nothing is written when it refuses.
    public func enrolled(
        _ response: EnrollmentResponse, confirmedFingerprint: String, changeConfirmedBy: String? = nil
    ) throws(UplinkError) -> StationCredentials {
        guard response.stationID == stationID,
            let central = try? Curve25519.KeyAgreement.PublicKey(rawRepresentation: response.centralKey)
        else { throw UplinkError(.credentials, "the enrollment answer is for another station or malformed") }
        guard let keys = response.keys,
            (try? Curve25519.Signing.PublicKey(rawRepresentation: keys.signingKey)) != nil
        else { throw UplinkError(.centralUnauthenticated, "the central does not sign its answers: not pinned") }
        guard let confirmed = CentralKeys.normalizedFingerprint(confirmedFingerprint), confirmed == keys.fingerprint
        else {
            throw UplinkError(
                .fingerprintMismatch,
                "the central's key fingerprint \(keys.displayFingerprint) is not the one confirmed; nothing pinned")
        }
        if let pinnedCentral, pinnedCentral != keys, changeConfirmedBy == nil {
            throw UplinkError(
                .centralKeyChanged,
                "the central's keys changed (pinned \(pinnedCentral.displayFingerprint)); a supervisor must confirm")
        }
        do {
            let enrollment = Enrollment(
                stationID: stationID, centralKey: keys.encryptionKey, centralSigningKey: keys.signingKey,
                fingerprint: keys.fingerprint, pinnedAt: Date(),
                changeConfirmedBy: pinnedCentral != nil && pinnedCentral != keys ? changeConfirmedBy : nil)
            let data = try CanonicalEncoding.encode(enrollment)
            try data.write(to: URL(fileURLWithPath: directory + "/enrollment.json"), options: .atomic)
        } catch {
            throw UplinkError(.credentials, "cannot write enrollment.json")
        }
        return StationCredentials(
            stationID: stationID, signingKey: signingKey, centralKey: central, pinnedCentral: keys,
            directory: directory)
    }

    /// The same station with another central key (the central rotated its key; also used by tests to
    /// simulate a corrupted enrollment). Not persisted.
    public func replacingCentralKey(_ key: Curve25519.KeyAgreement.PublicKey) -> StationCredentials {
        StationCredentials(
            stationID: stationID, signingKey: signingKey, centralKey: key, pinnedCentral: pinnedCentral,
            directory: directory)
    }

    /// The same station pinning other central keys (tests: a central whose signing key is not the pinned one).
    /// Not persisted.
    public func replacingPinnedCentral(_ keys: CentralKeys) -> StationCredentials {
        StationCredentials(
            stationID: stationID, signingKey: signingKey,
            centralKey: try? Curve25519.KeyAgreement.PublicKey(rawRepresentation: keys.encryptionKey),
            pinnedCentral: keys, directory: directory)
    }

    /// Lower-case hex SHA-256 of the raw public signing key (shown to supervisors, written in exports).
    public var keyFingerprint: String { ItemEnvelope.hash(signingKey.publicKey.rawRepresentation) }
}
