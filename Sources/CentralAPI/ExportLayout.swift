import Foundation

/// The layout of a sneaker-net export: one folder per batch under the export directory,
/// `batch-<batchID>/manifest.json` (the `ExportManifest`, canonical JSON), `manifest.sig` (base64 Ed25519
/// signature of the manifest bytes by the station key) and `items/<applicationID>.ise` (the item envelopes,
/// byte for byte as they would be uploaded). Written to a temporary name and renamed, so a folder is complete
/// or absent.
public enum ExportLayout {
    /// Folder name of a batch.
    public static func folder(_ batchID: String) -> String { "batch-\(batchID)" }
    /// Manifest file name.
    public static let manifest = "manifest.json"
    /// Signature file name.
    public static let signature = "manifest.sig"
    /// Item folder name.
    public static let items = "items"
    /// Envelope file name of an item.
    public static func item(_ applicationID: String) -> String { "\(applicationID).ise" }
    /// Domain tag prefixed to the manifest bytes before signing.
    public static let signatureDomain = Data("issuance-station/export-manifest/v1\u{0}".utf8)
}

/// The manifest of an exported batch: the batch manifest plus the station's public key fingerprint.
public struct ExportManifest: Sendable, Hashable, Codable {
    /// The batch, as it would have been offered online.
    public var batch: BatchManifest
    /// Lower-case hex SHA-256 of the station's raw signing key.
    public var stationKeySHA256: String
    /// Creates a manifest.
    public init(batch: BatchManifest, stationKeySHA256: String) {
        self.batch = batch
        self.stationKeySHA256 = stationKeySHA256
    }
}
