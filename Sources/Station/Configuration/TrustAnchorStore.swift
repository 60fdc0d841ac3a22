import CentralAPI
import ChipID
import ControlAPI
import Foundation

/// The CSCA anchors the daemon reads cards with: those the configuration names (`trust.folder`,
/// `trust.masterlist`, loaded at start) and the master list the central delivered through the status sync, kept in
/// `<state>/trust/delivered.ml` (written to a temporary name and renamed, so a crash leaves the old list or the new
/// one, never half of one). Each read takes `current`, so an installed list counts from the next read on.
final class TrustAnchorStore: Sendable {
    /// A delivered list that is installed.
    struct Installed: Sendable {
        /// The verified list.
        var list: CSCAMasterList
        /// Lower-case hex SHA-256 of the file.
        var sha256: String
        /// When it was installed (the file's modification time after a restart).
        var installedAt: Date
    }

    /// What the configuration names.
    let configured: CSCATrustList
    /// Where a delivered list is kept (nil: none can be installed, e.g. the by-hand tools).
    let path: String?
    private let installed = Mutex<Installed?>(nil)

    /// The anchors of a configuration, with the list delivered earlier if `directory` holds one (a file that no
    /// longer verifies is left unused).
    init(configured: CSCATrustList, directory: String?) {
        self.configured = configured
        path = directory.map { $0 + "/trust/delivered.ml" }
        if let path, let data = FileManager.default.contents(atPath: path),
            let list = try? CSCAMasterList(der: Array(data))
        {
            let date = (try? FileManager.default.attributesOfItem(atPath: path)[.modificationDate]) as? Date
            installed.withLock {
                $0 = Installed(list: list, sha256: ItemEnvelope.hash(data), installedAt: date ?? Date())
            }
        }
    }

    /// The anchors now: the configured ones and the delivered list's CSCAs.
    var current: CSCATrustList {
        var list = configured
        if let delivered = installed.withLock({ $0 }) { list.add(delivered.list, source: "delivered by the central") }
        return list
    }

    /// The delivered list installed now.
    var delivered: Installed? { installed.withLock { $0 } }

    /// Verifies a master list the central delivered (its Ed25519 signature was checked by the uploader) and
    /// installs it in place of the previous one. Nil when the same list is already installed. On any failure
    /// nothing is written or loaded.
    func install(_ delivery: DeliveredMasterList) throws(TrustListRefusal) -> Installed? {
        guard let path else { throw TrustListRefusal(.notInstallable, "no state folder to install the list in") }
        let sha256 = delivery.sha256
        if installed.withLock({ $0?.sha256 }) == sha256 { return nil }
        let list: CSCAMasterList
        do { list = try CSCAMasterList(der: Array(delivery.list)) } catch {
            throw TrustListRefusal(
                error.code == .masterListSignatureInvalid ? .signatureInvalid : .unknownFormat,
                "\(error.reason) [\(error.code.rawValue)]")
        }
        guard !list.certificates.isEmpty else { throw TrustListRefusal(.unknownFormat, "the list holds no CSCA") }
        let folder = (path as NSString).deletingLastPathComponent
        do {
            try FileManager.default.createDirectory(
                atPath: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            try delivery.list.write(to: URL(fileURLWithPath: path), options: .atomic)
        } catch {
            throw TrustListRefusal(.notInstallable, "cannot write \(path): \(error.localizedDescription)")
        }
        let now = Installed(list: list, sha256: sha256, installedAt: Date())
        installed.withLock { $0 = now }
        return now
    }

    /// Where each anchor came from, for the status page.
    var sources: [TrustAnchorSource] {
        var sources = configured.sources.map { TrustAnchorSource(origin: .configured, name: $0) }
        if let delivered {
            sources.append(
                TrustAnchorSource(
                    origin: .central, name: "delivered.ml (sha256 \(delivered.sha256.prefix(16)))",
                    certificates: delivered.list.certificates.count, installedAt: delivered.installedAt,
                    countries: delivered.list.countries))
        }
        return sources
    }
}

/// A delivered master list the station refused: nothing of it was written or loaded.
struct TrustListRefusal: Error, Sendable {
    /// Stable codes (`trust.*`, also the audit line's reason).
    enum Code: String, Sendable {
        /// The central's signature over the list, or the list's own CMS signature, does not verify.
        case signatureInvalid = "trust.masterlist_signature_invalid"
        /// Not an ICAO CSCA master list (or one without any CSCA).
        case unknownFormat = "trust.masterlist_unknown_format"
        /// The state folder cannot hold it.
        case notInstallable = "trust.masterlist_not_installable"
    }

    let code: Code
    /// For the technician (no personal data: certificates are institutional).
    let reason: String

    init(_ code: Code, _ reason: String) {
        self.code = code
        self.reason = reason
    }
}

/// The chip reads of the daemon with the anchors installed now: the request's configured anchors plus the list the
/// central delivered, taken at each read (so a list installed by the status sync counts from the next read).
struct AnchoredChipReading: ChipReading {
    let base: any ChipReading
    let anchors: TrustAnchorStore

    func read(_ request: ChipReadRequest) async throws -> ChipRead {
        var request = request
        if let delivered = anchors.delivered {
            request.authentication.trustList.add(delivered.list, source: "delivered by the central")
        }
        return try await base.read(request)
    }
}
