import Crypto
import Foundation

/// The central's provisioning file for one station: offline enrollment where the station cannot reach the central
/// when it is installed. The central (`central-receiver provision`) writes it; `stationctl enroll --from-file` hands
/// it to the daemon, which checks it and pins the central's keys exactly as an online enrollment does
/// (`EnrollmentResponse`, the technician's confirmed fingerprint); the station's own signing key is registered with
/// the one-time `token` at its first connection (`EnrollmentRequest`, as online), and its answer must come from the
/// pinned keys.
///
/// Every field is signed on its own by the central's signing key (`signatures[field]`, Ed25519 over
/// `"issuance-station/provisioning/v1" ‖ 0 ‖ fileID ‖ 0 ‖ field ‖ 0 ‖ value`; the signing key's own signature
/// leaves out the file id), so a changed field is named, not just "the file was changed": a changed file id fails
/// every field bound to it but not the key's, another key fails the key's signature (`centralSigningKey`), and a
/// central that is not the one whose fingerprint the technician confirmed is refused by that confirmation.
public struct ProvisioningFile: Sendable, Hashable, Codable {
    /// `format`'s value.
    public static let formatName = "issuance-station/provisioning"
    /// The version this build writes and reads.
    public static let currentVersion = 1
    /// The fields each signed on its own (every field but `signatures`).
    public static let signedFields = [
        "centralSigningKey", "format", "version", "fileID", "stationID", "endpoint", "token", "centralKey",
        "tlsCertificate", "issuedAt", "expiresAt",
    ]

    public var format: String
    public var version: Int
    /// A random id naming this file (written down by the technician; binds every field's signature to the file).
    public var fileID: String
    /// The station the file is for (`uplink.station_id`).
    public var stationID: String
    /// The central's address (`uplink.url`).
    public var endpoint: String
    /// The one-time enrollment secret the station registers its signing key with. Never printed.
    public var token: String
    /// Raw 32-byte Ed25519 public key that signs the central's answers (and this file).
    public var centralSigningKey: Data
    /// Raw 32-byte X25519 public key item envelopes are sealed to.
    public var centralKey: Data
    /// PEM of the CA the central's TLS certificate chains to (nil: plain HTTP or the system's trust).
    public var tlsCertificate: String?
    public var issuedAt: Date
    /// After this the file is refused (`provisioning.expired`).
    public var expiresAt: Date
    /// Field name → Ed25519 signature.
    public var signatures: [String: Data]

    /// The central's keys the file pins.
    public var keys: CentralKeys { CentralKeys(signingKey: centralSigningKey, encryptionKey: centralKey) }

    /// What an online enrollment would have answered.
    public var enrollmentResponse: EnrollmentResponse {
        EnrollmentResponse(stationID: stationID, centralKey: centralKey, centralSigningKey: centralSigningKey)
    }

    /// Makes and signs a file (the central's side).
    public static func make(
        stationID: String, endpoint: String, token: String, tlsCertificate: String?, validity: TimeInterval,
        signingKey: Curve25519.Signing.PrivateKey, centralKey: Data, now: Date = Date()
    ) throws -> ProvisioningFile {
        let milliseconds = { (date: Date) in
            Date(timeIntervalSince1970: (date.timeIntervalSince1970 * 1000).rounded(.down) / 1000)
        }
        var file = ProvisioningFile(
            format: formatName, version: currentVersion,
            fileID: ItemEnvelope.hex((0..<12).map { _ in UInt8.random(in: 0...255) }), stationID: stationID,
            endpoint: endpoint, token: token, centralSigningKey: signingKey.publicKey.rawRepresentation,
            centralKey: centralKey, tlsCertificate: tlsCertificate, issuedAt: milliseconds(now),
            expiresAt: milliseconds(now.addingTimeInterval(validity)), signatures: [:])
        for field in signedFields {
            file.signatures[field] = try signingKey.signature(for: file.message(field))
        }
        return file
    }

