import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A TCP proxy that holds every chunk it reads for a fixed time before forwarding it, in both directions: the
/// latency of a slow link, which this kernel cannot add (no `netem`). A bench and test tool: it forwards while it
/// waits (a pipeline, not stop-and-wait), so it delays every request/answer exchange by `delay` each way without
/// lowering throughput. It counts the bytes it forwards and can cut every connection (at once, or once a number
/// of bytes has gone upstream) to stand for a link that drops.
///
/// Plain blocking sockets, four threads per connection (a reader and a writer each way), off Swift's pool.
public final class DelayProxy: @unchecked Sendable {
    /// The port it listens on (127.0.0.1 unless told otherwise).
    public let port: Int
    /// The held time per chunk, each way.
    public let delay: TimeInterval
    let upstream: sockaddr_in
    let listener: Int32
    private let lock = NSLock()
    private var open: [ObjectIdentifier: Connection] = [:]
    private var up = 0
    private var down = 0
    private var cutCount = 0
    private var cutThreshold: Int?
    private var stopped = false

    /// Listens on `listenHost`:ephemeral port and forwards to `upstreamHost`:`upstreamPort` (IPv4 literals).
    public init(upstreamHost: String, upstreamPort: Int, delay: TimeInterval, listenHost: String = "127.0.0.1") throws {
        self.delay = delay
        upstream = try Self.address(upstreamHost, port: upstreamPort)
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw Failure("socket: \(errno)") }
        var yes: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        var local = try Self.address(listenHost, port: 0)
        let bound = withUnsafePointer(to: &local) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard bound == 0, listen(fd, 64) == 0 else {
            close(fd)
            throw Failure("bind/listen: \(errno)")
        }
        var actual = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &actual) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        listener = fd
        port = Int(UInt16(bigEndian: actual.sin_port))
        let thread = Thread { [self] in acceptLoop() }
        thread.name = "delay-proxy.accept"
        thread.start()
    }

    deinit { stop() }

    /// A proxy failure (setup only).
    public struct Failure: Error, CustomStringConvertible {
        /// What failed.
        public let description: String
        init(_ description: String) { self.description = description }
    }

    /// Bytes forwarded towards the upstream (requests) so far.
    public var bytesUpstream: Int { lock.withLock { up } }
    /// Bytes forwarded back (answers) so far.
    public var bytesDownstream: Int { lock.withLock { down } }
    /// Cuts so far.
    public var cuts: Int { lock.withLock { cutCount } }

    /// Cuts every open connection now.
    public func cut() {
        let connections = lock.withLock {
            cutCount += 1
            return Array(open.values)
        }
        for connection in connections { connection.kill() }
    }

    /// Cuts every open connection once `total` bytes in all have been forwarded upstream (one shot).
    public func cut(whenUpstreamReaches total: Int) { lock.withLock { cutThreshold = total } }

    /// Stops listening and cuts every connection.
    public func stop() {
        let connections = lock.withLock {
            guard !stopped else { return [Connection]() }
            stopped = true
            return Array(open.values)
        }
        shutdown(listener, Int32(SHUT_RDWR))
        for connection in connections { connection.kill() }
    }

    static func address(_ host: String, port: Int) throws -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        guard inet_pton(AF_INET, host, &address.sin_addr) == 1 else { throw Failure("not an IPv4 address: \(host)") }
        return address
    }

    func acceptLoop() {
        while true {
            let client = accept(listener, nil, nil)
            if client < 0 {
                if errno == EINTR { continue }
                break
            }
            let server = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var target = upstream
            let connected = withUnsafePointer(to: &target) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    connect(server, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
            guard server >= 0, connected == 0 else {
                close(client)
                if server >= 0 { close(server) }
                continue
            }
            var yes: Int32 = 1
            setsockopt(client, Int32(IPPROTO_TCP), TCP_NODELAY, &yes, socklen_t(MemoryLayout<Int32>.size))
            setsockopt(server, Int32(IPPROTO_TCP), TCP_NODELAY, &yes, socklen_t(MemoryLayout<Int32>.size))
            let connection = Connection(client: client, server: server, proxy: self)
            let refused = lock.withLock {
                if stopped { return true }
                open[ObjectIdentifier(connection)] = connection
                return false
            }
            if refused {
                connection.kill()
            }
            connection.start()
        }
        close(listener)
    }

    func forwarded(_ count: Int, upstream isUp: Bool) {
        let cutNow = lock.withLock { () -> Bool in
            if isUp { up += count } else { down += count }
            if isUp, let threshold = cutThreshold, up >= threshold {
                cutThreshold = nil
                return true
            }
            return false
        }
        if cutNow { cut() }
    }

    func ended(_ connection: Connection) {
        _ = lock.withLock { open.removeValue(forKey: ObjectIdentifier(connection)) }
    }

    /// One proxied connection: two directions, each a reader thread and a writer thread around a queue of
    /// (due time, chunk).
    final class Connection: @unchecked Sendable {
        let client: Int32
        let server: Int32
        let proxy: DelayProxy  // strong: the proxy lives while a connection does (released in `ended`)
        let condition = NSCondition()
        var queues: [[(due: UInt64, data: Data?)]] = [[], []]  // 0: client → server, 1: server → client
        var queued = [0, 0]
        var dead = false
        var running = 4
        static let maxQueued = 256 << 10

        init(client: Int32, server: Int32, proxy: DelayProxy) {
            self.client = client
            self.server = server
            self.proxy = proxy
        }

        func start() {
            for direction in 0..<2 {
                let reader = Thread { [self] in read(direction) }
                reader.name = "delay-proxy.read"
                reader.start()
                let writer = Thread { [self] in write(direction) }
                writer.name = "delay-proxy.write"
                writer.start()
            }
        }

        func kill() {
            condition.lock()
            dead = true
            condition.broadcast()
            condition.unlock()
            shutdown(client, Int32(SHUT_RDWR))
            shutdown(server, Int32(SHUT_RDWR))
        }

        func finished() {
            condition.lock()
            running -= 1
            let last = running == 0
            condition.unlock()
            if last {
                close(client)
                close(server)
                proxy.ended(self)
            }
        }

        static func now() -> UInt64 { DispatchTime.now().uptimeNanoseconds }

        func read(_ direction: Int) {
            defer { finished() }
            let source = direction == 0 ? client : server
            var buffer = [UInt8](repeating: 0, count: 64 << 10)
            while true {
                let count = recv(source, &buffer, buffer.count, 0)
                if count < 0, errno == EINTR { continue }
                let due = Self.now() + UInt64(proxy.delay * 1e9)
                condition.lock()
                if count <= 0 || dead {
                    queues[direction].append((due, nil))
                    condition.broadcast()
                    condition.unlock()
                    return
                }
                queues[direction].append((due, Data(buffer[0..<count])))
                queued[direction] += count
                condition.broadcast()
                while queued[direction] > Self.maxQueued, !dead { condition.wait() }
                condition.unlock()
            }
        }

        func write(_ direction: Int) {
            defer { finished() }
            let target = direction == 0 ? server : client
            while true {
                condition.lock()
                while queues[direction].isEmpty, !dead { condition.wait() }
                if dead {
                    condition.unlock()
                    return
                }
                let (due, data) = queues[direction][0]
                condition.unlock()
                let now = Self.now()
                if due > now { usleep(UInt32(min(1_000_000, (due - now) / 1000))) }
                if Self.now() < due { continue }
                condition.lock()
                queues[direction].removeFirst()
                queued[direction] -= data?.count ?? 0
                condition.broadcast()
                condition.unlock()
                guard let data else {
                    shutdown(target, Int32(SHUT_WR))
                    return
                }
                var sent = 0
                let ok = data.withUnsafeBytes { raw -> Bool in
                    while sent < raw.count {
                        let n = send(target, raw.baseAddress! + sent, raw.count - sent, Int32(MSG_NOSIGNAL))
                        if n < 0, errno == EINTR { continue }
                        if n <= 0 { return false }
                        sent += n
                    }
                    return true
                }
                proxy.forwarded(sent, upstream: direction == 0)
                if !ok {
                    kill()
                    return
                }
            }
        }
    }
}
