import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Free space on the file system holding the store, checked before every write so that a full disk is
/// refused cleanly (`queue.disk_full`) instead of surfacing as a failed commit half-way.
enum DiskSpace {
    /// Bytes available to unprivileged users on the file system of `directory`, or nil if unknown.
    static func available(at directory: String) -> Int64? {
        var info = statvfs()
        guard statvfs(directory, &info) == 0 else { return nil }
        return Int64(info.f_bavail) * Int64(info.f_frsize)
    }

    /// What SQLite writes for a transaction of about `bytes` bytes in WAL mode: every page it touches (the rows'
    /// pages plus a few b-tree and index pages) goes first to the WAL (page + 24-byte frame header), and is copied
    /// again into the database file at the next checkpoint. Both must fit, or the write or the checkpoint fails
    /// half-way with SQLITE_FULL.
    static func sqliteBytes(forWriteOf bytes: Int, pageSize: Int = 4096) -> Int64 {
        let pages = Int64((bytes + pageSize - 1) / pageSize + 4)
        return pages * Int64(pageSize + 24) + pages * Int64(pageSize)
    }

    /// Throws `queue.disk_full` unless `minimum` plus what SQLite writes for `bytes` is free, saying how much is
    /// needed, how much is free and where.
    static func require(_ bytes: Int, minimum: Int64, directory: String) throws(QueueError) {
        guard let free = available(at: directory) else { return }
        let needed = minimum + sqliteBytes(forWriteOf: bytes)
        if free < needed {
            throw QueueError(
                .diskFull,
                "free space \(mebibytes(free)) MiB on the file system of \(directory) is below the "
                    + "\(mebibytes(needed)) MiB needed (\(mebibytes(needed - minimum)) MiB for this write with its WAL "
                    + "and checkpoint copies, plus the \(mebibytes(minimum)) MiB floor store.minimum_free_mib): free "
                    + "\(mebibytes(needed - free)) MiB there",
                shortfall: .init(directory: directory, neededBytes: needed, freeBytes: free))
        }
    }

    /// Bytes as MiB, rounded up, with one decimal under 10 MiB.
    static func mebibytes(_ bytes: Int64) -> String {
        let value = Double(bytes) / 1_048_576
        return value < 10 ? String(format: "%.1f", (value * 10).rounded(.up) / 10) : String(Int(value.rounded(.up)))
    }
}
