import Crypto
import Foundation

/// One application as it travels: compressed canonical bytes, signed by the station (Ed25519), then sealed with
/// HPKE (RFC 9180, DHKEM X25519 / HKDF-SHA256 / ChaCha20-Poly1305, base mode) to the central's public key.
///
/// Layout: `"ISE1"` ‖ u16 big-endian length of the encapsulated key ‖ encapsulated key ‖ HPKE ciphertext.
/// HPKE plaintext: 64-byte signature ‖ zlib data. The signature covers a domain tag, the station id, the
/// application id and the SHA-256 of the zlib data; the HPKE associated data binds station and application id,
/// so an envelope moved to another application or station does not open.
public enum ItemEnvelope {
    static let magic = Data("ISE1".utf8)
    static let info = Data("issuance-station/item/v1".utf8)
    /// The HPKE suite.
    public static var suite: HPKE.Ciphersuite { .Curve25519_SHA256_ChachaPoly }

    static func associatedData(station: String, application: String) -> Data {
        Data("\(station)|\(application)".utf8)
    }

    static func signedMessage(station: String, application: String, compressed: Data) -> Data {
        var message = Data("issuance-station/item-signature/v1\u{0}\(station)\u{0}\(application)\u{0}".utf8)
        message.append(contentsOf: SHA256.hash(data: compressed))
        return message
    }

    /// Packages `canonical` (the application's canonical bytes).
    public static func seal(
        _ canonical: Data, application: String, station: String, signingKey: Curve25519.Signing.PrivateKey,
        centralKey: Curve25519.KeyAgreement.PublicKey
    ) throws(CentralError) -> Data {
        let compressed = try Deflate.compress(canonical)
        do {
            let signature = try signingKey.signature(
                for: signedMessage(station: station, application: application, compressed: compressed))
            var sender = try HPKE.Sender(recipientKey: centralKey, ciphersuite: suite, info: info)
            let ciphertext = try sender.seal(
                Data(signature) + compressed,
                authenticating: associatedData(station: station, application: application))
            var envelope = magic
            let encapsulated = sender.encapsulatedKey
            envelope.append(UInt8(encapsulated.count >> 8))
            envelope.append(UInt8(encapsulated.count & 0xFF))
            envelope.append(encapsulated)
            envelope.append(ciphertext)
            return envelope
        } catch {
            throw CentralError(.packaging, "cannot seal the application envelope")
        }
    }

    /// Opens an envelope: decrypts with the central's private key, checks the station signature, inflates.
    /// Throws `central.bad_envelope` for any failure (without saying which step, to give nothing away).
    public static func open(
        _ envelope: Data, application: String, station: String, stationKey: Curve25519.Signing.PublicKey,
        centralKey: Curve25519.KeyAgreement.PrivateKey
    ) throws(CentralError) -> Data {
        let bytes = [UInt8](envelope)
        guard bytes.count > 6, Data(bytes[0..<4]) == magic else {
            throw CentralError(.badEnvelope, "not an item envelope")
        }
        let length = Int(bytes[4]) << 8 | Int(bytes[5])
        guard bytes.count > 6 + length else { throw CentralError(.badEnvelope, "truncated envelope") }
        let encapsulated = Data(bytes[6..<(6 + length)])
        let ciphertext = Data(bytes[(6 + length)...])
        let plaintext: Data
        do {
            var recipient = try HPKE.Recipient(
                privateKey: centralKey, ciphersuite: suite, info: info, encapsulatedKey: encapsulated)
            plaintext = try recipient.open(
                ciphertext, authenticating: associatedData(station: station, application: application))
        } catch {
            throw CentralError(.badEnvelope, "the envelope does not decrypt for this station and application")
        }
        guard plaintext.count > 64 else { throw CentralError(.badEnvelope, "envelope too short") }
        let signature = plaintext.prefix(64)
        let compressed = plaintext.dropFirst(64)
        guard
            stationKey.isValidSignature(
                signature, for: signedMessage(station: station, application: application, compressed: Data(compressed)))
        else { throw CentralError(.badEnvelope, "the station signature does not verify") }
        return try Deflate.decompress(Data(compressed))
    }

    /// Lower-case hex SHA-256, the hash used in manifests.
    public static func hash(_ data: Data) -> String { hex(SHA256.hash(data: data)) }

    /// Lower-case hex of bytes.
    public static func hex<D: Sequence>(_ bytes: D) -> String where D.Element == UInt8 {
        bytes.map { String(format: "%02x", $0) }.joined()
    }
}
