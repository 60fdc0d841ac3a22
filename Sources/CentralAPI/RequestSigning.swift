import Crypto
import Foundation

/// Signed requests: every call after enrollment carries the station id, a timestamp, a random nonce, the body's
/// SHA-256 and an Ed25519 signature over all of them with the method and path. The receiver checks the signature
/// against the enrolled key, the timestamp against a window, and the nonce against those seen in the window, so
/// a captured request cannot be replayed.
public enum RequestSigning {
    /// Header names (lower case).
    public enum Header {
        public static let station = "x-station-id"
        public static let timestamp = "x-timestamp"
        public static let nonce = "x-nonce"
        public static let contentHash = "x-content-sha256"
        public static let signature = "x-signature"
    }

    /// Accepted clock difference, in seconds, either way.
    public static let window: TimeInterval = 300

    /// The bytes that are signed.
    public static func message(
        method: String, path: String, station: String, timestamp: Int64, nonce: String, contentHash: String
    ) -> Data {
        Data("ISR1\n\(method.uppercased())\n\(path)\n\(station)\n\(timestamp)\n\(nonce)\n\(contentHash)".utf8)
    }

    /// The headers for a request.
    public static func headers(
        method: String, path: String, body: Data, station: String, key: Curve25519.Signing.PrivateKey,
        now: Date = Date()
    ) throws -> [(String, String)] {
        let timestamp = Int64((now.timeIntervalSince1970 * 1000).rounded())
        var nonceBytes = [UInt8](repeating: 0, count: 16)
        for i in nonceBytes.indices { nonceBytes[i] = UInt8.random(in: 0...255) }
        let nonce = ItemEnvelope.hex(nonceBytes)
        let contentHash = ItemEnvelope.hash(body)
        let signature = try key.signature(
            for: message(
                method: method, path: path, station: station, timestamp: timestamp, nonce: nonce,
                contentHash: contentHash))
        return [
            (Header.station, station), (Header.timestamp, String(timestamp)), (Header.nonce, nonce),
            (Header.contentHash, contentHash), (Header.signature, Data(signature).base64EncodedString()),
        ]
    }

    /// What a verified request carried.
    public struct Verified: Sendable, Hashable {
        /// The station.
        public let station: String
        /// The nonce (for the replay store).
        public let nonce: String
        /// The timestamp, milliseconds.
        public let timestamp: Int64
    }

    /// Checks a request's headers and body. `lookupKey` returns the station's enrolled key (nil: unknown
    /// station); `nonceIsFresh` records the nonce and returns false when it was seen before. Throws a
    /// `CentralError` naming the failed check.
    public static func verify(
        method: String, path: String, headers: (String) -> String?, body: Data, now: Date = Date(),
        lookupKey: (String) throws -> Curve25519.Signing.PublicKey?,
        nonceIsFresh: (String, String, Int64) throws -> Bool
    ) throws -> Verified {
        guard let station = headers(Header.station), let contentHash = headers(Header.contentHash) else {
            throw CentralError(.unauthenticated, "signed-request headers missing or malformed")
        }
        guard contentHash == ItemEnvelope.hash(body) else {
            guard try lookupKey(station) != nil else {
                throw CentralError(.unknownStation, "station \(station) is not enrolled")
            }
            throw CentralError(.badSignature, "the body does not match its signed hash")
        }
        return try verifyHeaders(
            method: method, path: path, headers: headers, now: now, lookupKey: lookupKey, nonceIsFresh: nonceIsFresh
        ).verified
    }

    /// Checks a request's headers before its body is read (streamed uploads): station, signature over the
    /// signed body hash, time window and nonce. Returns the signed body hash: the caller MUST compare it with the
    /// hash of the body it reads and drop the request on a mismatch.
    public static func verifyHeaders(
        method: String, path: String, headers: (String) -> String?, now: Date = Date(),
        lookupKey: (String) throws -> Curve25519.Signing.PublicKey?,
        nonceIsFresh: (String, String, Int64) throws -> Bool
    ) throws -> (verified: Verified, contentHash: String) {
        guard let station = headers(Header.station), let timestampText = headers(Header.timestamp),
            let timestamp = Int64(timestampText), let nonce = headers(Header.nonce), nonce.count == 32,
            let contentHash = headers(Header.contentHash), let signatureText = headers(Header.signature),
            let signature = Data(base64Encoded: signatureText)
        else { throw CentralError(.unauthenticated, "signed-request headers missing or malformed") }
        guard let key = try lookupKey(station) else {
            throw CentralError(.unknownStation, "station \(station) is not enrolled")
        }
        let signed = message(
            method: method, path: path, station: station, timestamp: timestamp, nonce: nonce,
            contentHash: contentHash)
        guard key.isValidSignature(signature, for: signed) else {
            throw CentralError(.badSignature, "the request signature does not verify for station \(station)")
        }
        let skew = abs(now.timeIntervalSince1970 - Double(timestamp) / 1000)
        guard skew <= window else {
            throw CentralError(.staleRequest, "request time is \(Int(skew)) s away from the receiver's clock")
        }
        guard try nonceIsFresh(station, nonce, timestamp) else {
            throw CentralError(.replayedRequest, "this request was already received (nonce reused)")
        }
        return (Verified(station: station, nonce: nonce, timestamp: timestamp), contentHash)
    }
}
