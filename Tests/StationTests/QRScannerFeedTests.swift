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
        let master = openPseudoTerminal(O_RDWR | O_NOCTTY)
        try #require(master >= 0)
        defer { close(master) }
        #expect(grantPseudoTerminal(master) == 0 && unlockPseudoTerminal(master) == 0)
        let path = String(cString: try #require(pseudoTerminalName(master)))
        // Raw mode on the device side, as a CDC-ACM scanner's line would be configured.
        let slave = open(path, O_RDWR | O_NOCTTY)
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

    @Test("a stale scan is not used")
    func staleScan() async throws {
        let feed = QRScannerFeed(freshness: .milliseconds(50))
        feed.received("001099012345||A|01011999|Nam|X|15042021")
        try await Task.sleep(for: .milliseconds(120))
        #expect(feed.take() == nil)
    }
}
