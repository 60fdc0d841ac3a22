import Foundation
import Logging

/// A serial / USB-CDC QR scanner attached to the station (`desk.qr_scanner`, a tty device path): it sends each scan
/// as one line. The feed keeps the latest line for `freshness` seconds; a desk check without a key takes it (once).
///
/// One dedicated thread does the blocking reads; a device that goes away (unplugged) is reopened every second.
/// Scanned text is personal data: never logged.
final class QRScannerFeed: Sendable {
    private struct Scan {
        var text: String
        var at: ContinuousClock.Instant
    }

    private let latest = Mutex<Scan?>(nil)
    private let freshness: Duration
    private static let logger = Logger(label: "station.desk.scanner")

    /// Starts reading `path` (a tty, a pty in tests, or any character device giving lines).
    init(path: String, freshness: Duration = .seconds(60)) {
        self.freshness = freshness
        let thread = Thread { [weak self] in self?.run(path: path) }
        thread.name = "qr-scanner"
        thread.start()
    }

    /// For tests: a feed with no device.
    init(freshness: Duration = .seconds(60)) {
        self.freshness = freshness
    }

    /// The latest scan if it is fresh, consumed.
    func take() -> String? {
        latest.withLock { scan in
            defer { scan = nil }
            guard let current = scan, ContinuousClock.now - current.at <= freshness else { return nil }
            return current.text
        }
    }

    /// Records a scanned line (the reader thread; tests).
    func received(_ line: String) {
        let text = line.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !text.isEmpty else { return }
        latest.withLock { $0 = Scan(text: text, at: .now) }
    }

    private func run(path: String) {
        var reported = false
        while true {
            let fd = open(path, O_RDONLY | O_NOCTTY)
            guard fd >= 0 else {
                if !reported {
                    Self.logger.warning("QR scanner not available", metadata: ["path": "\(path)", "errno": "\(errno)"])
                    reported = true
                }
                Thread.sleep(forTimeInterval: 1)
                continue
            }
            reported = false
            Self.logger.info("QR scanner opened", metadata: ["path": "\(path)"])
            var pending: [UInt8] = []
            var buffer = [UInt8](repeating: 0, count: 1024)
            while true {
                let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
                if count < 0, errno == EINTR { continue }
                guard count > 0 else { break }
                for byte in buffer[0..<count] {
                    if byte == 0x0A || byte == 0x0D {
                        if !pending.isEmpty { received(String(decoding: pending, as: UTF8.self)) }
                        pending.removeAll(keepingCapacity: true)
                    } else if pending.count < 4096 {
                        pending.append(byte)
                    }
                }
            }
            close(fd)
            Thread.sleep(forTimeInterval: 1)
        }
    }
}
