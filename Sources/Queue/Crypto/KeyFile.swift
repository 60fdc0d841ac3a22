import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Writing a key file durably, mode 0600 from its first byte: the store key, the audit key, a new store's pending
/// key. One way for all of them: a temporary file written and fsynced, then linked (a new file: an existing one is
/// never overwritten) or renamed (a replacement) into place, and the folder synced.
public enum KeyFile {
    /// Writes `data` to `path`. `replacing` false keeps an existing file (link, EEXIST is fine); true replaces it
    /// atomically. `what` names the file in errors (`queue.key_file`).
    public static func write(_ data: Data, to path: String, replacing: Bool, what: String) throws(QueueError) {
        let temporary = path + ".tmp-\(getpid())"
        unlink(temporary)
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw QueueError(.keyFile, "cannot create \(what) (errno \(errno))") }
        let written = data.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
        let synced = fsync(fd)
        close(fd)
        guard written == data.count, synced == 0 else {
            unlink(temporary)
            throw QueueError(.keyFile, "cannot write \(what)")
        }
        if replacing {
            guard rename(temporary, path) == 0 else {
                unlink(temporary)
                throw QueueError(.keyFile, "cannot replace \(what) (errno \(errno))")
            }
        } else {
            let linked = link(temporary, path)
            let linkErrno = errno
            unlink(temporary)
            guard linked == 0 || linkErrno == EEXIST else {
                throw QueueError(.keyFile, "cannot install \(what) (errno \(linkErrno))")
            }
        }
        syncFolder(of: path)
    }

    /// fsyncs the folder holding `path`, so a rename or link into it survives a power cut.
    public static func syncFolder(of path: String) {
        let directory = (path as NSString).deletingLastPathComponent
        let fd = open(directory.isEmpty ? "." : directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if fd >= 0 {
            fsync(fd)
            close(fd)
        }
    }
}
