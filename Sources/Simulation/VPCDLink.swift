import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A card that a virtual reader can power and talk to.
///
/// Calls come from one thread (the link's), in order; implementations need no locking of their own.
public protocol SimulatedCard: AnyObject {
    /// The Answer-To-Reset sent when vpcd asks for it.
    var atr: [UInt8] { get }
    /// The reader powered the card (or reset it): forget sessions, select nothing.
    func powerOn()
    /// The reader cut the power.
    func powerOff()
    /// Processes one command APDU and returns the response bytes (data and status word).
    func process(_ command: [UInt8]) -> [UInt8]
}

/// A card that can break the link itself (faults no APDU can express): the link consults it before answering.
public protocol LinkFaults: AnyObject {
    /// The fault to apply to answers, if any (`.garbage` is the card's own business and ignored here).
    var linkFault: CardBehaviour.Fault? { get }
}

/// Connects a `SimulatedCard` to vsmartcard's vpcd driver inside pcscd, so the card sits behind a real PC/SC
/// reader ("Virtual PCD 00 00" on port 35963, "00 01" on 35964, ...).
///
/// vpcd's protocol: TCP, every message a 2-byte big-endian length and a payload. One-byte payloads are control
/// (`00` power off, `01` power on, `02` reset, `04` get ATR, answered with the ATR); anything longer is a command
/// APDU, answered with the response APDU. The card is inserted while it is connected and removed when it
/// disconnects; if vpcd goes away (pcscd restarts) the link reconnects by itself.
///
/// Debian 12's vpcd writes the length and the payload in two `send`s, so with Nagle and delayed ACKs every APDU
/// would cost ~44 ms. Setting `TCP_NODELAY` and re-arming `TCP_QUICKACK` before every receive brings a round trip
/// to ~150 µs (measured in HARNESS.md §1.5).
public final class VPCDLink: @unchecked Sendable {
    /// Where vpcd listens.
    public let host: String
    /// The port of the slot (35963 + slot for the default reader).
    public let port: UInt16
    private let card: SimulatedCard
    private let lock = NSLock()
    private var socket: Int32 = -1
    private var stopped = false
    private var connectedOnce = false
    /// Called on the link thread with `true` when connected to vpcd (card inserted) and `false` when disconnected.
    public var onConnectionChange: (@Sendable (Bool) -> Void)?

    /// Prepares a link; `run()` or `start()` connects.
    public init(card: SimulatedCard, host: String = "127.0.0.1", port: UInt16 = 35963) {
        self.card = card
        self.host = host
        self.port = port
    }

    /// Runs the link on a new thread.
    public func start() {
        let thread = Thread { [self] in self.run() }
        thread.name = "vpcd.link.\(port)"
        thread.start()
    }

    /// Connects and serves until `stop()`; reconnects (every 100 ms) when vpcd is not there or goes away.
    public func run() {
        while !isStopped {
            guard let fd = connectOnce() else {
                usleep(100_000)
                continue
            }
            lock.withLock { socket = fd }
            onConnectionChange?(true)
            serve(fd)
            lock.withLock { socket = -1 }
            close(fd)
            onConnectionChange?(false)
            card.powerOff()
            if !isStopped { usleep(100_000) }
        }
    }

    /// Disconnects (the card is "removed") and ends `run()`.
    public func stop() {
        lock.lock()
        stopped = true
        let fd = socket
        lock.unlock()
        if fd >= 0 { shutdown(fd, Int32(SHUT_RDWR)) }
    }

    /// Removes the card for a moment: drops the connection; the run loop reconnects (re-inserts) after 100 ms.
    public func bounce() {
        let fd = lock.withLock { socket }
        if fd >= 0 { shutdown(fd, Int32(SHUT_RDWR)) }
    }

    private var isStopped: Bool { lock.withLock { stopped } }

    private func connectOnce() -> Int32? {
        let fd = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return nil }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        guard inet_pton(AF_INET, host, &address.sin_addr) == 1 else {
            close(fd)
            return nil
        }
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard result == 0 else {
            close(fd)
            return nil
        }
        var one: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        return fd
    }

    private func serve(_ fd: Int32) {
        while !isStopped {
            guard let header = receive(fd, count: 2) else { return }
            let length = Int(header[0]) << 8 | Int(header[1])
            guard let payload = receive(fd, count: length) else { return }
            if payload.count == 1 {
                switch payload[0] {
                case 0x00: card.powerOff()
                case 0x01, 0x02: card.powerOn()
                case 0x04: guard send(fd, card.atr) else { return }
                default: break
                }
            } else {
                let answer = card.process(payload)
                switch (card as? LinkFaults)?.linkFault {
                case .mute:
                    continue
                case .truncated:
                    let header = [UInt8((answer.count + 16) >> 8 & 0xFF), UInt8((answer.count + 16) & 0xFF)]
                    _ = sendRaw(fd, header + answer.prefix(max(0, answer.count - 1)))
                    return
                default:
                    guard send(fd, answer) else { return }
                }
            }
        }
    }

    private func receive(_ fd: Int32, count: Int) -> [UInt8]? {
        var buffer = [UInt8](repeating: 0, count: count)
        var received = 0
        while received < count {
            var one: Int32 = 1
            setsockopt(fd, Int32(IPPROTO_TCP), TCP_QUICKACK, &one, socklen_t(MemoryLayout<Int32>.size))
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress! + received, count - received, 0) }
            if n <= 0 { return nil }
            received += n
        }
        return buffer
    }

    private func send(_ fd: Int32, _ payload: [UInt8]) -> Bool {
        sendRaw(fd, [UInt8(payload.count >> 8 & 0xFF), UInt8(payload.count & 0xFF)] + payload)
    }

    private func sendRaw(_ fd: Int32, _ message: [UInt8]) -> Bool {
        var sent = 0
        while sent < message.count {
            let n = message.withUnsafeBytes { Glibc.send(fd, $0.baseAddress! + sent, message.count - sent, 0) }
            if n <= 0 { return false }
            sent += n
        }
        return true
    }
}
