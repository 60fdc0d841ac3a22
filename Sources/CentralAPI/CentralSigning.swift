import Crypto
import Foundation

/// The central's public keys as a station pins them: an Ed25519 key that signs the central's answers (and, later,
/// the CSCA master lists of the status sync and the provisioning files of offline stations), and the X25519 key
/// item envelopes are sealed to. A technician confirms `fingerprint` before the station pins them.
public struct CentralKeys: Sendable, Hashable, Codable {
    /// Raw 32-byte Ed25519 public key: verifies everything the central signs.
    public var signingKey: Data
    /// Raw 32-byte X25519 public key: item envelopes are sealed to it (HPKE).
    public var encryptionKey: Data

    /// Creates a value.
    public init(signingKey: Data, encryptionKey: Data) {
        self.signingKey = signingKey
        self.encryptionKey = encryptionKey
    }

    /// Lower-case hex SHA-256 of `"issuance-station/central-keys/v1" ‖ 0 ‖ signing key ‖ encryption key`: one
    /// value that names both keys, printed by the central and typed (or pasted) by the technician.
    public var fingerprint: String {
        var bytes = Data("issuance-station/central-keys/v1\u{0}".utf8)
        bytes.append(signingKey)
        bytes.append(encryptionKey)
        return ItemEnvelope.hash(bytes)
    }

    /// The fingerprint in groups of four for reading aloud: `ab12 cd34 …`.
    public var displayFingerprint: String { Self.grouped(fingerprint) }

    /// Key id carried in answers (`x-central-key-id`): the first 16 hex digits of the signing key's SHA-256.
    public var signingKeyID: String { CentralSigning.keyID(signingKey) }

    /// The fingerprint as typed by a person: spaces, colons and dashes dropped, lower case. nil when it is not
    /// 64 hex digits.
    public static func normalizedFingerprint(_ text: String) -> String? {
        let kept = text.lowercased().filter { !" :-\t".contains($0) }
        guard kept.count == 64, kept.allSatisfy(\.isHexDigit) else { return nil }
        return kept
    }

    static func grouped(_ hex: String) -> String {
        stride(from: 0, to: hex.count, by: 4).map { start -> String in
            let from = hex.index(hex.startIndex, offsetBy: start)
            return String(hex[from..<hex.index(from, offsetBy: min(4, hex.count - start))])
        }.joined(separator: " ")
    }
}

/// Signatures made by the central. Every signed thing starts with a domain tag, so a signature made for one use
/// (an answer) never verifies as another (a master list, a provisioning file).
///
/// Answers: the central signs every answer with `x-central-signature` (base64 Ed25519) and `x-central-key-id`,
/// over `"ISA1\n" METHOD "\n" PATH-WITH-QUERY "\n" STATION "\n" REQUEST-NONCE "\n" STATUS "\n" SHA256(BODY)`,
/// STATION and REQUEST-NONCE being the request's `x-station-id` and `x-nonce` (empty when absent). Binding the
/// request nonce means an answer recorded earlier cannot be replayed to a later request.
public enum CentralSigning {
    /// Answer header names (lower case).
    public enum Header {
        /// Base64 Ed25519 signature of the answer.
        public static let signature = "x-central-signature"
        /// `CentralKeys.signingKeyID` of the key that signed.
        public static let keyID = "x-central-key-id"
    }

    /// Domain tags of what the central signs.
    public enum Domain {
        /// Answers to station requests.
        public static let answer = "ISA1"
        /// CSCA master lists delivered through the status sync (`DeliveredMasterList`).
        public static let masterList = "issuance-station/master-list/v1"
        /// Provisioning files for stations enrolled offline (reserved).
        public static let provisioning = "issuance-station/provisioning/v1"
    }

    /// The first 16 hex digits of a raw signing key's SHA-256.
    public static func keyID(_ signingKey: Data) -> String { String(ItemEnvelope.hash(signingKey).prefix(16)) }

    /// The bytes signed for an answer.
    public static func answerMessage(
        method: String, path: String, station: String, nonce: String, status: Int, body: Data
    ) -> Data {
        Data(
            "\(Domain.answer)\n\(method.uppercased())\n\(path)\n\(station)\n\(nonce)\n\(status)\n\(ItemEnvelope.hash(body))"
                .utf8)
    }

    /// The bytes signed for a document (master list, provisioning file): the domain tag, a zero byte, the bytes.
    public static func documentMessage(domain: String, _ bytes: Data) -> Data { Data((domain + "\u{0}").utf8) + bytes }

    /// Signs a master list for delivery through the status sync.
    public static func signMasterList(_ list: Data, key: Curve25519.Signing.PrivateKey) throws -> DeliveredMasterList {
        let signature = try key.signature(for: documentMessage(domain: Domain.masterList, list))
        return DeliveredMasterList(list: list, signature: Data(signature))
    }

    /// Why a delivered master list is not the central's (nil: the pinned key signed it).
    public static func masterListProblem(_ delivered: DeliveredMasterList, pinned: Data) -> String? {
        guard let key = try? Curve25519.Signing.PublicKey(rawRepresentation: pinned) else {
            return "the pinned central signing key is malformed"
        }
        let message = documentMessage(domain: Domain.masterList, delivered.list)
        return key.isValidSignature(delivered.signature, for: message)
            ? nil : "the master list's signature does not verify under the pinned central key"
    }

    /// Headers signing an answer.
    public static func answerHeaders(
        method: String, path: String, station: String, nonce: String, status: Int, body: Data,
        key: Curve25519.Signing.PrivateKey
    ) throws -> [(String, String)] {
        let message = answerMessage(
            method: method, path: path, station: station, nonce: nonce, status: status, body: body)
        let signature = try key.signature(for: message)
        return [
            (Header.signature, Data(signature).base64EncodedString()),
            (Header.keyID, keyID(key.publicKey.rawRepresentation)),
        ]
    }

    /// Why an answer is not authentic (nil: it is).
    public static func answerProblem(
        method: String, path: String, station: String, nonce: String, status: Int, body: Data,
        headers: (String) -> String?, pinned: Data
    ) -> String? {
        guard let text = headers(Header.signature), let signature = Data(base64Encoded: text) else {
            return "the central's answer is not signed"
        }
        guard let key = try? Curve25519.Signing.PublicKey(rawRepresentation: pinned) else {
            return "the pinned central signing key is malformed"
        }
        if let id = headers(Header.keyID), id != keyID(pinned) {
            return "the answer is signed by central key \(id), not the pinned key \(keyID(pinned))"
        }
        let message = answerMessage(
            method: method, path: path, station: station, nonce: nonce, status: status, body: body)
        return key.isValidSignature(signature, for: message)
            ? nil : "the central's answer signature does not verify under the pinned key"
    }
}
