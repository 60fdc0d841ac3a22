import Foundation
import SmartCard
import Testing

@testable import Simulation

/// The vpcd wire protocol, checked against a stand-in vpcd written here from the protocol description (a TCP
/// listener on loopback): 2-byte big-endian lengths, control bytes 00/01/02/04, APDUs answered.
@Suite("vpcd link wire protocol")
struct VPCDLinkTests {
    @Test("control messages, ATR, APDUs, and reconnection after the reader side closes")
    func protocolExchange() throws {
        let listener = try Listener()
        let card = DemoCard.make()
        let link = VPCDLink(card: card, host: "127.0.0.1", port: listener.port)
        link.start()
        defer { link.stop() }

        var peer = try listener.accept()
        try peer.send([0x01])  // power on
        try peer.send([0x04])  // get ATR
        #expect(try peer.receive() == ISO7816Card.defaultATR)
        let select = CommandAPDU(ins: 0xA4, p1: 4, p2: 0x0C, data: DemoCard.aid)
        try peer.send(select.bytes)
        #expect(try peer.receive() == [0x90, 0x00])
        try peer.send(CommandAPDU(ins: 0xB0, p1: 0x82, p2: 0, le: 65_536).bytes)
        let whole = try peer.receive()
        #expect(whole.count == 4098)
        #expect(whole.suffix(2) == [0x90, 0x00])
        try peer.send([0x00])  // power off forgets the selection
        try peer.send(CommandAPDU(ins: 0xB0, p1: 0x82, p2: 0, le: 1).bytes)
        #expect(try peer.receive() == [0x6A, 0x82])
        peer.close()

        // vpcd restarts: the card connects again by itself.
        peer = try listener.accept()
        try peer.send([0x04])
        #expect(try peer.receive() == ISO7816Card.defaultATR)
        peer.close()
    }
}

/// A minimal TCP listener and framed peer, standing in for vpcd.
private final class Listener {
    let fd: Int32
    let port: UInt16

    init() throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        self.fd = fd
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer -> Bool in
                bind(fd, pointer, length) == 0 && listen(fd, 4) == 0 && getsockname(fd, pointer, &length) == 0
            }
        }
        port = UInt16(bigEndian: address.sin_port)
        guard bound else { throw Failure("cannot listen on loopback") }
        var timeout = timeval(tv_sec: 10, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    }

    deinit { Glibc.close(fd) }

    func accept() throws -> Peer {
        let client = Glibc.accept(fd, nil, nil)
        guard client >= 0 else { throw Failure("the card did not connect") }
        var timeout = timeval(tv_sec: 10, tv_usec: 0)
        setsockopt(client, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        return Peer(fd: client)
    }

    struct Peer {
        let fd: Int32

        func send(_ payload: [UInt8]) throws {
            let message = [UInt8(payload.count >> 8), UInt8(payload.count & 0xFF)] + payload
            guard Glibc.send(fd, message, message.count, 0) == message.count else { throw Failure("send failed") }
        }

        func receive() throws -> [UInt8] {
            let header = try read(2)
            return try read(Int(header[0]) << 8 | Int(header[1]))
        }

        private func read(_ count: Int) throws -> [UInt8] {
            var buffer = [UInt8](repeating: 0, count: count)
            var got = 0
            while got < count {
                let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress! + got, count - got, 0) }
                guard n > 0 else { throw Failure("connection closed after \(got) of \(count) bytes") }
                got += n
            }
            return buffer
        }

        func close() { Glibc.close(fd) }
    }

    struct Failure: Error {
        let reason: String
        init(_ reason: String) { self.reason = reason }
    }
}
