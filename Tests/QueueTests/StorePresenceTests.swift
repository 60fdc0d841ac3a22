import Foundation
import GRDB
import Intake
import Queue
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// A key file proves a store existed: a store that is gone, emptied or left as a bare WAL is refused
/// (`queue.store_missing`), never replaced by a new empty one; damaged pages are refused at open
/// (`queue.store_damaged`). A first start, and a first start killed half-way, still make a store.
@Suite struct StorePresenceTests {
    /// A store with one application, closed.
    func storeWithOneApplication(_ dir: TemporaryDirectory) throws {
        let queue = try openQueue(dir)
        try queue.commit(sampleApplication(), by: officer)
        try queue.checkpoint()
    }

    func code(_ body: () throws -> Void) -> String? {
        do {
            try body()
            return nil
        } catch let error as QueueError {
            return error.code.rawValue
        } catch {
            return "\(error)"
        }
    }

    @Test func firstStartMakesStoreAndKey() throws {
        let dir = TemporaryDirectory()
        let queue = try openQueue(dir)
        #expect(try queue.summary().total == 0)
        #expect(access(dir.keyFile, F_OK) == 0)
        #expect(access(dir.keyFile + ".creating", F_OK) != 0)
        var info = stat()
        #expect(stat(dir.keyFile, &info) == 0 && info.st_mode & 0o777 == 0o600)
    }

    @Test func deletedStoreIsRefusedNotRecreated() throws {
        let dir = TemporaryDirectory()
        try storeWithOneApplication(dir)
        for suffix in ["", "-wal", "-shm"] { unlink(dir.database + suffix) }
        #expect(code { _ = try openQueue(dir) } == "queue.store_missing")
        // Nothing was created in its place.
        #expect(access(dir.database, F_OK) != 0)
    }

    @Test func truncatedStoreIsRefused() throws {
        let dir = TemporaryDirectory()
        try storeWithOneApplication(dir)
        for suffix in ["-wal", "-shm"] { unlink(dir.database + suffix) }
        #expect(truncate(dir.database, 0) == 0)
        var thrown: QueueError?
        do { _ = try openQueue(dir) } catch { thrown = error as? QueueError }
        #expect(thrown?.code.rawValue == "queue.store_missing")
        // The technician is told both paths.
        #expect(thrown?.reason.contains(dir.database) == true && thrown?.reason.contains(dir.keyFile) == true)
    }

    @Test func walWithoutItsDatabaseIsRefused() throws {
        let dir = TemporaryDirectory()
        try storeWithOneApplication(dir)
        // A WAL left behind by a deleted database (whatever the key file).
        let wal = open(dir.database + "-wal", O_WRONLY | O_CREAT, 0o600)
        #expect(wal >= 0)
        close(wal)
        unlink(dir.database)
        #expect(code { _ = try openQueue(dir) } == "queue.store_missing")
        unlink(dir.keyFile)
        #expect(code { _ = try openQueue(dir) } == "queue.store_missing")
    }

    @Test func replacedByAnEmptyDatabaseIsRefused() throws {
        let dir = TemporaryDirectory()
        try storeWithOneApplication(dir)
        for suffix in ["", "-wal", "-shm"] { unlink(dir.database + suffix) }
        // Someone puts a fresh (valid, non-empty) SQLite file in its place.
        let other = try DatabaseQueue(path: dir.database)
        try other.write { try $0.execute(sql: "CREATE TABLE t (x)") }
        try other.close()
        #expect(code { _ = try openQueue(dir) } == "queue.store_missing")
    }

    @Test func creationKilledBeforeTheStoreHeldAnythingStartsOver() throws {
        let dir = TemporaryDirectory()
        // What a kill right after the pending key was written leaves: the key pending, an empty database file.
        let key = open(dir.keyFile + ".creating", O_WRONLY | O_CREAT, 0o600)
        close(key)
        let database = open(dir.database, O_WRONLY | O_CREAT, 0o600)
        close(database)
        let queue = try openQueue(dir)
        try queue.commit(sampleApplication(), by: officer)
        #expect(try queue.summary().total == 1)
        #expect(access(dir.keyFile + ".creating", F_OK) != 0)
    }

    @Test func creationKilledAfterTheStoreWasWrittenStartsOver() throws {
        let dir = TemporaryDirectory()
        let made = try openQueue(dir)
        try made.checkpoint()
        // As if killed before the key was installed: the store written, the key still pending, a hot journal.
        #expect(rename(dir.keyFile, dir.keyFile + ".creating") == 0)
        let journal = open(dir.database + "-journal", O_WRONLY | O_CREAT, 0o600)
        close(journal)
        let queue = try openQueue(dir)
        try queue.commit(sampleApplication(), by: officer)
        #expect(try queue.summary().total == 1)
        #expect(access(dir.keyFile, F_OK) == 0)
        #expect(access(dir.keyFile + ".creating", F_OK) != 0)
    }

    @Test func damagedPageIsRefusedAtOpen() throws {
        let dir = TemporaryDirectory()
        do {
            let queue = try openQueue(dir)
            for _ in 0..<20 { try queue.commit(sampleApplication(), by: officer) }
            try queue.checkpoint()
        }
        for suffix in ["-wal", "-shm"] { unlink(dir.database + suffix) }
        // Overwrite the middle of page 3 (a b-tree page of the store) with garbage.
        let fd = open(dir.database, O_WRONLY)
        #expect(fd >= 0)
        let garbage = [UInt8](repeating: 0xA5, count: 2048)
        #expect(pwrite(fd, garbage, garbage.count, off_t(2 * 4096 + 16)) == garbage.count)
        close(fd)
        #expect(code { _ = try openQueue(dir) } == "queue.store_damaged")
    }

    /// Damage that appears while the store is open (a failing disk) is found by the check the uplink runs before it
    /// seals a batch.
    @Test func damageAfterOpenIsFoundBeforeSealing() throws {
        let dir = TemporaryDirectory()
        let queue = try openQueue(dir)
        for _ in 0..<20 { try queue.commit(sampleApplication(), by: officer) }
        try queue.checkpoint()
        try queue.checkIntegrity()
        let fd = open(dir.database, O_WRONLY)
        let garbage = [UInt8](repeating: 0xA5, count: 2048)
        #expect(pwrite(fd, garbage, garbage.count, off_t(2 * 4096 + 16)) == garbage.count)
        fsync(fd)
        close(fd)
        #expect(code { try queue.checkIntegrity() } == "queue.store_damaged")
    }

    @Test func checkIntegrityPassesOnAHealthyStore() throws {
        let dir = TemporaryDirectory()
        let queue = try openQueue(dir)
        try queue.commit(sampleApplication(), by: officer)
        try queue.checkIntegrity()
    }
}
