import Foundation
import Queue

/// `stationd keys restore`: writes a key bundle's files back where the configuration puts them, with the daemon
/// stopped (the state directory's lock proves it, as for `stationd store reinitialize`).
public enum KeyRestore {
    /// Takes the state directory's lock (`queue.store_locked` while a daemon runs), then restores.
    public static func restore(_ bundle: KeyBundle, configuration: StationConfiguration) throws
        -> [(path: String, outcome: StationKeyFiles.Outcome)]
    {
        let directory = (configuration.databasePath as NSString).deletingLastPathComponent
        if !directory.isEmpty && !FileManager.default.fileExists(atPath: directory) {
            try FileManager.default.createDirectory(
                atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        }
        let lock = try StateDirectoryLock(directory: directory)
        defer { withExtendedLifetime(lock) {} }
        try refuseStale(bundle, databasePath: configuration.databasePath)
        return try StationKeyFiles(configuration).restore(bundle)
    }

    /// A bundle made before a key rotation lacks the key the store's data is sealed under now: refused
    /// (`keys.stale_backup`, naming the key ids) before anything is written, rather than found at the next start.
    static func refuseStale(_ bundle: KeyBundle, databasePath: String) throws(KeyBundleError) {
        guard let storeKey = bundle.files.first(where: { $0.role == "store.key_file" }),
            let needed = ApplicationQueue.recordedKeyIDs(databasePath: databasePath)
        else { return }
        guard let held = KeyRing.keyIDs(ofFile: storeKey.content) else {
            throw KeyBundleError(.malformed, "the bundle's store.key_file is not a key file")
        }
        let missing = needed.subtracting(held).sorted()
        guard missing.isEmpty else {
            throw KeyBundleError(
                .staleBackup,
                """
                the bundle's store.key_file lacks key \(missing.map { "k\($0)" }.joined(separator: ", ")), which \
                \(databasePath) is sealed under: the bundle was made before a key rotation; restore a newer one
                """, file: databasePath)
        }
    }
}
