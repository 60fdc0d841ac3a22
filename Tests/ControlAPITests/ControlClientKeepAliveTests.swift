import ControlAPI
import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// `ControlClient`'s keep-alive beside the caller's own requests on ONE connection (what a guided
/// `stationctl intake` does while a prompt waits, issue 19): every request gets its own answer, none waits for
/// ever, whatever the heartbeat was doing when the caller needed the connection.
@Suite struct ControlClientKeepAliveTests {
    /// A keep-alive HTTP/1.1 server on a Unix socket that answers each request with its method and path, after
    /// `delay` (a loaded daemon), advertising a 1 s idle timeout (so the heartbeat runs every ⅓ s).
    final class EchoServer: @unchecked Sendable {
        let path: String
        private let listener: Int32
        let delay: Double

        init(delay: Double) throws {
            path = NSTemporaryDirectory() + "keepalive-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).sock"
            self.delay = delay
            listener = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
            var address = sockaddr_un()
            address.sun_family = sa_family_t(AF_UNIX)
            withUnsafeMutableBytes(of: &address.sun_path) { raw in
                for (index, byte) in path.utf8.enumerated() { raw[index] = byte }
            }
            let bound = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    bind(listener, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
                }
            }
            guard bound == 0, listen(listener, 8) == 0 else { throw POSIXError(.EADDRINUSE) }
            Thread { [self] in acceptLoop() }.start()
        }

        func stop() {
            shutdown(listener, Int32(SHUT_RDWR))
            close(listener)
            unlink(path)
        }

        private func acceptLoop() {
            while true {
                let connection = accept(listener, nil, nil)
                if connection < 0 { return }
                Thread { [self] in serve(connection) }.start()
            }
        }

        private func serve(_ connection: Int32) {
            defer { close(connection) }
            var pending = Data()
            var chunk = [UInt8](repeating: 0, count: 4096)
            while true {
                guard let end = pending.firstRange(of: Data("\r\n\r\n".utf8)) else {
                    let count = recv(connection, &chunk, chunk.count, 0)
                    if count <= 0 { return }
                    pending.append(contentsOf: chunk[0..<count])
                    continue
                }
                let head = String(decoding: pending[pending.startIndex..<end.lowerBound], as: UTF8.self)
                let length =
                    head.split(separator: "\r\n").first { $0.lowercased().hasPrefix("content-length:") }
                    .flatMap { Int($0.split(separator: ":")[1].trimmingCharacters(in: .whitespaces)) } ?? 0
                while pending.count - (end.upperBound - pending.startIndex) < length {
                    let count = recv(connection, &chunk, chunk.count, 0)
                    if count <= 0 { return }
                    pending.append(contentsOf: chunk[0..<count])
                }
                let requestLine = head.split(separator: "\r\n").first.map(String.init) ?? ""
                pending.removeSubrange(pending.startIndex..<(end.upperBound + length))
                if delay > 0 { Thread.sleep(forTimeInterval: Double.random(in: 0...delay)) }
                let body = Data(requestLine.utf8)
                let answer =
                    "HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: \(body.count)\r\n"
                    + "keep-alive: timeout=1\r\n\r\n"
                guard send(connection, answer, answer.utf8.count, Int32(MSG_NOSIGNAL)) > 0,
                    body.withUnsafeBytes({ send(connection, $0.baseAddress, body.count, Int32(MSG_NOSIGNAL)) }) > 0
                else { return }
            }
        }
    }

    /// Runs `body` on a thread of its own and fails, instead of hanging, when it has not returned in `seconds`.
    private func bounded(_ seconds: Double, _ body: @escaping @Sendable () throws -> Void) throws {
        let done = DispatchSemaphore(value: 0)
        let failure = LockedBox()
        Thread {
            do { try body() } catch { failure.set("\(error)") }
            done.signal()
        }.start()
        try #require(done.wait(timeout: .now() + seconds) == .success, "still waiting after \(seconds) s")
        if let message = failure.value { Issue.record(Comment(rawValue: message)) }
    }

    struct Mismatch: Error, CustomStringConvertible {
        var text: String
        var description: String { text }
    }

    final class LockedBox: @unchecked Sendable {
        private let lock = NSLock()
        private var message: String?
        func set(_ value: String) { lock.withLock { message = value } }
        var value: String? { lock.withLock { message } }
    }

    @Test("the caller's requests and the heartbeat share one connection: each answer is its own, none hangs")
    func heartbeatBesideTheCallersRequests() throws {
        let server = try EchoServer(delay: 0.05)
        defer { server.stop() }
        let client = ControlClient(socketPath: server.path)
        try bounded(60) {
            let first = try client.request("GET", "/v1/status")
            guard client.idleTimeout == 1, String(decoding: first.body, as: UTF8.self) == "GET /v1/status HTTP/1.1"
            else { throw Mismatch(text: "first answer: \(String(decoding: first.body, as: UTF8.self))") }
            for round in 0..<60 {
                // The officer answers at any moment of the heartbeat's cycle (before, during, after a request).
                let heartbeat = client.heartbeat(path: "/v1/readers")
                Thread.sleep(forTimeInterval: Double.random(in: 0...0.5))
                heartbeat.stop()
                let path = "/v1/intake/s/details?round=\(round)"
                let answer = String(
                    decoding: try client.request("PUT", path, body: Data("{}".utf8)).body, as: UTF8.self)
                guard answer == "PUT \(path) HTTP/1.1" else { throw Mismatch(text: "round \(round): \(answer)") }
            }
        }
    }
}
