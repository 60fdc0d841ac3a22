import ControlAPI
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// The sd_notify protocol without libsystemd: one datagram per message to the `AF_UNIX` socket named by
/// `NOTIFY_SOCKET` (a path, or `@name` for the abstract namespace). Silent no-op when not run by systemd.
public struct SystemdNotifier: Sendable {
    /// The socket address, nil when `NOTIFY_SOCKET` is unset.
    public let socketPath: String?
    /// The watchdog period asked for by systemd (`WATCHDOG_USEC`, honoured only if `WATCHDOG_PID` is unset or
    /// ours), nil when no watchdog is configured.
    public let watchdogInterval: Duration?

    /// Reads `NOTIFY_SOCKET`, `WATCHDOG_USEC` and `WATCHDOG_PID`.
    public init(environment: [String: String] = ProcessInfo.processInfo.environment) {
        socketPath = environment["NOTIFY_SOCKET"].flatMap { $0.isEmpty ? nil : $0 }
        let pidMatches = environment["WATCHDOG_PID"].map { Int32($0) == getpid() } ?? true
        if pidMatches, let usec = environment["WATCHDOG_USEC"].flatMap(UInt64.init), usec > 0 {
            watchdogInterval = .microseconds(Int64(usec))
        } else {
            watchdogInterval = nil
        }
    }

    /// `READY=1` with a status line.
    public func ready(status: String) { send("READY=1\nSTATUS=\(status)") }
    /// A `STATUS=` line.
    public func status(_ text: String) { send("STATUS=\(text)") }
    /// `STOPPING=1`.
    public func stopping() { send("STOPPING=1\nSTATUS=stopping") }
    /// `WATCHDOG=1`.
    public func watchdog() { send("WATCHDOG=1") }

    /// Sends one message; returns whether it was delivered (false also when there is no socket).
    @discardableResult
    public func send(_ message: String) -> Bool {
        guard let socketPath else { return false }
        let fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        guard let address = UnixSocketAddress(socketPath) else { return false }  // "@name": abstract namespace
        let payload = Array(message.utf8)
        let sent = address.withSocketAddress { address, length in
            payload.withUnsafeBytes { raw in
                sendto(fd, raw.baseAddress, raw.count, Int32(MSG_NOSIGNAL), address, length)
            }
        }
        return sent == payload.count
    }
}
