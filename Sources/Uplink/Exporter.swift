import CentralAPI
import Crypto
import Foundation
import Intake
import Queue

/// Sneaker-net: writes ready applications, packaged exactly as for upload (signed, HPKE-sealed), to a folder
/// per batch with a signed manifest (see `ExportLayout`); the rows become `exported` until status sync hears the
/// central has them. Exporting twice is harmless: only `ready` rows are written, and the central stores by
/// application id, so a folder written twice (crash between writing and recording) imports once.
public struct Exporter: Sendable {
    let queue: ApplicationQueue
    let credentials: StationCredentials

    /// Creates an exporter.
    public init(queue: ApplicationQueue, credentials: StationCredentials) {
        self.queue = queue
        self.credentials = credentials
    }

    /// What was written (so far, while `progress` reports it).
    public struct Report: Sendable, Hashable {
        /// Batch folders written.
        public var folders: [String] = []
        /// Applications exported.
        public var items = 0
        /// Applications that could not be packaged (moved to needsAttention).
        public var failed = 0
        /// Applications ready when the export started.
        public var total = 0
        /// Files written (sealed items, manifests, signatures; a folder not moved into place included).
        public var files = 0
        /// Bytes of those files.
        public var bytes = 0
    }

    /// Exports all ready applications into `directory`, `batchSize` per folder; `progress` hears the report so
    /// far once the ready applications are counted, after every file written, and after every folder recorded.
    public func export(
        to directory: String, batchSize: Int = 500, progress: (Report) -> Void = { _ in }
    ) throws -> Report {
        var report = Report()
        let manager = FileManager.default
        try manager.createDirectory(atPath: directory, withIntermediateDirectories: true)
        report.total = try queue.summary().count(.ready)
        progress(report)
        func write(_ data: Data, to path: String) throws {
            try Self.writeDurably(data, to: path)
            report.files += 1
            report.bytes += data.count
            progress(report)
        }
        while true {
            let candidates = try queue.uplinkCandidates(in: [.ready], limit: batchSize)
            if candidates.isEmpty { break }
            // Nothing is sealed out of a damaged store.
            try queue.checkIntegrity()
            var packaged: [PackagedItem] = []
            var broken: [ApplicationID] = []
            for candidate in candidates {
                do {
                    packaged.append(try Packager.package(try queue.application(candidate.id), credentials: credentials))
                } catch {
                    broken.append(candidate.id)
                }
            }
            // ready → needsAttention is not a table move: go through batched (as the uploader does).
            try queue.applyUplinkChanges(
                broken.map { id in
                    UplinkChange(id: id, action: "export_failed", reasonCode: CentralError.Code.packaging.rawValue) {
                        [
                            ApplicationStatus(local: .batched, central: $0.central),
                            ApplicationStatus(local: .needsAttention, central: $0.central),
                        ]
                    }
                }, by: .system)
            report.failed += broken.count
            if !broken.isEmpty { progress(report) }
            guard !packaged.isEmpty else { continue }

            let batchID = UUID().uuidString
            let manifest = ExportManifest(
                batch: BatchManifest(
                    batchID: batchID, stationID: credentials.stationID, createdAt: Date(), items: packaged.map(\.item),
                    dsCertificates: PackagedItem.dsCertificates(packaged)),
                stationKeySHA256: credentials.keyFingerprint)
            let manifestBytes = try CanonicalEncoding.encode(manifest)
            let signature = try credentials.signingKey.signature(for: ExportLayout.signatureDomain + manifestBytes)
            let final = directory + "/" + ExportLayout.folder(batchID)
            let temporary = directory + "/.tmp-" + batchID
            try manager.createDirectory(
                atPath: temporary + "/" + ExportLayout.items, withIntermediateDirectories: true)
            for item in packaged {
                try write(
                    item.envelope, to: temporary + "/" + ExportLayout.items + "/" + ExportLayout.item(item.id.text))
            }
            try write(manifestBytes, to: temporary + "/" + ExportLayout.manifest)
            try write(Data(Data(signature).base64EncodedString().utf8), to: temporary + "/" + ExportLayout.signature)
            guard rename(temporary, final) == 0 else {
                throw UplinkError(.export, "cannot move the export folder into place")
            }
            try queue.applyUplinkChanges(
                packaged.map { item in
                    UplinkChange(id: item.id, action: "export") { status in
                        [ApplicationStatus(local: .exported, central: status.central)]
                    }
                }, by: .system)
            report.folders.append(final)
            report.items += packaged.count
            progress(report)
        }
        return report
    }

    static func writeDurably(_ data: Data, to path: String) throws {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        guard fd >= 0 else { throw UplinkError(.export, "cannot create an export file") }
        defer { close(fd) }
        let written = data.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        guard written == data.count, fsync(fd) == 0 else { throw UplinkError(.export, "cannot write an export file") }
    }
}
