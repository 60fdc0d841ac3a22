import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// What is on disk of a store before it is opened: the database, its WAL, the key file, and a key left by a
/// creation that did not finish.
///
/// The key file is installed only after a new store has recorded its key checks, so its presence proves that a
/// store existed. A key file without its store (the database deleted or truncated, or only its WAL left) is a lost
/// store, never a first start: opening it would silently begin an empty queue and report it consistent.
struct StorePresence {
    let databasePath: String
    let keyFilePath: String
    /// The database file exists and is not empty.
    let storeExists: Bool
    /// The key file exists.
    let keyExists: Bool
    /// A write-ahead log exists beside the database.
    let walExists: Bool

    static func examine(databasePath: String, keyFilePath: String) -> StorePresence {
        var info = stat()
        let storeExists = stat(databasePath, &info) == 0 && info.st_size > 0
        return StorePresence(
            databasePath: databasePath, keyFilePath: keyFilePath, storeExists: storeExists,
            keyExists: access(keyFilePath, F_OK) == 0, walExists: access(databasePath + "-wal", F_OK) == 0)
    }

    /// Where a new store's key waits until the store is made.
    static func pendingKeyPath(_ keyFilePath: String) -> String { keyFilePath + ".creating" }

    /// A pending key left by a creation that did not finish.
    var pendingKeyExists: Bool { access(Self.pendingKeyPath(keyFilePath), F_OK) == 0 }

    /// How the store is to be opened.
    enum Mode {
        /// An existing store with its key.
        case open
        /// A first start: make a new store, its key pending until the store records it.
        case create
    }

    /// Decides how to open, cleaning up after an interrupted creation. Throws `queue.store_missing` when the key file
    /// proves a store existed but the store is gone or empty, or a WAL is left without its database.
    func prepare() throws(QueueError) -> Mode {
        if !keyExists && pendingKeyExists {
            // A first start killed before its key was installed: whatever the database holds, no application was
            // ever committed to it (a commit needs an opened store, and opening installs the key last). Start over.
            discardUnfinishedCreation()
            return .create
        }
        if !storeExists && walExists {
            throw QueueError(
                .storeMissing,
                "\(databasePath)-wal exists but \(databasePath) is missing or empty: the store was deleted "
                    + "or truncated (key file \(keyFilePath))")
        }
        if !storeExists && keyExists {
            throw QueueError(
                .storeMissing,
                "the key file \(keyFilePath) exists but the store \(databasePath) is missing or empty")
        }
        if !storeExists {
            discardUnfinishedCreation()
            return .create
        }
        return .open
    }

    /// Before a new store is made: removes what an interrupted first start left (the database, its journals and
    /// index, then the pending key). Nothing was ever committed to them: a commit needs the installed key.
    private func discardUnfinishedCreation() {
        for suffix in ["-wal", "-shm", "-journal", ""] { unlink(databasePath + suffix) }
        unlink(Self.pendingKeyPath(keyFilePath))
    }

    /// Installs the pending key under its final name (atomically, then the directory synced).
    static func installKey(pending: String, final: String) throws(QueueError) {
        guard rename(pending, final) == 0 else {
            throw QueueError(.keyFile, "cannot install the key file \(final) (errno \(errno))")
        }
        KeyFile.syncFolder(of: final)
    }
}

extension ApplicationQueue {
    /// Moves a lost or damaged store's files aside (never deletes them: a backup restore or an investigation may
    /// need them): the database, its WAL and shared-memory index, the key file and the audit key each get the suffix
    /// `.retired-STAMP`. The next open makes a new, empty store. Returns the paths written. The caller holds the
    /// state directory's lock.
    public static func retire(_ configuration: Configuration, stamp: String) throws(QueueError) -> [String] {
        var moved: [String] = []
        let base = configuration.databasePath
        let auditKey = configuration.auditKeyFilePath ?? AuditChainKey.path(forKeyFile: configuration.keyFilePath)
        let files = [base, base + "-wal", base + "-shm", configuration.keyFilePath, auditKey]
        for path in files where access(path, F_OK) == 0 {
            let target = path + ".retired-" + stamp
            guard rename(path, target) == 0 else {
                throw QueueError(.storage, "cannot move \(path) aside (errno \(errno))")
            }
            moved.append(target)
        }
        return moved
    }

    /// Records a station-level event (no application) in the audit log, e.g. `store_reinitialized`.
    public func recordStationEvent(_ action: String, by actor: QueueActor, reasonCode: String?) throws(QueueError) {
        let now = nowMilliseconds
        try write(expectedBytes: 256) { db in
            try AuditLog.append(
                db, at: now, actor: actor.id, action: action, applicationID: nil, from: nil, to: nil,
                reasonCode: reasonCode, actorUID: actor.uid)
        }
    }
}
