import Crypto
import Foundation
import _CryptoExtras

/// A sealed backup of a station's key files (`stationctl keys backup`, `stationd keys restore`).
///
/// The bundle is one JSON envelope (README "Keys: backup and restore"):
/// `{"format":"stationd-keys","version":1,"station":…,"createdAt":…,"kdf":{…}|"recipient":{…},"nonce":…,
/// "ciphertext":…}`. Sealed to a passphrase: scrypt (swift-crypto's `KDF.Scrypt`, parameters and salt in `kdf`)
/// derives an AES-256-GCM key; `nonce` is the GCM nonce, `ciphertext` the ciphertext with its tag. Sealed to a
/// supervisor's X25519 public key: HPKE (RFC 9180, base mode, DHKEM X25519 / HKDF-SHA256 / ChaCha20-Poly1305);
/// `recipient` holds the key's SHA-256 fingerprint and the encapsulated key, and there is no `nonce`. In both, every
/// field but `nonce` and `ciphertext` is authenticated (associated data), so a changed header does not open.
/// The plaintext is `{"files":[{"role":…,"name":…,"content":BASE64}]}`.
public struct KeyBundle: Sendable, Equatable {
    /// One key file: its role (which configuration value names its path), its file name, its bytes.
    public struct File: Codable, Sendable, Equatable {
        /// `store.key_file`, `store.audit_key`, `uplink.station_key`, `uplink.enrollment`, `listener.key`,
        /// `listener.certificate`.
        public var role: String
        /// The file's name where it was backed up (for people; restore writes where the configuration says).
        public var name: String
        /// The file's bytes.
        public var content: Data

        public init(role: String, name: String, content: Data) {
            self.role = role
            self.name = name
            self.content = content
        }
    }

    /// The files.
    public var files: [File]

    public init(files: [File]) { self.files = files }

    /// The `format` value.
    public static let format = "stationd-keys"
    /// The `version` value.
    public static let version = 1

    /// scrypt parameters: N = 2^15, r = 8, p = 1 (32 MiB of memory per derivation).
    public struct KDF: Codable, Sendable, Equatable {
        public var name: String
        public var salt: String
        public var n: Int
        public var r: Int
        public var p: Int

        /// The parameters new bundles use.
        static func fresh() -> KDF {
            KDF(name: "scrypt", salt: randomBytes(16).base64EncodedString(), n: 1 << 15, r: 8, p: 1)
        }
    }

    /// The supervisor's key a bundle is sealed to.
    public struct Recipient: Codable, Sendable, Equatable {
        /// The HPKE suite.
        public var suite: String
        /// SHA-256 of the raw 32-byte X25519 public key, lower-case hex.
        public var fingerprint: String
        /// HPKE's encapsulated key, base64.
        public var encapsulatedKey: String
    }

    /// The envelope as written to the file.
    public struct Envelope: Codable, Sendable, Equatable {
        public var format: String
        public var version: Int
        public var station: String
        public var createdAt: String
        public var kdf: KDF?
        public var recipient: Recipient?
        public var nonce: String?
        public var ciphertext: String

        /// The authenticated header: every field but `nonce` and `ciphertext`, as sorted-key JSON.
        var associatedData: Data {
            var header = self
            header.nonce = nil
            header.ciphertext = ""
            return (try? KeyBundle.encoder.encode(header)) ?? Data()
        }
    }

    static var suite: HPKE.Ciphersuite { .Curve25519_SHA256_ChachaPoly }
    static let suiteName = "DHKEM(X25519,HKDF-SHA256)/HKDF-SHA256/ChaCha20Poly1305"
    static let info = Data("stationd-keys/1".utf8)

