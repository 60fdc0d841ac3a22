import ControlAPI
import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// The one `sockaddr_un` filler: a path round-trips through bind and connect, an abstract name (systemd's
/// `@name`) carries no terminator in its length, and a path that does not fit is refused rather than cut.
@Suite struct UnixSocketAddressTests {
    @Test func aPathBindsAndConnects() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("usa-\(getpid()).sock").path
        unlink(path)
        defer { unlink(path) }
        let address = try #require(UnixSocketAddress(path))
        #expect(address.length == socklen_t(MemoryLayout<sockaddr_un>.size))
        let server = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(server) }
        #expect(address.bind(server) == 0 && listen(server, 1) == 0)
        let client = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(client) }
        #expect(address.connect(client) == 0)
        var name = sockaddr_un()
        var length = socklen_t(MemoryLayout<sockaddr_un>.size)
        _ = withUnsafeMutablePointer(to: &name) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(server, $0, &length) }
        }
        let bound = withUnsafeBytes(of: name.sun_path) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        #expect(bound == path)
    }

    @Test func anAbstractNameHasNoTerminator() throws {
        let name = "@station-usa-\(getpid())"
        let address = try #require(UnixSocketAddress(name))
        #expect(address.length == socklen_t(MemoryLayout<sa_family_t>.size + name.utf8.count))
        let receiver = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
        defer { close(receiver) }
        #expect(address.bind(receiver) == 0)
        let sender = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
        defer { close(sender) }
        let sent = address.withSocketAddress { pointer, length in
            "READY=1".withCString { sendto(sender, $0, 7, 0, pointer, length) }
        }
        #expect(sent == 7)
        var buffer = [UInt8](repeating: 0, count: 16)
        #expect(recv(receiver, &buffer, buffer.count, Int32(MSG_DONTWAIT)) == 7)
        #expect(String(decoding: buffer.prefix(7), as: UTF8.self) == "READY=1")
    }

    @Test func aPathThatDoesNotFitIsRefused() {
        #expect(UnixSocketAddress("/" + String(repeating: "x", count: 107)) == nil)
        #expect(UnixSocketAddress("/" + String(repeating: "x", count: 106)) != nil)
        #expect(UnixSocketAddress("") == nil)
    }
}
