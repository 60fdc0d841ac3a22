import Foundation
import Queue

#if canImport(Glibc)
    import Glibc
#endif

/// The key files a station's configuration names, by role: what `stationctl keys backup` collects and where
/// `stationd keys restore` writes them back.
public struct StationKeyFiles: Sendable {
    /// Role → path.
    public let paths: [(role: String, path: String)]
    /// Opens the store key file when it is sealed to the TPM: a backup holds the key itself, which restores on any
    /// machine (`stationd keys seal-to-tpm` seals it again there).
    let storeKeySealer: any KeySealer

    public init(_ configuration: StationConfiguration) {
        storeKeySealer = TPMKeySealer(TPMSettings(tcti: configuration.tpm.tcti))
        var paths: [(String, String)] = []
        if !configuration.keyFilePath.isEmpty {
            paths.append(("store.key_file", configuration.keyFilePath))
            paths.append(("store.audit_key", StoreKeyPaths.auditKey(forKeyFile: configuration.keyFilePath)))
        }
        paths.append(("uplink.station_key", configuration.uplinkState + "/station.key"))
        paths.append(("uplink.enrollment", configuration.uplinkState + "/enrollment.json"))
        paths.append(("listener.key", configuration.listener.keyPath))
        paths.append(("listener.certificate", configuration.listener.certificatePath))
        self.paths = paths
    }

    /// The files that exist, read. Refuses when none does.
    public func collect() throws(KeyBundleError) -> KeyBundle {
        var files: [KeyBundle.File] = []
        for (role, path) in paths where access(path, F_OK) == 0 {
            guard var content = FileManager.default.contents(atPath: path) else {
                throw KeyBundleError(.fileAccess, "cannot read \(path)", file: path)
            }
            if role == "store.key_file" {
                do {
                    content = try storeKeySealer.unseal(content)
                } catch {
                    throw KeyBundleError(
                        .fileAccess, "cannot unseal \(path) (\(error.code)): \(error.reason)", file: path)
                }
            }
            files.append(KeyBundle.File(role: role, name: (path as NSString).lastPathComponent, content: content))
        }
        guard !files.isEmpty else {
            throw KeyBundleError(.nothingToBackUp, "none of the configured key files exists")
        }
        return KeyBundle(files: files)
    }

    /// What restore did with each file.
    public enum Outcome: String, Sendable {
        /// Written.
        case written
        /// Already there with the same content.
        case alreadyThere = "already_there"
    }

    /// Writes each file of `bundle` where the configuration puts it, 0600, atomically; a file already there with the
    /// same content is left; with a different content nothing at all is written (`keys.file_differs` naming it).
    /// A role the configuration does not know: `keys.malformed`.
    public func restore(_ bundle: KeyBundle) throws(KeyBundleError) -> [(path: String, outcome: Outcome)] {
        var plan: [(path: String, content: Data, outcome: Outcome)] = []
        for file in bundle.files {
            guard let path = paths.first(where: { $0.role == file.role })?.path else {
                throw KeyBundleError(
                    .malformed, "the bundle holds a \(file.role) file this configuration has no place for")
            }
            if access(path, F_OK) == 0 {
                guard FileManager.default.contents(atPath: path) == file.content else {
                    throw KeyBundleError(
                        .fileDiffers, "\(path) exists and differs from the backed-up \(file.role); move it aside first",
                        file: path)
                }
                plan.append((path, file.content, .alreadyThere))
            } else {
                plan.append((path, file.content, .written))
            }
        }
        for entry in plan where entry.outcome == .written {
            let folder = (entry.path as NSString).deletingLastPathComponent
            if !folder.isEmpty && access(folder, F_OK) != 0 {
                do {
                    try FileManager.default.createDirectory(
                        atPath: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
                } catch {
                    throw KeyBundleError(.fileAccess, "cannot create the folder \(folder)", file: entry.path)
                }
            }
            do {
                try KeyFile.write(entry.content, to: entry.path, replacing: false, what: entry.path)
            } catch {
                throw KeyBundleError(.fileAccess, "cannot write \(entry.path): \(error.reason)", file: entry.path)
            }
        }
        return plan.map { ($0.path, $0.outcome) }
    }
}
