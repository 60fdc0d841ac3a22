import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A small blocking HTTP/1.1 client for the control socket, shared by `stationctl` and tests.
///
/// One client is one connection (keep-alive): the intake session belongs to the connection that opened it,
/// so a guided intake uses one client from start to commit. The daemon closes a connection left idle longer
/// than it advertises (`Keep-Alive: timeout=N`): `heartbeat()` keeps it alive while the program waits (for the
/// officer's input). Requests are serialised by a lock (so a heartbeat may run beside the caller's thread);
/// the event stream is not, and is read from one thread.
public final class ControlClient: @unchecked Sendable {
    /// An HTTP response.
    public struct Response: Sendable {
        /// Status code.
        public var status: Int
        /// Header fields, names lower-cased.
        public var headers: [String: String]
        /// Body bytes.
        public var body: Data
        /// Decodes the body.
        public func decode<T: Decodable>(_ type: T.Type) throws -> T {
            try ControlJSON.decoder().decode(type, from: body)
        }
        /// The error body, when the status is not 2xx and the body is one.
        public var error: ControlErrorDetail? { (try? decode(ControlErrorBody.self))?.error }
    }

    /// A transport failure (socket missing, permission denied, connection closed).
    public struct TransportError: Error, CustomStringConvertible {
        /// What failed.
        public var reason: String
        /// errno, when a system call failed.
        public var errno: Int32?
        public var description: String { reason }
    }

    /// Socket path.
    public let socketPath: String
    /// `Accept-Language` sent with every request.
    public var language: String
    private var fd: Int32 = -1
    private var buffer = Data()
    private let requestLock = NSLock()
    /// The idle timeout the daemon advertised on the last response (`Keep-Alive: timeout=N`), in seconds.
    public private(set) var idleTimeout: Double?

    /// The TCP listener's loopback port and the client token (nil: the Unix socket).
    private var tcp: (port: UInt16, token: String?)?

    /// Creates a client; connects on the first request.
    public init(socketPath: String, language: String = "vi") {
        self.socketPath = socketPath
        self.language = language
    }

    /// A client of the daemon's TCP listener on loopback (plain HTTP; benches and tests), sending
    /// `Authorization: Bearer token` with every request.
    public init(loopbackPort port: Int, token: String?, language: String = "vi") {
        socketPath = "127.0.0.1:\(port)"
        self.language = language
        tcp = (UInt16(clamping: port), token)
    }

    deinit { close() }

    /// Wakes a request or an event stream blocked on this connection from another thread (`shutdown(2)`): it ends
    /// with a transport error. The connection is closed by its own thread afterwards.
    public func interrupt() {
        let descriptor = fd
        if descriptor >= 0 { _ = Glibc.shutdown(descriptor, Int32(SHUT_RDWR)) }
    }

    /// Closes the connection.
    public func close() {
        if fd >= 0 { _ = Glibc.close(fd) }
        fd = -1
        buffer.removeAll()
    }

    private func connectIfNeeded() throws {
        if fd >= 0 { return }
        if let tcp { return try connectTCP(port: tcp.port) }
        let socket = Glibc.socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        guard socket >= 0 else { throw TransportError(reason: "socket() failed", errno: Glibc.errno) }
        guard let address = UnixSocketAddress(socketPath) else {
            _ = Glibc.close(socket)
            throw TransportError(reason: "socket path too long", errno: nil)
        }
        guard address.connect(socket) == 0 else {
            let code = Glibc.errno
            _ = Glibc.close(socket)
            throw TransportError(
                reason: "cannot connect to \(socketPath): \(String(cString: strerror(code)))",
                errno: code)
        }
        fd = socket
    }