    /// Reads and checks a file (the station's side): it decodes, its format and version are known, each field has
    /// its shape, every field's signature verifies under the file's signing key, and it has not expired. Whether the
    /// file is for this station, its central and its keys are the confirmed ones, the caller checks.
    public static func open(_ data: Data, now: Date = Date()) throws(ProvisioningError) -> ProvisioningFile {
        let file: ProvisioningFile
        do {
            file = try CanonicalEncoding.decode(ProvisioningFile.self, from: data)
        } catch let error as DecodingError {
            throw ProvisioningError(.malformed, field: Self.field(of: error), "the field is missing or malformed")
        } catch {
            throw ProvisioningError(.malformed, field: nil, "not a provisioning file (not JSON)")
        }
        guard file.format == formatName else {
            throw ProvisioningError(.unsupported, field: "format", "not a provisioning file (\(file.format))")
        }
        guard file.version == currentVersion else {
            throw ProvisioningError(.unsupported, field: "version", "version \(file.version) is not known here")
        }
        guard let verifier = try? Curve25519.Signing.PublicKey(rawRepresentation: file.centralSigningKey) else {
            throw ProvisioningError(.badField, field: "centralSigningKey", "not a raw Ed25519 public key")
        }
        let failing = signedFields.filter { field in
            guard let signature = file.signatures[field] else { return true }
            return !verifier.isValidSignature(signature, for: file.message(field))
        }
        if failing.contains("centralSigningKey") {
            throw ProvisioningError(
                .badSignature, field: "centralSigningKey", "not signed by this key: another key put in, or changed")
        }
        if failing.count == signedFields.count - 1 {
            throw ProvisioningError(
                .badSignature, field: "fileID", "the file id was changed after the central signed it")
        }
        if let field = failing.first {
            throw ProvisioningError(.badSignature, field: field, "the field was changed after the central signed it")
        }
        guard (try? Curve25519.KeyAgreement.PublicKey(rawRepresentation: file.centralKey)) != nil else {
            throw ProvisioningError(.badField, field: "centralKey", "not a raw X25519 public key")
        }
        guard !file.token.isEmpty else { throw ProvisioningError(.badField, field: "token", "empty") }
        guard file.endpoint.hasPrefix("http://") || file.endpoint.hasPrefix("https://") else {
            throw ProvisioningError(.badField, field: "endpoint", "not an http(s) URL")
        }
        guard now < file.expiresAt else {
            throw ProvisioningError(.expired, field: "expiresAt", "the file expired; ask the central for a new one")
        }
        return file
    }

    /// The bytes signed for `field`.
    func message(_ field: String) -> Data {
        let value: String
        switch field {
        case "centralSigningKey": value = centralSigningKey.base64EncodedString()
        case "format": value = format
        case "version": value = String(version)
        case "fileID": value = fileID
        case "stationID": value = stationID
        case "endpoint": value = endpoint
        case "token": value = token
        case "centralKey": value = centralKey.base64EncodedString()
        case "tlsCertificate": value = tlsCertificate.map { "pem:" + $0 } ?? "none"
        case "issuedAt": value = String(Int64((issuedAt.timeIntervalSince1970 * 1000).rounded()))
        case "expiresAt": value = String(Int64((expiresAt.timeIntervalSince1970 * 1000).rounded()))
        default: value = ""
        }
        let binding = field == "centralSigningKey" ? "" : fileID
        return Data("issuance-station/provisioning/v1\u{0}\(binding)\u{0}\(field)\u{0}\(value)".utf8)
    }

    /// The field a decoding error is about (the last key of its path).
    static func field(of error: DecodingError) -> String? {
        switch error {
        case .keyNotFound(let key, _): key.stringValue
        case .typeMismatch(_, let context), .valueNotFound(_, let context), .dataCorrupted(let context):
            context.codingPath.last?.stringValue
        @unknown default: nil
        }
    }
}

/// Why a provisioning file is refused, naming the field. Never holds the token.
public struct ProvisioningError: Error, Sendable, Hashable, CustomStringConvertible {
    /// Stable codes.
    public enum Code: String, Sendable, Hashable, CaseIterable {
        /// Not JSON, or a field missing or of the wrong type.
        case malformed = "provisioning.malformed"
        /// Another format, or a version this build does not know.
        case unsupported = "provisioning.unsupported"
        /// A field of the wrong shape (a key of the wrong length, an empty token, an endpoint that is not a URL).
        case badField = "provisioning.bad_field"
        /// A field changed after the central signed it, or a file signed by another key.
        case badSignature = "provisioning.bad_signature"
        /// Past `expiresAt`.
        case expired = "provisioning.expired"
        /// For another station (`stationID` is not this station's `uplink.station_id`).
        case otherStation = "provisioning.other_station"
        /// For another central (`endpoint` is not `uplink.url`, `tlsCertificate` not `uplink.pinned_ca`).
        case otherCentral = "provisioning.other_central"
    }

    public let code: Code
    /// The field concerned (nil: the file as a whole).
    public let field: String?
    /// For the technician: why.
    public let reason: String

    public init(_ code: Code, field: String?, _ reason: String) {
        self.code = code
        self.field = field
        self.reason = reason
    }

    public var description: String { "\(code.rawValue) (\(field ?? "file")): \(reason)" }
}
