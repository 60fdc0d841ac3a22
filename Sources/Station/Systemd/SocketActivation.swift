import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Socket activation (`LISTEN_PID`, `LISTEN_FDS`, fds from 3) without libsystemd.
///
/// Hummingbird 2 binds its own socket (`BindAddress` is a host/port, a Unix path or an NWEndpoint; there is no
/// "already bound fd"), so the daemon cannot serve on the passed fd itself. What it does instead: it reads the
/// passed socket's path with `getsockname`, keeps the fd open until its own socket is bound at the same path
/// (so systemd's socket stays valid and the unit's ownership/mode are re-applied), then closes it. Connections
/// queued on the passed socket before the rebind are lost; stationctl retries once on ECONNREFUSED.
public struct SocketActivation: Sendable {
    /// The passed listening Unix socket, if any.
    public let fd: Int32?
    /// Its path.
    public let path: String?

    /// Reads the environment; ignores fds not meant for this process.
    public init(environment: [String: String] = ProcessInfo.processInfo.environment) {
        guard let pid = environment["LISTEN_PID"].flatMap(Int32.init), pid == getpid(),
            let count = environment["LISTEN_FDS"].flatMap(Int.init), count >= 1
        else {
            fd = nil
            path = nil
            return
        }
        let descriptor: Int32 = 3
        fd = descriptor
        path = Self.unixPath(of: descriptor)
        _ = fcntl(descriptor, F_SETFD, FD_CLOEXEC)
    }

    /// The bound path of a Unix socket.
    static func unixPath(of fd: Int32) -> String? {
        var address = sockaddr_un()
        var length = socklen_t(MemoryLayout<sockaddr_un>.size)
        let result = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        guard result == 0, address.sun_family == sa_family_t(AF_UNIX) else { return nil }
        let path = withUnsafeBytes(of: address.sun_path) { raw in
            String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
        }
        return path.isEmpty ? nil : path
    }

    /// Closes the passed fd once our own socket is bound.
    public func release() {
        if let fd { close(fd) }
    }
}
