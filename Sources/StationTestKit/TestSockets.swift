import ControlAPI
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Raw sockets for tests that speak below HTTP (half a request, a WebSocket upgrade, sd_notify, socket
/// activation): one place that fills a `sockaddr_un`/`sockaddr_in` and sets a receive timeout.
public enum TestSockets {
    /// A Unix socket of `type` (`SOCK_STREAM`, `SOCK_DGRAM`) connected to `path`, or bound to it with `bind`.
    public static func unix(_ path: String, type: Int32 = Int32(SOCK_STREAM.rawValue), bind: Bool = false) throws
        -> Int32
    {
        let fd = socket(AF_UNIX, type, 0)
        guard let address = UnixSocketAddress(path) else {
            close(fd)
            throw HarnessError("socket path too long: \(path)")
        }
        guard (bind ? address.bind(fd) : address.connect(fd)) == 0 else {
            let code = errno
            close(fd)
            throw HarnessError("\(bind ? "bind" : "connect") \(path): errno \(code)")
        }
        return fd
    }

    /// A TCP socket connected to 127.0.0.1:`port`, reads timing out after `receiveTimeout` seconds.
    public static func loopback(port: Int, receiveTimeout: Double) throws -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard connected == 0 else {
            let code = errno
            close(fd)
            throw HarnessError("connect 127.0.0.1:\(port): errno \(code)")
        }
        setReceiveTimeout(fd, seconds: receiveTimeout)
        return fd
    }

    /// Reads on `fd` give up after `seconds`.
    public static func setReceiveTimeout(_ fd: Int32, seconds: Double) {
        var timeout = timeval(
            tv_sec: Int(seconds), tv_usec: Int((seconds - Double(Int(seconds))) * 1_000_000))
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    }
}