    private func connectTCP(port: UInt16) throws {
        let socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard socket >= 0 else { throw TransportError(reason: "socket() failed", errno: Glibc.errno) }
        var noDelay: Int32 = 1
        setsockopt(socket, Int32(IPPROTO_TCP), TCP_NODELAY, &noDelay, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.connect(socket, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard result == 0 else {
            let code = Glibc.errno
            _ = Glibc.close(socket)
            throw TransportError(
                reason: "cannot connect to \(socketPath): \(String(cString: strerror(code)))", errno: code)
        }
        fd = socket
    }

    private func writeAll(_ data: Data) throws {
        var offset = 0
        while offset < data.count {
            let written = data.withUnsafeBytes { raw in
                Glibc.send(fd, raw.baseAddress! + offset, data.count - offset, Int32(MSG_NOSIGNAL))
            }
            if written < 0 {
                if Glibc.errno == EINTR { continue }
                throw TransportError(reason: "connection closed while sending", errno: Glibc.errno)
            }
            offset += written
        }
    }

    private func fill() throws -> Bool {
        var chunk = [UInt8](repeating: 0, count: 65_536)
        while true {
            let count = Glibc.recv(fd, &chunk, chunk.count, 0)
            if count < 0 && Glibc.errno == EINTR { continue }
            if count <= 0 { return false }
            buffer.append(contentsOf: chunk[0..<count])
            return true
        }
    }

    private func readLine() throws -> String {
        while true {
            if let range = buffer.firstRange(of: Data("\r\n".utf8)) {
                let line = String(decoding: buffer[buffer.startIndex..<range.lowerBound], as: UTF8.self)
                buffer.removeSubrange(buffer.startIndex..<range.upperBound)
                return line
            }
            guard try fill() else {
                throw TransportError(reason: "connection closed by the daemon", errno: nil)
            }
        }
    }

    private func readBytes(_ count: Int) throws -> Data {
        while buffer.count < count {
            guard try fill() else {
                throw TransportError(reason: "connection closed by the daemon", errno: nil)
            }
        }
        let out = Data(buffer.prefix(count))
        buffer.removeFirst(count)
        return out
    }

    private func readHead() throws -> (Int, [String: String]) {
        let statusLine = try readLine()
        let parts = statusLine.split(separator: " ", maxSplits: 2)
        guard parts.count >= 2, let status = Int(parts[1]) else {
            throw TransportError(reason: "bad status line", errno: nil)
        }
        var headers: [String: String] = [:]
        while true {
            let line = try readLine()
            if line.isEmpty { break }
            if let colon = line.firstIndex(of: ":") {
                headers[line[..<colon].lowercased()] = line[line.index(after: colon)...]
                    .trimmingCharacters(in: .whitespaces)
            }
        }
        return (status, headers)
    }

    private func sendRequest(
        _ method: String, _ path: String, body: Data?, contentType: String, accept: String
    )
        throws
    {
        try connectIfNeeded()
        var head = "\(method) \(path) HTTP/1.1\r\nHost: station\r\nAccept: \(accept)\r\n"
        head += "Accept-Language: \(language)\r\n"
        if let token = tcp?.token { head += "Authorization: Bearer \(token)\r\n" }
        if let body { head += "Content-Type: \(contentType)\r\nContent-Length: \(body.count)\r\n" }
        head += "\r\n"
        var data = Data(head.utf8)
        if let body { data.append(body) }
        do {
            try writeAll(data)
        } catch {
            close()
            throw error
        }
    }

    /// Sends a request and reads the whole response (Content-Length or chunked).
    public func request(
        _ method: String, _ path: String, body: Data? = nil, contentType: String = "application/json"
    ) throws -> Response {
        requestLock.lock()
        defer { requestLock.unlock() }
        try sendRequest(method, path, body: body, contentType: contentType, accept: "application/json")
        do {
            let (status, headers) = try readHead()
            var payload = Data()
            if let length = headers["content-length"].flatMap(Int.init) {
                payload = try readBytes(length)
            } else if headers["transfer-encoding"]?.lowercased() == "chunked" {
                while true {
                    let sizeLine = try readLine()
                    let size = Int(sizeLine.split(separator: ";")[0], radix: 16) ?? 0
                    if size == 0 {
                        _ = try readLine()
                        break
                    }
                    payload.append(try readBytes(size))
                    _ = try readLine()
                }
            }
            if headers["connection"]?.lowercased() == "close" { close() }
            if let keepAlive = headers["keep-alive"] {
                idleTimeout =
                    keepAlive.split(separator: ",").compactMap { item -> Double? in
                        let pair = item.split(separator: "=")
                        guard pair.count == 2, pair[0].trimmingCharacters(in: .whitespaces) == "timeout" else {
                            return nil
                        }
                        return Double(pair[1].trimmingCharacters(in: .whitespaces))
                    }.first
            }
            return Response(status: status, headers: headers, body: payload)
        } catch {
            close()
            throw error
        }
    }

    /// Keeps this connection alive until `stop()`: a `GET path` on it every third of the idle timeout the daemon
    /// advertised (every 10 s when it advertised none). Use it while waiting for a person between requests of a
    /// session that belongs to the connection (a guided intake); the answers are ignored.
    public func heartbeat(path: String = ControlPaths.readers) -> Heartbeat {
        Heartbeat(client: self, path: path, interval: max(0.2, (idleTimeout ?? 30) / 3), onAnswer: nil)
    }

    /// As `heartbeat(path:)`, but every `interval` seconds (never less often than the idle timeout needs) and each
    /// answer handed to `onAnswer` on the heartbeat's thread: a guided intake watches its session this way while the
    /// officer types, to say at once that the card was pulled out.
    public func heartbeat(
        path: String, every interval: Double, onAnswer: @escaping @Sendable (Response) -> Void
    ) -> Heartbeat {
        let keepAlive = max(0.2, (idleTimeout ?? 30) / 3)
        return Heartbeat(client: self, path: path, interval: min(max(0.2, interval), keepAlive), onAnswer: onAnswer)
    }

    /// A running heartbeat (see `heartbeat(path:)`).
    public final class Heartbeat: @unchecked Sendable {
        private let stopped = DispatchSemaphore(value: 0)
        private let finished = DispatchSemaphore(value: 0)

        init(
            client: ControlClient, path: String, interval: Double, onAnswer: (@Sendable (Response) -> Void)?
        ) {
            let thread = Thread { [stopped, finished] in
                while stopped.wait(timeout: .now() + interval) == .timedOut {
                    if let answer = try? client.request("GET", path) { onAnswer?(answer) }
                }
                finished.signal()
            }
            thread.start()
        }

        /// Stops the heartbeat and waits for a request in flight to end.
        public func stop() {
            stopped.signal()
            finished.wait()
        }
    }

    /// Sends a JSON-encoded value.
    public func request<T: Encodable>(_ method: String, _ path: String, json: T) throws -> Response {
        try request(method, path, body: try ControlJSON.encoder().encode(json))
    }

    /// Opens a Server-Sent Events stream and calls `onEvent(type, data)` for each event until it returns false
    /// or the stream ends. `onOpen` is called once the daemon accepted the stream (every event from then on is
    /// delivered). Returns the status code when the daemon refused the stream.
    @discardableResult
    public func events(
        _ path: String = ControlPaths.events, onOpen: () -> Void = {}, onEvent: (String, String) -> Bool
    ) throws -> Int {
        try sendRequest("GET", path, body: nil, contentType: "", accept: "text/event-stream")
        let (status, headers) = try readHead()
        guard status == 200 else { return status }
        onOpen()
        let chunked = headers["transfer-encoding"]?.lowercased() == "chunked"
        var text = ""
        var type = "message"
        var data = ""
        while true {
            if chunked {
                let sizeLine = try readLine()
                let size = Int(sizeLine.split(separator: ";")[0], radix: 16) ?? 0
                if size == 0 { return status }
                text += String(decoding: try readBytes(size), as: UTF8.self)
                _ = try readLine()
            } else {
                guard try fill() else { return status }
                text += String(decoding: buffer, as: UTF8.self)
                buffer.removeAll()
            }
            while let newline = text.firstIndex(of: "\n") {
                let line = String(text[..<newline])
                text.removeSubrange(...newline)
                if line.isEmpty {
                    if !data.isEmpty, !onEvent(type, data) {
                        close()
                        return status
                    }
                    type = "message"
                    data = ""
                } else if line.hasPrefix("event:") {
                    type = line.dropFirst(6).trimmingCharacters(in: .whitespaces)
                } else if line.hasPrefix("data:") {
                    data += line.dropFirst(5).trimmingCharacters(in: .whitespaces)
                }
            }
        }
    }
}
