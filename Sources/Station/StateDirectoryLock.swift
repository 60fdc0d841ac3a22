import Foundation
import Intake
import Queue

#if canImport(Glibc)
    import Glibc
#endif

/// One process at a time owns a station's state directory (the store, its key, the outbox): an exclusive `flock`
/// on `stationd.lock` inside it, held for the life of the process and released by the kernel when the process
/// dies, however it dies. The file holds the owner's PID so a second start can name it.
///
/// Without it a second `stationd run` took over the control socket and shared the store and the outbox with the
/// first, which stayed alive and unreachable.
final class StateDirectoryLock: Sendable {
    /// The lock file.
    let path: String
    private let descriptor: Int32

    /// Takes the lock or throws `queue.store_locked` naming the PID that holds it.
    init(directory: String) throws(QueueError) {
        path = (directory.isEmpty ? "." : directory) + "/stationd.lock"
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            throw QueueError(.storeLocked, "cannot open the lock file \(path) (errno \(errno))")
        }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            let lockErrno = errno
            var buffer = [UInt8](repeating: 0, count: 32)
            let count = pread(fd, &buffer, buffer.count, 0)
            close(fd)
            let holder = count > 0 ? String(decoding: buffer[0..<count], as: UTF8.self) : ""
            let pid = holder.trimmingCharacters(in: .whitespacesAndNewlines)
            if lockErrno == EWOULDBLOCK {
                throw QueueError(
                    .storeLocked,
                    "another stationd (PID \(pid.isEmpty ? "?" : pid)) is running on \(directory) (lock \(path))")
            }
            throw QueueError(.storeLocked, "cannot lock \(path) (errno \(lockErrno))")
        }
        let text = Array("\(getpid())\n".utf8)
        _ = ftruncate(fd, 0)
        _ = pwrite(fd, text, text.count, 0)
        descriptor = fd
    }

    deinit { close(descriptor) }
}

/// Repairs a store by hand, with the daemon stopped (the state directory's lock proves it).
public enum StoreMaintenance {
    /// `stationd store reinitialize`: moves the lost or damaged store and its key aside (kept as `.retired-STAMP`),
    /// makes a new empty store and records `store_reinitialized` by `person` in its audit log, with the code of
    /// the problem that made it necessary (or `requested`). Returns the files moved aside.
    public static func reinitialize(_ configuration: StationConfiguration, by person: String, uid: UInt32)
        throws -> [String]
    {
        let directory = (configuration.databasePath as NSString).deletingLastPathComponent
        let lock = try StateDirectoryLock(directory: directory)
        defer { withExtendedLifetime(lock) {} }
        let queueConfiguration = configuration.queueConfiguration
        var problem = "requested"
        do {
            _ = try ApplicationQueue(configuration: queueConfiguration)
        } catch {
            problem = error.code.rawValue
        }
        let formatter = DateFormatter()
        formatter.dateFormat = "yyyyMMdd'T'HHmmss"
        formatter.timeZone = TimeZone(identifier: "Asia/Ho_Chi_Minh")
        let moved = try ApplicationQueue.retire(queueConfiguration, stamp: formatter.string(from: Date()))
        let fresh = try ApplicationQueue(configuration: queueConfiguration)
        try fresh.recordStationEvent(
            "store_reinitialized", by: .supervisor(OperatorID(person), uid: uid), reasonCode: problem)
        return moved
    }
}
