import CentralAPI
import Foundation
import Intake
import Queue

/// One application packaged for the central: its envelope and manifest entry.
public struct PackagedItem: Sendable {
    /// The application.
    public let id: ApplicationID
    /// The sealed, signed envelope.
    public let envelope: Data
    /// Its manifest entry.
    public let item: ManifestItem
}

/// Canonical encoding → zlib → station signature → HPKE to the central (see `ItemEnvelope`).
public enum Packager {
    /// Packages one application read from the queue.
    public static func package(
        _ application: Application, credentials: StationCredentials
    ) throws(UplinkError) -> PackagedItem {
        guard let centralKey = credentials.centralKey else {
            throw UplinkError(.notEnrolled, "enroll the station before packaging")
        }
        let canonical: Data
        do { canonical = try CanonicalEncoding.encode(application) } catch {
            throw UplinkError(.central, "cannot encode the application", central: CentralError(.packaging, "encode"))
        }
        let envelope: Data
        do {
            envelope = try ItemEnvelope.seal(
                canonical, application: application.id.text, station: credentials.stationID,
                signingKey: credentials.signingKey, centralKey: centralKey)
        } catch {
            throw UplinkError(.central, "cannot seal the application", central: error)
        }
        return PackagedItem(
            id: application.id, envelope: envelope,
            item: ManifestItem(
                applicationID: application.id.text, payloadSHA256: ItemEnvelope.hash(envelope),
                payloadSize: envelope.count, communeCode: application.point.communeCode,
                operatorID: application.operatorID.rawValue))
    }
}

/// What the uploader reports as it works (no personal data).
public enum UplinkEvent: Sendable, Hashable {
    /// The probe failed: no link.
    case offline
    /// A batch was offered.
    case batchOffered(batch: String, items: Int, bytes: Int)
    /// Payload bytes acknowledged by the receiver so far.
    case progress(batch: String, sentBytes: Int, totalBytes: Int)
    /// A batch ended: items received (incl. already-had), refused, unanswered (offered again next time).
    case batchFinished(batch: String, received: Int, refused: Int, unanswered: Int)
    /// Waiting before a retry.
    case retrying(after: TimeInterval, code: String)
    /// Status sync moved this many applications.
    case statusSynced(changed: Int)
}