    static var encoder: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return encoder
    }

    // MARK: Sealing

    /// Seals to a passphrase. Returns the envelope's bytes.
    public func seal(passphrase: String, station: String, at date: Date = Date()) throws(KeyBundleError) -> Data {
        guard !passphrase.isEmpty else { throw KeyBundleError(.badSecret, "the passphrase is empty") }
        var envelope = Envelope(
            format: Self.format, version: Self.version, station: station, createdAt: Self.stamp(date),
            kdf: .fresh(), recipient: nil, nonce: nil, ciphertext: "")
        let key = try Self.derive(passphrase, envelope.kdf!)
        let plaintext = try plaintextBytes()
        do {
            let nonce = AES.GCM.Nonce()
            let box = try AES.GCM.seal(
                plaintext, using: key, nonce: nonce, authenticating: envelope.associatedData)
            envelope.nonce = Data(nonce).base64EncodedString()
            envelope.ciphertext = (box.ciphertext + box.tag).base64EncodedString()
        } catch {
            throw KeyBundleError(.malformed, "cannot seal the bundle")
        }
        return try Self.bytes(envelope)
    }

    /// Seals to a supervisor's X25519 public key (`recipientKey`: PEM, base64 or raw; see `X25519KeyText`).
    public func seal(recipientKey text: Data, station: String, at date: Date = Date()) throws(KeyBundleError) -> Data {
        let publicKey = try X25519KeyText.publicKey(text)
        do {
            var sender = try HPKE.Sender(recipientKey: publicKey, ciphersuite: Self.suite, info: Self.info)
            var envelope = Envelope(
                format: Self.format, version: Self.version, station: station, createdAt: Self.stamp(date), kdf: nil,
                recipient: Recipient(
                    suite: Self.suiteName, fingerprint: X25519KeyText.fingerprint(publicKey),
                    encapsulatedKey: sender.encapsulatedKey.base64EncodedString()),
                nonce: nil, ciphertext: "")
            envelope.ciphertext = try sender.seal(try plaintextBytes(), authenticating: envelope.associatedData)
                .base64EncodedString()
            return try Self.bytes(envelope)
        } catch let error as KeyBundleError {
            throw error
        } catch {
            throw KeyBundleError(.malformed, "cannot seal the bundle to the recipient key")
        }
    }

    // MARK: Opening

    /// The envelope of `data`, unopened (to say how it is sealed before asking for the secret).
    public static func envelope(_ data: Data) throws(KeyBundleError) -> Envelope {
        guard let envelope = try? JSONDecoder().decode(Envelope.self, from: data), envelope.format == format else {
            throw KeyBundleError(.malformed, "not a stationd key bundle")
        }
        guard envelope.version == version else {
            throw KeyBundleError(.unsupported, "bundle version \(envelope.version) (this stationd reads \(version))")
        }
        return envelope
    }

    /// Opens a bundle sealed to a passphrase. A wrong passphrase or any change to the bundle: `keys.wrong_secret`.
    public static func open(_ data: Data, passphrase: String) throws(KeyBundleError) -> KeyBundle {
        let envelope = try envelope(data)
        guard let kdf = envelope.kdf else {
            throw KeyBundleError(.wrongProtection, "the bundle is sealed to a public key: give --identity")
        }
        guard kdf.name == "scrypt", kdf.n >= 2, kdf.n <= 1 << 20, kdf.n & (kdf.n - 1) == 0, (1...32).contains(kdf.r),
            (1...16).contains(kdf.p), let nonceBytes = envelope.nonce.flatMap({ Data(base64Encoded: $0) }),
            let sealed = Data(base64Encoded: envelope.ciphertext), sealed.count >= 16
        else { throw KeyBundleError(.malformed, "the bundle's kdf, nonce or ciphertext is malformed") }
        let key = try derive(passphrase, kdf)
        let plaintext: Data
        do {
            let box = try AES.GCM.SealedBox(
                nonce: AES.GCM.Nonce(data: nonceBytes), ciphertext: sealed.dropLast(16), tag: sealed.suffix(16))
            plaintext = try AES.GCM.open(box, using: key, authenticating: envelope.associatedData)
        } catch {
            throw KeyBundleError(.wrongSecret, "the passphrase does not open this bundle (or the bundle was changed)")
        }
        return try decodePlaintext(plaintext)
    }

    /// Opens a bundle sealed to a public key with the supervisor's private key (`identity`: PEM, base64 or raw).
    public static func open(_ data: Data, identity: Data) throws(KeyBundleError) -> KeyBundle {
        let envelope = try envelope(data)
        guard let recipient = envelope.recipient else {
            throw KeyBundleError(.wrongProtection, "the bundle is sealed to a passphrase, not to a public key")
        }
        let privateKey = try X25519KeyText.privateKey(identity)
        guard X25519KeyText.fingerprint(privateKey.publicKey) == recipient.fingerprint else {
            throw KeyBundleError(
                .wrongSecret, "the bundle is sealed to the key \(recipient.fingerprint), not to this identity")
        }
        guard recipient.suite == suiteName, let encapsulated = Data(base64Encoded: recipient.encapsulatedKey),
            let sealed = Data(base64Encoded: envelope.ciphertext)
        else { throw KeyBundleError(.malformed, "the bundle's recipient or ciphertext is malformed") }
        let plaintext: Data
        do {
            var receiver = try HPKE.Recipient(
                privateKey: privateKey, ciphersuite: suite, info: info, encapsulatedKey: encapsulated)
            plaintext = try receiver.open(sealed, authenticating: envelope.associatedData)
        } catch {
            throw KeyBundleError(.wrongSecret, "the identity does not open this bundle (or the bundle was changed)")
        }
        return try decodePlaintext(plaintext)
    }

    // MARK: Helpers

    private struct Plaintext: Codable {
        var files: [File]
    }

    private func plaintextBytes() throws(KeyBundleError) -> Data {
        guard let data = try? Self.encoder.encode(Plaintext(files: files)) else {
            throw KeyBundleError(.malformed, "cannot encode the key files")
        }
        return data
    }

    private static func decodePlaintext(_ data: Data) throws(KeyBundleError) -> KeyBundle {
        guard let plaintext = try? JSONDecoder().decode(Plaintext.self, from: data) else {
            throw KeyBundleError(.malformed, "the bundle's content is malformed")
        }
        return KeyBundle(files: plaintext.files)
    }

    private static func derive(_ passphrase: String, _ kdf: KDF) throws(KeyBundleError) -> SymmetricKey {
        guard let salt = Data(base64Encoded: kdf.salt), salt.count >= 16 else {
            throw KeyBundleError(.malformed, "the bundle's salt is malformed")
        }
        do {
            return try _CryptoExtras.KDF.Scrypt.deriveKey(
                from: Data(passphrase.utf8), salt: salt, outputByteCount: 32, rounds: kdf.n, blockSize: kdf.r,
                parallelism: kdf.p)
        } catch {
            throw KeyBundleError(.malformed, "scrypt refused the bundle's parameters")
        }
    }

    private static func bytes(_ envelope: Envelope) throws(KeyBundleError) -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
        guard let data = try? encoder.encode(envelope) else { throw KeyBundleError(.malformed, "cannot encode") }
        return data + Data("\n".utf8)
    }

    static func stamp(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.string(from: date)
    }

    static func randomBytes(_ count: Int) -> Data {
        SymmetricKey(size: .init(bitCount: count * 8)).withUnsafeBytes { Data($0) }
    }
}

