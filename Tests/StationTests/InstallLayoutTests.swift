import Foundation
import StationTestKit
import Testing

/// `make install` into a temporary DESTDIR with the built programs (systemd/packaging/test-install.sh): every path and mode
/// Debian expects, every installed program (and central-receiver) answers `--help` with exit 0, man pages keep
/// their Vietnamese, the installed configuration passes stationd's check. `make test-deb` covers the package.
@Suite struct InstallLayoutTests {
    @Test("make install lays the station out where Debian expects it; every program answers --help")
    func install() throws {
        let stationd = try Binaries.path("stationd")
        let script = LivePCSC.packageRoot.appendingPathComponent("systemd/packaging/test-install.sh").path
        let result = try runTool(
            "/bin/sh",
            [script, (stationd as NSString).deletingLastPathComponent, try CommandLineDocsTests.generateManual()],
            timeout: 240)
        #expect(result.status == 0, "\(result.output)")
        #expect(result.output.contains("test-install: ok"))
    }
}
