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
        return try StationKeyFiles(configuration).restore(bundle)
    }
}