/// Why a key bundle could not be made, opened or restored. Never holds key material or the passphrase.
public struct KeyBundleError: Error, Sendable, Hashable, CustomStringConvertible {
    /// Stable codes.
    public enum Code: String, Sendable, Hashable, CaseIterable {
        /// The passphrase or the identity does not open the bundle, or the bundle was changed.
        case wrongSecret = "keys.wrong_secret"
        /// The bundle is sealed the other way (passphrase vs public key).
        case wrongProtection = "keys.wrong_protection"
        /// Not a key bundle, or a damaged one.
        case malformed = "keys.malformed"
        /// A bundle of a later version.
        case unsupported = "keys.unsupported"
        /// An empty passphrase, or passphrases that differ.
        case badSecret = "keys.bad_secret"
        /// A recipient or identity file that holds no X25519 key.
        case badKey = "keys.bad_key"
        /// A key file already exists where restore would write, with different content.
        case fileDiffers = "keys.file_differs"
        /// A key file could not be read or written.
        case fileAccess = "keys.file_access"
        /// No key file to back up.
        case nothingToBackUp = "keys.nothing_to_back_up"
        /// The bundle's store key lacks a key the store on this machine needs: it was made before a key rotation.
        case staleBackup = "keys.stale_backup"
    }

    public let code: Code
    /// For the technician: which file or field, and why.
    public let reason: String
    /// The file concerned, when there is one.
    public let file: String?

