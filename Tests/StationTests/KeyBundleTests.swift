import Crypto
import Foundation
import Station
import Testing

/// The key bundle's envelope: round trips to a passphrase and to a public key; a wrong secret or any change
/// refused with a stable code; restore refuses to overwrite a different key file and writes nothing then.
struct KeyBundleTests {
    static let bundle = KeyBundle(files: [
        .init(role: "store.key_file", name: "queue.key", content: Data(#"{"version":1}"#.utf8)),
        .init(role: "uplink.station_key", name: "station.key", content: Data((0..<32).map { UInt8($0) })),
    ])

    @Test func roundTripsToAPassphraseAndRefusesAWrongOneOrAnyChange() throws {
        let sealed = try Self.bundle.seal(passphrase: "mật khẩu dài", station: "station-16001-a")
        #expect(try KeyBundle.open(sealed, passphrase: "mật khẩu dài") == Self.bundle)
        let envelope = try KeyBundle.envelope(sealed)
        #expect(envelope.format == "stationd-keys" && envelope.version == 1 && envelope.station == "station-16001-a")
        #expect(envelope.kdf?.name == "scrypt" && envelope.kdf?.n == 1 << 15 && envelope.recipient == nil)
        #expect(
            !String(decoding: sealed, as: UTF8.self).contains(Data((0..<32).map { UInt8($0) }).base64EncodedString()))

        #expect(Self.code { try KeyBundle.open(sealed, passphrase: "mật khẩu sai") } == .wrongSecret)
        // A changed header (the station) or a changed ciphertext byte: refused, as a wrong passphrase.
        var other = envelope
        other.station = "station-16001-b"
        #expect(Self.code { try KeyBundle.open(try Self.encode(other), passphrase: "mật khẩu dài") } == .wrongSecret)
        var flipped = envelope
        var bytes = try #require(Data(base64Encoded: flipped.ciphertext))
        bytes[3] ^= 0x01
        flipped.ciphertext = bytes.base64EncodedString()
        #expect(Self.code { try KeyBundle.open(try Self.encode(flipped), passphrase: "mật khẩu dài") } == .wrongSecret)
        var later = envelope
        later.version = 2
        #expect(Self.code { try KeyBundle.open(try Self.encode(later), passphrase: "mật khẩu dài") } == .unsupported)
        #expect(Self.code { try KeyBundle.open(Data("{}".utf8), passphrase: "x") } == .malformed)
        #expect(Self.code { _ = try Self.bundle.seal(passphrase: "", station: "s") } == .badSecret)
    }

    @Test func roundTripsToASupervisorsPublicKeyInPEM() throws {
        let supervisor = Curve25519.KeyAgreement.PrivateKey()
        let publicPEM = Self.pem(
            "PUBLIC KEY", [0x30, 0x2A, 0x30, 0x05, 0x06, 0x03, 0x2B, 0x65, 0x6E, 0x03, 0x21, 0x00],
            supervisor.publicKey.rawRepresentation)
        let privatePEM = Self.pem(
            "PRIVATE KEY",
            [0x30, 0x2E, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2B, 0x65, 0x6E, 0x04, 0x22, 0x04, 0x20],
            supervisor.rawRepresentation)
        let sealed = try Self.bundle.seal(recipientKey: Data(publicPEM.utf8), station: "station-1")
        let envelope = try KeyBundle.envelope(sealed)
        #expect(envelope.recipient?.fingerprint == X25519KeyText.fingerprint(supervisor.publicKey))
        #expect(envelope.kdf == nil && envelope.nonce == nil)
        #expect(try KeyBundle.open(sealed, identity: Data(privatePEM.utf8)) == Self.bundle)
        #expect(try KeyBundle.open(sealed, identity: supervisor.rawRepresentation.base64EncodedData()) == Self.bundle)
        let stranger = Curve25519.KeyAgreement.PrivateKey().rawRepresentation
        #expect(Self.code { try KeyBundle.open(sealed, identity: stranger) } == .wrongSecret)
        #expect(Self.code { try KeyBundle.open(sealed, passphrase: "x") } == .wrongProtection)
        var flipped = envelope
        flipped.createdAt = "2020-01-01T00:00:00Z"
        #expect(
            Self.code { try KeyBundle.open(try Self.encode(flipped), identity: supervisor.rawRepresentation) }
                == .wrongSecret)
        #expect(Self.code { _ = try Self.bundle.seal(recipientKey: Data("nonsense".utf8), station: "s") } == .badKey)
    }

    @Test func restoreRefusesADifferentKeyFileAndWritesNothing() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("keybundle-\(getpid())").path
        try? FileManager.default.removeItem(atPath: folder)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try FileManager.default.createDirectory(atPath: folder + "/uplink", withIntermediateDirectories: true)
        let configuration = try StationConfiguration.load(
            file: nil,
            environment: [
                "STATIOND_STORE_DATABASE": folder + "/queue.sqlite", "STATIOND_STORE_KEY_FILE": folder + "/queue.key",
                "STATIOND_UPLINK_STATE": folder + "/uplink",
            ])
        #expect(configuration.keyFilePath == folder + "/queue.key")
        // A different station.key is already there: refused naming it, and queue.key is not written either.
        #expect(FileManager.default.createFile(atPath: folder + "/uplink/station.key", contents: Data([1, 2, 3])))
        let files = StationKeyFiles(configuration)
        do {
            _ = try files.restore(Self.bundle)
            Issue.record("restored over a different key file")
        } catch {
            #expect(error.code == .fileDiffers && error.file == folder + "/uplink/station.key")
        }
        #expect(!FileManager.default.fileExists(atPath: folder + "/queue.key"))
        try FileManager.default.removeItem(atPath: folder + "/uplink/station.key")
        let outcome = try files.restore(Self.bundle)
        #expect(outcome.map(\.outcome) == [.written, .written])
        var info = stat()
        #expect(stat(folder + "/queue.key", &info) == 0 && info.st_mode & 0o777 == 0o600)
        #expect(try files.restore(Self.bundle).map(\.outcome) == [.alreadyThere, .alreadyThere])
        #expect(try files.collect() == Self.bundle)
    }

    static func code(_ body: () throws -> Any) -> KeyBundleError.Code? {
        do {
            _ = try body()
            return nil
        } catch {
            return (error as? KeyBundleError)?.code
        }
    }

    static func encode(_ envelope: KeyBundle.Envelope) throws -> Data { try JSONEncoder().encode(envelope) }

    static func pem(_ label: String, _ prefix: [UInt8], _ key: Data) -> String {
        "-----BEGIN \(label)-----\n\((Data(prefix) + key).base64EncodedString())\n-----END \(label)-----\n"
    }
}
