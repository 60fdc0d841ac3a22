import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A Unix-domain socket address: the one place that fills a `sockaddr_un` (the control client, the password helper
/// and its client, systemd's notify socket, doctor, the test kit).
public struct UnixSocketAddress: Sendable {
    /// The path as given (`@name` for Linux's abstract namespace).
    public let path: String
    private let storage: sockaddr_un
    /// The address length to pass with it: the whole structure for a path (as the kernel accepts), the family and
    /// the name's bytes for an abstract name (whose bytes include no terminator).
    public let length: socklen_t

    /// The address of `path`; nil when it does not fit in `sun_path` (107 bytes and a terminator). A leading `@`
    /// names the abstract namespace (as systemd's `NOTIFY_SOCKET` does).
    public init?(_ path: String) {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        var bytes = Array(path.utf8)
        let abstract = bytes.first == UInt8(ascii: "@")
        if abstract { bytes[0] = 0 }
        guard !bytes.isEmpty, bytes.count < MemoryLayout.size(ofValue: address.sun_path) else { return nil }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (index, byte) in bytes.enumerated() { raw[index] = byte }
        }
        self.path = path
        self.storage = address
        self.length =
            abstract
            ? socklen_t(MemoryLayout<sa_family_t>.size + bytes.count) : socklen_t(MemoryLayout<sockaddr_un>.size)
    }

    /// Calls `body` with the address as a `sockaddr` and its length.
    public func withSocketAddress<T>(_ body: (UnsafePointer<sockaddr>, socklen_t) throws -> T) rethrows -> T {
        var address = storage
        return try withUnsafePointer(to: &address) {
            try $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { try body($0, length) }
        }
    }

    /// `connect(2)` of `fd` to this address: 0, or -1 with `errno` set.
    public func connect(_ fd: Int32) -> Int32 {
        withSocketAddress { Glibc.connect(fd, $0, $1) }
    }

    /// `bind(2)` of `fd` to this address: 0, or -1 with `errno` set.
    public func bind(_ fd: Int32) -> Int32 {
        withSocketAddress { Glibc.bind(fd, $0, $1) }
    }
}
