import Foundation

extension ControlPaths {
    /// `POST`: the station's key files sealed as one bundle (supervisors; audited `keys_backup`).
    public static let keysBackup = "/v1/keys/backup"
}

/// `POST /v1/keys/backup`: seal to a passphrase or to a supervisor's X25519 public key (exactly one).
public struct KeysBackupRequest: Codable, Sendable, Equatable {
    /// The passphrase (sent over the control socket only; never logged or stored).
    public var passphrase: String?
    /// The supervisor's X25519 public key: PEM (`openssl pkey -pubout`) or base64 of the raw 32 bytes.
    public var recipient: String?

    public init(passphrase: String? = nil, recipient: String? = nil) {
        self.passphrase = passphrase
        self.recipient = recipient
    }
}

/// The answer: the sealed bundle and what to write down about it (never a key).
public struct KeysBackupWire: Codable, Sendable, Equatable {
    /// The station id the bundle is for.
    public var station: String
    /// When it was made (RFC 3339).
    public var createdAt: String
    /// `passphrase` or `recipient`.
    public var protection: String
    /// The recipient key's SHA-256 fingerprint (sealed to a public key).
    public var recipientFingerprint: String?
    /// The roles of the files inside (`store.key_file`, `store.audit_key`, `uplink.station_key`, …).
    public var roles: [String]
    /// SHA-256 of the bundle's bytes, lower-case hex: write it down to recognise the file later.
    public var sha256: String
    /// The bundle (the JSON envelope documented in the README), base64.
    public var bundle: String

    public init(
        station: String, createdAt: String, protection: String, recipientFingerprint: String?, roles: [String],
        sha256: String, bundle: String
    ) {
        self.station = station
        self.createdAt = createdAt
        self.protection = protection
        self.recipientFingerprint = recipientFingerprint
        self.roles = roles
        self.sha256 = sha256
        self.bundle = bundle
    }
}
