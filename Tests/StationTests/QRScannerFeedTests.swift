import Foundation
import Testing

@testable import Station

// Glibc's module hides these (they need _XOPEN_SOURCE); plain C symbols of libc.
@_silgen_name("posix_openpt") private func openPseudoTerminal(_ flags: Int32) -> Int32
@_silgen_name("grantpt") private func grantPseudoTerminal(_ fd: Int32) -> Int32
@_silgen_name("unlockpt") private func unlockPseudoTerminal(_ fd: Int32) -> Int32
@_silgen_name("ptsname") private func pseudoTerminalName(_ fd: Int32) -> UnsafeMutablePointer<CChar>?

/// The serial QR scanner's feed, against a pseudo-terminal standing in for the USB-CDC device.
struct QRScannerFeedTests {
    @Test("a scan sent as one line over a tty is taken once; CR LF and BOM-free text kept whole")
    func linesFromAPty() async throws {
        let master = openPseudoTerminal(O_RDWR | O_NOCTTY | O_CLOEXEC)
        try #require(master >= 0)
        defer { close(master) }
        #expect(grantPseudoTerminal(master) == 0 && unlockPseudoTerminal(master) == 0)
        let path = String(cString: try #require(pseudoTerminalName(master)))
        // Raw mode on the device side, as a CDC-ACM scanner's line would be configured.
        let slave = open(path, O_RDWR | O_NOCTTY | O_CLOEXEC)
        var settings = termios()
        tcgetattr(slave, &settings)
        cfmakeraw(&settings)
        tcsetattr(slave, TCSANOW, &settings)
        let feed = QRScannerFeed(path: path)
        try await Task.sleep(for: .milliseconds(200))
        let scan = "001099012345||Nguyễn Văn An|01011999|Nam|Hà Nội|15042021"
        let bytes = Array((scan + "\r\n").utf8)
        #expect(write(master, bytes, bytes.count) == bytes.count)
        var taken: String?
        for _ in 0..<100 where taken == nil {
            try await Task.sleep(for: .milliseconds(20))
            taken = feed.take()
        }
        #expect(taken == scan)
        #expect(feed.take() == nil, "a scan is used once")
        close(slave)
    }

    /// The guided intake's pty test stalled in whole-suite runs with `stationctl` blocked reading its terminal
    /// although the terminal had echoed the typed line: this suite's feed outlived its test, reopened its device path
    /// every second, and when a later test's pseudo-terminal got the same `/dev/pts/N` it opened that one and took
    /// the officer's line. A feed that is released lets go of its device at once and never opens it again.
    @Test("a released feed lets go of its device: it neither reads it nor opens it again")
    func aReleasedFeedLetsGoOfItsDevice() async throws {
        let master = openPseudoTerminal(O_RDWR | O_NOCTTY | O_CLOEXEC)
        try #require(master >= 0)
        defer { close(master) }
        #expect(grantPseudoTerminal(master) == 0 && unlockPseudoTerminal(master) == 0)
        let path = String(cString: try #require(pseudoTerminalName(master)))
        let slave = open(path, O_RDWR | O_NOCTTY | O_CLOEXEC)
        try #require(slave >= 0)
        defer { close(slave) }
        var feed: QRScannerFeed? = QRScannerFeed(path: path)
        #expect(try await Self.until { Self.descriptors(on: path) == 2 }, "the feed opens its device")
        feed = nil
        #expect(feed == nil)
        #expect(try await Self.until { Self.descriptors(on: path) == 1 }, "released, the feed closes its device")
        try await Task.sleep(for: .milliseconds(2500))  // longer than the feed's 1 s between two opens
        #expect(Self.descriptors(on: path) == 1, "released, the feed never opens its device again")
        // A line typed on the terminal reaches the terminal's own reader: nothing else takes it.
        let line = Array("0912345678\n".utf8)
        #expect(write(master, line, line.count) == line.count)
        var ready = pollfd(fd: slave, events: Int16(POLLIN), revents: 0)
        #expect(poll(&ready, 1, 5000) == 1, "the typed line reached the terminal's reader")
        var buffer = [UInt8](repeating: 0, count: 64)
        let count = ready.revents & Int16(POLLIN) != 0 ? read(slave, &buffer, buffer.count) : 0
        #expect(count > 0 && Array(buffer[0..<max(count, 0)]) == line)
    }

    /// How many of this process's descriptors are open on `path`.
    private static func descriptors(on path: String) -> Int {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []
        return entries.filter {
            (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/fd/\($0)")) == path
        }.count
    }

    /// Polls `condition` for at most 5 s.
    private static func until(_ condition: () -> Bool) async throws -> Bool {
        for _ in 0..<100 {
            if condition() { return true }
            try await Task.sleep(for: .milliseconds(50))
        }
        return condition()
    }

    @Test("a stale scan is not used")
    func staleScan() async throws {
        let feed = QRScannerFeed(freshness: .milliseconds(50))
        feed.received("001099012345||A|01011999|Nam|X|15042021")
        try await Task.sleep(for: .milliseconds(120))
        #expect(feed.take() == nil)
    }
}
