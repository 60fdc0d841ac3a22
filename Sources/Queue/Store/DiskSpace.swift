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

    /// Throws `queue.disk_full` unless `minimum + needed` bytes are free.
    static func require(_ needed: Int, minimum: Int64, directory: String) throws(QueueError) {
        guard let free = available(at: directory) else { return }
        if free < minimum + Int64(needed) {
            throw QueueError(.diskFull, "free space \(free / 1024) KiB is below the minimum \(minimum / 1024) KiB")
        }
    }
}
