import Foundation
import Logging

/// A serial / USB-CDC QR scanner attached to the station (`desk.qr_scanner`, a tty device path): it sends each scan
/// as one line. The feed keeps the latest line for `freshness` seconds; a desk check without a key takes it (once).
///
/// One dedicated thread does the reads; a device that goes away (unplugged) is reopened every second. The thread
/// holds only the feed's `Reader`, never the feed: released, the feed stops it, and within `Reader.tick` the device
/// is closed and never opened again (a path left behind could name another terminal later: a pseudo-terminal's
/// number is reused, and a reader still polling it would take that terminal's lines).
/// Scanned text is personal data: never logged.
final class QRScannerFeed: Sendable {
    private let reader = Reader()
    private let freshness: Duration
    private static let logger = Logger(label: "station.desk.scanner")

    /// Starts reading `path` (a tty, a pty in tests, or any character device giving lines).
    init(path: String, freshness: Duration = .seconds(60)) {
        self.freshness = freshness
        let thread = Thread { [reader] in reader.run(path: path) }
        thread.name = "qr-scanner"
        thread.start()
    }

    /// For tests: a feed with no device.
    init(freshness: Duration = .seconds(60)) {
        self.freshness = freshness
    }

    deinit { reader.stop() }

    /// The latest scan if it is fresh, consumed.
    func take() -> String? {
        reader.latest.withLock { scan in
            defer { scan = nil }
            guard let current = scan, ContinuousClock.now - current.at <= freshness else { return nil }
            return current.text
        }
    }

    /// Records a scanned line (the reader thread; tests).
    func received(_ line: String) { reader.received(line) }

    /// The reading thread's state: the latest scan and whether the feed still wants it.
    private final class Reader: Sendable {
        struct Scan {
            var text: String
            var at: ContinuousClock.Instant
        }

        let latest = Mutex<Scan?>(nil)
        private let stopped = Mutex(false)
        /// How long a wait (for a line, or before reopening) lasts before the thread looks whether it was stopped.
        static let tick: Int32 = 200  // milliseconds

        var isStopped: Bool { stopped.withLock { $0 } }

        func stop() { stopped.withLock { $0 = true } }

        func received(_ line: String) {
            let text = line.trimmingCharacters(in: .whitespacesAndNewlines)
            guard !text.isEmpty else { return }
            latest.withLock { $0 = Scan(text: text, at: .now) }
        }

        func run(path: String) {
            var reported = false
            while !isStopped {
                let fd = open(path, O_RDONLY | O_NOCTTY | O_NONBLOCK | O_CLOEXEC)
                guard fd >= 0 else {
                    if !reported {
                        QRScannerFeed.logger.warning(
                            "QR scanner not available", metadata: ["path": "\(path)", "errno": "\(errno)"])
                        reported = true
                    }
                    pause(seconds: 1)
                    continue
                }
                reported = false
                QRScannerFeed.logger.info("QR scanner opened", metadata: ["path": "\(path)"])
                readLines(fd)
                close(fd)
                pause(seconds: 1)
            }
        }

        /// Reads lines from `fd` until the device goes away or the feed is stopped. The descriptor is
        /// non-blocking: `poll` waits at most `tick`, so a stopped feed is noticed without a line arriving.
        private func readLines(_ fd: Int32) {
            var pending: [UInt8] = []
            var buffer = [UInt8](repeating: 0, count: 1024)
            while !isStopped {
                var ready = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
                let polled = poll(&ready, 1, Self.tick)
                if polled < 0, errno == EINTR { continue }
                guard polled >= 0 else { return }
                if polled == 0 { continue }
                let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
                if count < 0, errno == EINTR || errno == EAGAIN { continue }
                guard count > 0 else { return }
                for byte in buffer[0..<count] {
                    if byte == 0x0A || byte == 0x0D {
                        if !pending.isEmpty { received(String(decoding: pending, as: UTF8.self)) }
                        pending.removeAll(keepingCapacity: true)
                    } else if pending.count < 4096 {
                        pending.append(byte)
                    }
                }
            }
        }

        /// Waits `seconds`, or less when the feed is stopped meanwhile.
        private func pause(seconds: Int) {
            for _ in 0..<(seconds * 1000 / Int(Self.tick)) where !isStopped {
                Thread.sleep(forTimeInterval: Double(Self.tick) / 1000)
            }
        }
    }
}
