import CentralAPI
import CentralEvidence
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
    /// The document-signer certificate taken out of its chip evidence's EF.SOD (it travels once per batch, in the
    /// manifest's `dsCertificates`); nil when the SOD travels whole or there is no evidence.
    public let dsCertificate: Data?

    /// Builds an item.
    public init(id: ApplicationID, envelope: Data, item: ManifestItem, dsCertificate: Data? = nil) {
        self.id = id
        self.envelope = envelope
        self.item = item
        self.dsCertificate = dsCertificate
    }

    /// The distinct DS certificates of `items`, for their manifest (nil: none).
    public static func dsCertificates(_ items: [PackagedItem]) -> [Data]? {
        DSCertificateSharing.distinct(items.map(\.dsCertificate))
    }
}

/// Canonical encoding → zlib → station signature → HPKE to the central (see `ItemEnvelope`). The chip evidence's
/// EF.SOD travels without its DS certificate, which goes once per batch in the manifest (`DSCertificateSharing`).
public enum Packager {
    /// Packages one application read from the queue.
    public static func package(
        _ application: Application, credentials: StationCredentials
    ) throws(UplinkError) -> PackagedItem {
        guard let centralKey = credentials.centralKey else {
            throw UplinkError(.notEnrolled, "enroll the station before packaging")
        }
        var application = application
        var certificate: Data?
        if let evidence = application.chipEvidence {
            (application.chipEvidence, certificate) = DSCertificateSharing.detach(evidence)
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
                operatorID: application.operatorID.rawValue),
            dsCertificate: certificate)
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
    /// Waiting `after` seconds before a retry, after a failure with `code`; the central has taken nothing for
    /// `stalledFor` seconds (since the first attempt that failed, after the last that went through).
    case retrying(after: TimeInterval, code: String, stalledFor: TimeInterval)
    /// The central answered a probe: the link works again (a stall is over).
    case centralAnswered
    /// Status sync moved this many applications.
    case statusSynced(changed: Int)
    /// The central acknowledged a daily or weekly report.
    case reportSent(report: String)
}
