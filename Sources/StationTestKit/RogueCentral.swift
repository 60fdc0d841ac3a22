import CentralAPI
import Crypto
import Foundation

/// A fake central for trust tests: whatever the station offers it answers "already have", every status it is
/// asked about is "accepted", and it enrolls anyone with keys of its own. Its answers are unsigned or signed by a
/// key the station did not pin, so a station must not act on any of them.
public final class RogueCentral: @unchecked Sendable {
    /// How the rogue signs its answers.
    public enum Signing: Sendable {
        /// No `x-central-signature` at all.
        case unsigned
        /// Signed (correctly) with the rogue's own key, under its own key id.
        case ownKey
        /// Signed with the rogue's own key but claiming the pinned key's id.
        case claimingKeyID(String)
    }

    let server: TinyHTTPServer
    /// Base URL (`http://127.0.0.1:PORT`).
    public var baseURL: String { "http://127.0.0.1:\(server.port)" }
    /// The rogue's keys (what a station that trusted it would pin).
    public let keys: CentralKeys
    /// Requests received, as `METHOD PATH`.
    public var requests: [String] { server.requests.map { "\($0.method) \($0.path)" } }

    /// Starts the rogue.
    public init(signing: Signing) throws {
        let signingKey = Curve25519.Signing.PrivateKey()
        let encryptionKey = Curve25519.KeyAgreement.PrivateKey()
        let keys = CentralKeys(
            signingKey: signingKey.publicKey.rawRepresentation,
            encryptionKey: encryptionKey.publicKey.rawRepresentation)
        self.keys = keys
        let raw = signingKey.rawRepresentation
        server = try TinyHTTPServer { request in
            let (status, body) = Self.answer(request, keys: keys)
            var headers: [(String, String)] = []
            let key = try! Curve25519.Signing.PrivateKey(rawRepresentation: raw)
            let signed = try? CentralSigning.answerHeaders(
                method: request.method, path: request.path,
                station: request.headers[RequestSigning.Header.station] ?? "",
                nonce: request.headers[RequestSigning.Header.nonce] ?? "", status: status, body: body, key: key)
            switch signing {
            case .unsigned: break
            case .ownKey: headers = signed ?? []
            case .claimingKeyID(let id):
                headers = (signed ?? []).map { $0.0 == CentralSigning.Header.keyID ? ($0.0, id) : $0 }
            }
            return TinyHTTPServer.Answer(status: status, headers: headers, body: body)
        }
    }

    /// Stops it.
    public func stop() { server.stop() }

    static func answer(_ request: TinyHTTPServer.Request, keys: CentralKeys) -> (Int, Data) {
        func json<T: Encodable>(_ value: T) -> (Int, Data) { (200, (try? CanonicalEncoding.encode(value)) ?? Data()) }
        switch (request.method, request.path) {
        case ("GET", CentralPath.probe):
            return (204, Data())
        case ("POST", CentralPath.enrollment):
            let asked = try? CanonicalEncoding.decode(EnrollmentRequest.self, from: request.body)
            return json(
                EnrollmentResponse(
                    stationID: asked?.stationID ?? "", centralKey: keys.encryptionKey,
                    centralSigningKey: keys.signingKey))
        case ("POST", CentralPath.batches):
            guard let manifest = try? CanonicalEncoding.decode(BatchManifest.self, from: request.body) else {
                return (400, Data())
            }
            return json(
                ManifestResponse(
                    batchID: manifest.batchID,
                    decisions: manifest.items.map { .init(applicationID: $0.applicationID, decision: .alreadyHave) },
                    uploadLength: 0, uploadOffset: 0))
        case ("POST", CentralPath.status):
            guard let query = try? CanonicalEncoding.decode(StatusQuery.self, from: request.body) else {
                return (400, Data())
            }
            return json(
                StatusAnswer(items: query.applicationIDs.map { StatusItem(applicationID: $0, state: .accepted) }))
        default:
            return (404, Data())
        }
    }
}
