import Foundation
import StationTestKit
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// `stationctl doctor --root DIR` against an installed tree built in the test: a healthy tree passes every local
/// check; each broken condition fails exactly its check, named, with the fix; the exit code is 7 unless all pass.
@Suite struct DoctorTests {
    /// uid/gid the tree's /etc/passwd and /etc/group call `stationd` (root in the test can chown to any id).
    static let stationdID: UInt32 = 4242

    /// A tree as the package leaves it after postinst, with a fingerprint module plugged in and udev applied.
    static func healthyTree() throws -> URL {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("station-doctor-\(UUID().uuidString)")
        func write(_ path: String, _ text: String, mode: mode_t = 0o644) throws {
            let url = root.appendingPathComponent(path)
            try FileManager.default.createDirectory(
                at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data(text.utf8).write(to: url)
            chmod(url.path, mode)
        }
        func directory(_ path: String, mode: mode_t) throws {
            let url = root.appendingPathComponent(path)
            try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
            chmod(url.path, mode)
        }
        try write("etc/passwd", "root:x:0:0:root:/root:/bin/bash\nstationd:x:\(stationdID):\(stationdID)::/:/x\n")
        try write("etc/group", "root:x:0:\nstationd:x:\(stationdID):\n")
        try directory("var/lib/stationd/uplink", mode: 0o700)
        chmod(root.appendingPathComponent("var/lib/stationd").path, 0o700)
        try write("var/lib/stationd/queue.key", "k", mode: 0o600)
        try write("var/lib/stationd/uplink/station.key", "k", mode: 0o600)
        for path in [
            "var/lib/stationd", "var/lib/stationd/uplink", "var/lib/stationd/queue.key",
            "var/lib/stationd/uplink/station.key",
        ] {
            chown(root.appendingPathComponent(path).path, stationdID, stationdID)
        }
        try write("etc/stationd/stationd.conf", "[station]\nprofile = intake\n", mode: 0o640)
        try write("etc/stationd/trust/csca.pem", "-----BEGIN CERTIFICATE-----\n")
        try write(
            "usr/share/stationd/biometric/test.json",
            #"{"profiles":[{"id":"t","vendorID":"05BA","productID":"000a"}]}"#)
        try write("sys/bus/usb/devices/1-2/idVendor", "05ba\n")
        try write("sys/bus/usb/devices/1-2/idProduct", "000a\n")
        try write("sys/bus/usb/devices/1-2/busnum", "1\n")
        try write("sys/bus/usb/devices/1-2/devnum", "7\n")
        try write("dev/bus/usb/001/007", "", mode: 0o660)
        chown(root.appendingPathComponent("dev/bus/usb/001/007").path, 0, stationdID)
        try write("run/systemd/timesync/synchronized", "")
        try directory("etc/systemd/system/sockets.target.wants", mode: 0o755)
        try FileManager.default.createSymbolicLink(
            atPath: root.appendingPathComponent("etc/systemd/system/sockets.target.wants/stationd.socket").path,
            withDestinationPath: "/usr/lib/systemd/system/stationd.socket")
        return root
    }

    struct Check: Decodable {
        var id: String
        var ok: Bool
        var problem: String?
        var fix: String?
    }
    struct Report: Decodable {
        var ok: Bool
        var checks: [Check]
    }

    /// Runs `stationctl doctor --json` on the tree, with a listening pcscd socket unless `pcscd` is false.
    static func doctor(_ root: URL, pcscd: Bool = true, lang: String = "vi") throws -> (status: Int32, report: Report) {
        var listener: Int32 = -1
        if pcscd {
            let path = root.appendingPathComponent("run/pcscd/pcscd.comm").path
            try FileManager.default.createDirectory(
                atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            listener = try listen(path)
        }
        defer { if listener >= 0 { close(listener) } }
        let result = try runTool(
            try Binaries.path("stationctl"),
            [
                "doctor", "--json", "--lang", lang, "--root", root.path,
                "--socket", root.appendingPathComponent("run/stationd/control.sock").path,
            ],
            // The tree under --root is the whole machine: not the private pcscd a live suite of this run points to.
            environment: ProcessInfo.processInfo.environment.filter { $0.key != "PCSCLITE_CSOCK_NAME" })
        let report = try JSONDecoder().decode(Report.self, from: Data(result.output.utf8))
        return (result.status, report)
    }

    static func listen(_ path: String) throws -> Int32 {
        let descriptor = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { buffer in
            for (index, byte) in path.utf8.enumerated() { buffer[index] = byte }
        }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        guard bound == 0, Glibc.listen(descriptor, 4) == 0 else {
            throw HarnessError("cannot listen on \(path): errno \(errno)")
        }
        return descriptor
    }

    /// Every check but the daemon's (no daemon runs here) passes on the healthy tree; the daemon's failure alone
    /// makes the exit 7.
    @Test("a healthy installed tree passes every local check")
    func healthy() throws {
        let root = try Self.healthyTree()
        defer { try? FileManager.default.removeItem(at: root) }
        let (status, report) = try Self.doctor(root)
        let failed = report.checks.filter { !$0.ok }.map(\.id)
        #expect(failed == ["daemon"], "\(report.checks.filter { !$0.ok })")
        #expect(report.checks.map(\.id).count == 11)
        #expect(status == 7 && !report.ok)
    }

    /// Each broken condition, made in the tree, fails its own check with a fix (Vietnamese by default).
    @Test(
        "each broken condition names its check and the fix",
        arguments: [
            ("state_directory", "world-readable state directory"), ("key_files", "key file 0644"),
            ("configuration", "configuration 0644"), ("trust_anchors", "no CSCA"), ("socket_unit", "socket disabled"),
            ("polkit", "polkit without the rule"), ("fingerprint_module", "device node not group stationd"),
            ("fingerprint_module", "no module plugged"), ("clock", "clock not synchronized"), ("pcscd", "no pcscd"),
        ])
    func broken(check: String, condition: String) throws {
        let root = try Self.healthyTree()
        defer { try? FileManager.default.removeItem(at: root) }
        let at = { (path: String) in root.appendingPathComponent(path).path }
        switch condition {
        case "world-readable state directory": chmod(at("var/lib/stationd"), 0o755)
        case "key file 0644": chmod(at("var/lib/stationd/uplink/station.key"), 0o644)
        case "configuration 0644": chmod(at("etc/stationd/stationd.conf"), 0o644)
        case "no CSCA": try FileManager.default.removeItem(atPath: at("etc/stationd/trust/csca.pem"))
        case "socket disabled":
            try FileManager.default.removeItem(atPath: at("etc/systemd/system/sockets.target.wants/stationd.socket"))
        case "polkit without the rule":
            try FileManager.default.createDirectory(
                atPath: at("usr/share/polkit-1/actions"), withIntermediateDirectories: true)
            try Data().write(to: URL(fileURLWithPath: at("usr/share/polkit-1/actions/org.debian.pcsc-lite.policy")))
        case "device node not group stationd": chown(at("dev/bus/usb/001/007"), 0, 0)
        case "no module plugged": try FileManager.default.removeItem(atPath: at("sys/bus/usb/devices/1-2"))
        case "clock not synchronized":
            try FileManager.default.removeItem(atPath: at("run/systemd/timesync/synchronized"))
        default: break
        }
        let (status, report) = try Self.doctor(root, pcscd: condition != "no pcscd")
        let failed = report.checks.filter { !$0.ok }
        #expect(Set(failed.map(\.id)) == ["daemon", check], "\(condition): \(failed)")
        let named = try #require(failed.first { $0.id == check })
        #expect(!(named.problem ?? "").isEmpty && !(named.fix ?? "").isEmpty)
        #expect(status == 7)
        if condition == "key file 0644" {
            #expect(named.problem?.contains("station.key") == true)
            #expect(named.fix?.contains("chmod 0600") == true)
        }
        if condition == "world-readable state directory" {
            #expect(named.problem?.contains("755") == true && named.problem?.contains("cần") == true)
        }
    }

    @Test("English on request")
    func english() throws {
        let root = try Self.healthyTree()
        defer { try? FileManager.default.removeItem(at: root) }
        try FileManager.default.removeItem(at: root.appendingPathComponent("etc/stationd/trust/csca.pem"))
        let (_, report) = try Self.doctor(root, lang: "en")
        let trust = try #require(report.checks.first { $0.id == "trust_anchors" })
        #expect(trust.problem?.contains("verifiedOffline") == true && trust.fix?.contains("copy") == true)
    }
}
