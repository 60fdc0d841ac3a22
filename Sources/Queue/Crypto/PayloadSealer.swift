import Crypto
import Foundation
import Intake

/// Seals application payloads (all personal data and biometrics) with AES-256-GCM, and derives the keyed
/// hash of the ID number that the store keeps in clear for duplicate detection.
///
/// The associated data binds each ciphertext to its application id and key id, so a sealed payload moved to
/// another row does not open.
struct PayloadSealer: Sendable {
    let keys: KeyRing

    /// A fixed message whose MAC under each data key is stored in the database, so that opening a store with
    /// the wrong key file fails at once with `queue.wrong_key` instead of failing later row by row.
    static let keyCheckMessage = Data("issuance-station/queue/key-check/v1".utf8)

    func keyCheck(keyID: Int) -> Data? {
        guard let key = keys.key(id: keyID) else { return nil }
        return Data(HMAC<SHA256>.authenticationCode(for: PayloadSealer.keyCheckMessage, using: key))
    }

    /// Check value of the index key (stored under key id 0).
    func indexKeyCheck() -> Data {
        Data(HMAC<SHA256>.authenticationCode(for: PayloadSealer.keyCheckMessage, using: keys.indexKey))
    }

    /// `HMAC-SHA256(indexKey, "cccd:" + digits)`.
    func citizenHash(_ id: CitizenID) -> Data {
        Data(HMAC<SHA256>.authenticationCode(for: Data(("cccd:" + id.digits).utf8), using: keys.indexKey))
    }

    func seal(_ plaintext: Data, context: String) throws(QueueError) -> (keyID: Int, sealed: Data) {
        let aad = Data("\(context)|k\(keys.currentKeyID)".utf8)
        do {
            let box = try AES.GCM.seal(plaintext, using: keys.currentKey, authenticating: aad)
            guard let combined = box.combined else { throw QueueError(.storage, "cannot seal payload") }
            return (keys.currentKeyID, combined)
        } catch let error as QueueError {
            throw error
        } catch {
            throw QueueError(.storage, "cannot seal payload")
        }
    }

    func open(_ sealed: Data, keyID: Int, context: String) throws(QueueError) -> Data {
        guard let key = keys.key(id: keyID) else {
            throw QueueError(.wrongKey, "payload sealed with key id \(keyID), which the key file lacks")
        }
        let aad = Data("\(context)|k\(keyID)".utf8)
        do {
            return try AES.GCM.open(AES.GCM.SealedBox(combined: sealed), using: key, authenticating: aad)
        } catch {
            throw QueueError(.corruptPayload, "payload does not authenticate")
        }
    }

    /// Binary property lists keep images and fingerprint records as raw bytes (JSON would grow them a third
    /// with base64). Format tag stored in the first byte of the plaintext so the encoding can change later.
    static let formatBinaryPlist: UInt8 = 1

    func sealApplication(_ application: Application) throws(QueueError) -> (keyID: Int, sealed: Data) {
        var plaintext = Data([PayloadSealer.formatBinaryPlist])
        do {
            let encoder = PropertyListEncoder()
            encoder.outputFormat = .binary
            plaintext.append(try encoder.encode(application))
        } catch {
            throw QueueError(.storage, "cannot encode application")
        }
        return try seal(plaintext, context: "app:" + application.id.text)
    }

    func openApplication(_ sealed: Data, keyID: Int, id: ApplicationID) throws(QueueError) -> Application {
        let plaintext = try open(sealed, keyID: keyID, context: "app:" + id.text)
        guard plaintext.first == PayloadSealer.formatBinaryPlist,
            let application = try? PropertyListDecoder().decode(Application.self, from: plaintext.dropFirst()),
            application.id == id
        else {
            throw QueueError(.corruptPayload, "payload does not decode to this application")
        }
        return application
    }
}