    public init(_ code: Code, _ reason: String, file: String? = nil) {
        self.code = code
        self.reason = reason
        self.file = file
    }

    public var description: String { "\(code.rawValue): \(reason)" }
}

/// X25519 keys as supervisors hold them: PEM (`openssl genpkey -algorithm X25519`; `openssl pkey -pubout`), base64
/// of the raw 32 bytes, or the raw 32 bytes.
public enum X25519KeyText {
    // DER prefixes of SubjectPublicKeyInfo and PKCS#8 for X25519 (RFC 8410), each followed by the 32 key bytes.
    private static let publicPrefix: [UInt8] = [0x30, 0x2A, 0x30, 0x05, 0x06, 0x03, 0x2B, 0x65, 0x6E, 0x03, 0x21, 0x00]
    private static let privatePrefix: [UInt8] = [
        0x30, 0x2E, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2B, 0x65, 0x6E, 0x04, 0x22, 0x04, 0x20,
    ]

    /// The raw key bytes in `text`.
    static func raw(_ text: Data, prefix: [UInt8], what: String) throws(KeyBundleError) -> Data {
        if text.count == 32 { return text }
        let string = String(decoding: text, as: UTF8.self)
        let body = string.split(whereSeparator: \.isNewline).filter { !$0.hasPrefix("-----") }.joined()
        guard let bytes = Data(base64Encoded: body.trimmingCharacters(in: .whitespaces)) else {
            throw KeyBundleError(.badKey, "the \(what) file holds no X25519 key (PEM or base64)")
        }
        if bytes.count == 32 { return bytes }
        guard bytes.count == prefix.count + 32, Array(bytes.prefix(prefix.count)) == prefix else {
            throw KeyBundleError(.badKey, "the \(what) file holds a key that is not X25519")
        }
        return bytes.suffix(32)
    }

    /// The public key in `text`.
    public static func publicKey(_ text: Data) throws(KeyBundleError) -> Curve25519.KeyAgreement.PublicKey {
        let bytes = try raw(text, prefix: publicPrefix, what: "recipient")
        guard let key = try? Curve25519.KeyAgreement.PublicKey(rawRepresentation: bytes) else {
            throw KeyBundleError(.badKey, "the recipient file holds no X25519 public key")
        }
        return key
    }

    /// The private key in `text`.
    public static func privateKey(_ text: Data) throws(KeyBundleError) -> Curve25519.KeyAgreement.PrivateKey {
        let bytes = try raw(text, prefix: privatePrefix, what: "identity")
        guard let key = try? Curve25519.KeyAgreement.PrivateKey(rawRepresentation: bytes) else {
            throw KeyBundleError(.badKey, "the identity file holds no X25519 private key")
        }
        return key
    }

    /// SHA-256 of the raw public key, lower-case hex.
    public static func fingerprint(_ key: Curve25519.KeyAgreement.PublicKey) -> String {
        SHA256.hash(data: key.rawRepresentation).map { String(format: "%02x", $0) }.joined()
    }
}
