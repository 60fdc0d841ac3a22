import Dispatch
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A WebSocket client over a raw loopback TCP socket (RFC 6455, client side; tests and benches), written out in
/// full so the caller sees the upgrade's status line and headers as the server sent them, refusals included: sends
/// the upgrade request, reads the answer, then (on 101) reads frames on a thread of its own — text messages
/// (continuations joined, each stamped as it arrives), pings answered with a masked pong, the close frame's code.
public final class WebSocketTestClient: @unchecked Sendable {
    /// The answer's status code (101 when upgraded).
    public let status: Int
    /// The answer's head, lower-cased.
    public let head: String
    /// The answer's body (a refusal's JSON error).
    public let body: String
    private let fd: Int32
    private let lock = NSLock()
    private var received: [(at: Double, text: String)] = []
    private var closeCode: UInt16?
    private var ended = false

    /// Connects and asks for the upgrade of `path`, with `Authorization: Bearer token` when given.
    public init(port: Int, path: String, token: String?, headers: [String] = []) throws {
        let fd = try TestSockets.loopback(port: port, receiveTimeout: 10)
        self.fd = fd
        let key = Data((0..<16).map { _ in UInt8.random(in: 0...255) }).base64EncodedString()
        var request =
            "GET \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            + "Sec-WebSocket-Key: \(key)\r\nSec-WebSocket-Version: 13\r\n"
        if let token { request += "Authorization: Bearer \(token)\r\n" }
        for header in headers { request += header + "\r\n" }
        Self.send(fd, Array((request + "\r\n").utf8))

        // The answer's head, byte by byte (the frames that follow must stay unread).
        var headBytes = [UInt8]()
        var byte: UInt8 = 0
        while !headBytes.ends(with: Array("\r\n\r\n".utf8)), recv(fd, &byte, 1, 0) == 1 { headBytes.append(byte) }
        let headText = String(decoding: headBytes, as: UTF8.self)
        head = headText.lowercased()
        status = headText.split(separator: " ").dropFirst().first.flatMap { Int($0) } ?? 0
        guard status == 101 else {
            // A refusal: the body up to its length (the server closes after it).
            let length =
                head.components(separatedBy: "\r\n").first { $0.hasPrefix("content-length:") }
                .flatMap { Int($0.dropFirst("content-length:".count).trimmingCharacters(in: .whitespaces)) } ?? 0
            var bytes = [UInt8]()
            var chunk = [UInt8](repeating: 0, count: 4096)
            while bytes.count < length {
                let count = recv(fd, &chunk, min(chunk.count, length - bytes.count), 0)
                if count <= 0 { break }
                bytes += chunk[0..<count]
            }
            body = String(decoding: bytes, as: UTF8.self)
            return
        }
        body = ""
        let thread = Thread { [self] in readFrames() }
        thread.start()
    }

    deinit { close(fd) }

    /// The text messages received so far.
    public var messages: [String] { lock.withLock { received.map(\.text) } }
    /// When the first message containing `text` arrived (seconds of `DispatchTime`'s uptime clock), nil: not yet.
    public func firstMessage(containing text: String) -> Double? {
        lock.withLock { received.first { $0.text.contains(text) }?.at }
    }
    /// Forgets the messages received so far.
    public func clear() { lock.withLock { received.removeAll() } }
    /// The server's close code once it closed (nil: still open).
    public var closedWith: UInt16? { lock.withLock { closeCode } }
    /// Whether the connection ended (closed by the server or dropped).
    public var isEnded: Bool { lock.withLock { ended } }

    /// Sends a close frame (normal closure).
    public func sendClose() { Self.send(fd, Self.maskedFrame(opcode: 0x8, payload: [0x03, 0xE8])) }

    private func readFrames() {
        var message = [UInt8]()
        defer { lock.withLock { ended = true } }
        while true {
            guard let header = readExactly(2) else { return }
            let opcode = header[0] & 0x0F
            var length = Int(header[1] & 0x7F)
            if length == 126 {
                guard let extended = readExactly(2) else { return }
                length = Int(extended[0]) << 8 | Int(extended[1])
            } else if length == 127 {
                guard let extended = readExactly(8) else { return }
                length = extended.reduce(0) { $0 << 8 | Int($1) }
            }
            guard let payload = readExactly(length) else { return }
            switch opcode {
            case 0x1, 0x0:
                message += payload
                if header[0] & 0x80 != 0 {
                    let text = String(decoding: message, as: UTF8.self)
                    let at = Double(DispatchTime.now().uptimeNanoseconds) / 1e9
                    lock.withLock { received.append((at, text)) }
                    message = []
                }
            case 0x8:
                let code = payload.count >= 2 ? UInt16(payload[0]) << 8 | UInt16(payload[1]) : 1005
                lock.withLock { closeCode = code }
                Self.send(fd, Self.maskedFrame(opcode: 0x8, payload: Array(payload.prefix(2))))
                return
            case 0x9:
                Self.send(fd, Self.maskedFrame(opcode: 0xA, payload: payload))
            default:
                break
            }
        }
    }

    /// Exactly `count` bytes, waiting through receive time-outs; nil when the connection ends.
    private func readExactly(_ count: Int) -> [UInt8]? {
        var bytes = [UInt8]()
        var chunk = [UInt8](repeating: 0, count: max(1, min(count, 65_536)))
        while bytes.count < count {
            let got = recv(fd, &chunk, min(chunk.count, count - bytes.count), 0)
            if got > 0 {
                bytes += chunk[0..<got]
            } else if got < 0, errno == EAGAIN || errno == EINTR {
                continue
            } else {
                return nil
            }
        }
        return bytes
    }

    /// A client frame: FIN, the opcode, masked with a random key (RFC 6455 §5.3: clients always mask).
    public static func maskedFrame(opcode: UInt8, payload: [UInt8]) -> [UInt8] {
        let mask = (0..<4).map { _ in UInt8.random(in: 0...255) }
        var frame: [UInt8] = [0x80 | opcode]
        if payload.count < 126 {
            frame.append(0x80 | UInt8(payload.count))
        } else {
            frame += [0x80 | 126, UInt8(payload.count >> 8), UInt8(payload.count & 0xFF)]
        }
        frame += mask
        frame += payload.enumerated().map { $0.element ^ mask[$0.offset % 4] }
        return frame
    }

    private static func send(_ fd: Int32, _ bytes: [UInt8]) {
        _ = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
    }
}

extension Array where Element == UInt8 {
    fileprivate func ends(with suffix: [UInt8]) -> Bool {
        count >= suffix.count && Array(self[(count - suffix.count)...]) == suffix
    }
}
