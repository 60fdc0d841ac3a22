import Foundation
import Station
import StationTestKit
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// One systemd unit or tmpfiles file: `Key=value` lines (last one wins, as systemd reads most keys).
struct UnitFile {
    let values: [String: [String]]

    init(_ url: URL) throws {
        var values: [String: [String]] = [:]
        for line in try String(contentsOf: url, encoding: .utf8).split(separator: "\n") {
            let text = line.trimmingCharacters(in: .whitespaces)
            guard !text.hasPrefix("#"), !text.hasPrefix("["), let equals = text.firstIndex(of: "=") else { continue }
            values[String(text[..<equals]), default: []].append(String(text[text.index(after: equals)...]))
        }
        self.values = values
    }

    subscript(key: String) -> String? { values[key]?.last }

    /// Space-separated values of every line of `key`.
    func list(_ key: String) -> [String] {
        (values[key] ?? []).flatMap { $0.split(separator: " ").map(String.init) }
    }
}

/// The shipped units give operators the socket and give the daemon removable media (issue 16 item 3): checked
/// from the files, then by running the daemon as the service would (its user, groups, umask, runtime directory
/// made with the unit's mode and owner) and calling it as an operator.
@Suite(.serialized)
struct SystemdPermissionTests {
    static let root = LivePCSC.packageRoot.appendingPathComponent("systemd")
    /// Test ids for the units' names (no /etc/passwd entries needed).
    static let daemonUID: UInt32 = 64_210
    static let ids: [String: UInt32] = [
        "stationd": daemonUID, "stationd-operators": TestGroups.socket,
        "stationd-supervisors": TestGroups.supervisors,
    ]

    /// Whether a caller who is neither the owner nor in the owning group, or who is in `group`, may traverse.
    static func operatorMayTraverse(mode: Int, group: String) -> Bool {
        mode & 0o001 != 0 || (group == "stationd-operators" && mode & 0o010 != 0)
    }

    @Test func unitsGiveOperatorsTheSocketAndTheDaemonRemovableMedia() throws {
        let service = try UnitFile(Self.root.appendingPathComponent("stationd.service"))
        let socket = try UnitFile(Self.root.appendingPathComponent("stationd.socket"))
        let tmpfiles = try String(
            contentsOf: Self.root.appendingPathComponent("stationd.tmpfiles.conf"), encoding: .utf8)
        let configuration = try StationConfiguration.load(file: nil, environment: [:])

        // The socket: rw for its group, which is the operators' group the daemon also uses.
        #expect(socket["ListenStream"] == configuration.socketPath)
        let socketMode = Int(socket["SocketMode"] ?? "", radix: 8) ?? 0
        #expect(socketMode & 0o060 == 0o060, "SocketMode \(socket["SocketMode"] ?? "-")")
        #expect(socketMode & 0o007 == 0, "SocketMode \(socket["SocketMode"] ?? "-") lets anyone connect")
        #expect(socket["SocketGroup"] == configuration.operatorsGroup)
        #expect(socket["SocketGroup"] == configuration.socketGroup)

        // /run/stationd, from each of the three places that create or re-mode it: the socket unit (owned by
        // root), the service's RuntimeDirectory (owned by User:Group, re-moded at every start) and tmpfiles.
        let directory = (configuration.socketPath as NSString).deletingLastPathComponent
        let socketDirectoryMode = Int(socket["DirectoryMode"] ?? "0755", radix: 8) ?? 0
        #expect(
            Self.operatorMayTraverse(mode: socketDirectoryMode, group: "root"),
            "stationd.socket DirectoryMode=\(socket["DirectoryMode"] ?? "-")")
        #expect("/run/" + (service["RuntimeDirectory"] ?? "") == directory)
        let runtimeMode = Int(service["RuntimeDirectoryMode"] ?? "0755", radix: 8) ?? 0
        #expect(
            Self.operatorMayTraverse(mode: runtimeMode, group: service["Group"] ?? ""),
            "RuntimeDirectoryMode=\(service["RuntimeDirectoryMode"] ?? "-") Group=\(service["Group"] ?? "-")")
        let line = tmpfiles.split(separator: "\n").first {
            $0.split(separator: " ").dropFirst().first == "\(directory)"
        }
        let fields = line?.split(separator: " ").map(String.init) ?? []
        #expect(fields.count >= 5, "tmpfiles has no line for \(directory)")
        if fields.count >= 5 {
            #expect(
                Self.operatorMayTraverse(mode: Int(fields[2], radix: 8) ?? 0, group: fields[4]),
                "tmpfiles: \(line ?? "")")
        }

        // The daemon rebinds the socket and gives it to control.socket_group: it must be in that group.
        let groups = Set([service["Group"] ?? ""] + service.list("SupplementaryGroups"))
        #expect(groups.contains(configuration.socketGroup ?? "-"), "service groups \(groups.sorted())")

        // Export to removable media under ProtectSystem=strict.
        #expect(service["ProtectSystem"] == "strict")
        let writable = Set(service.list("ReadWritePaths").map { $0.hasPrefix("-") ? String($0.dropFirst()) : $0 })
        #expect(writable.isSuperset(of: ["/media", "/run/media"]), "ReadWritePaths \(writable.sorted())")
    }

    /// The daemon started as the service starts it; an operator (nobody, in the socket and operators groups and
    /// nothing else) reaches `/v1/status` through the runtime directory the unit makes.
    @Test func anOperatorReachesTheDaemonRunAsTheUnitRunsIt() throws {
        let service = try UnitFile(Self.root.appendingPathComponent("stationd.service"))
        let daemon = try DaemonUnderTest(name: "as-unit")
        // The runtime directory as systemd makes it for the service: RuntimeDirectoryMode, User:Group.
        let runtime = (daemon.socketPath as NSString).deletingLastPathComponent
        let user = try #require(Self.ids[service["User"] ?? ""], "User=\(service["User"] ?? "-")")
        let group = try #require(Self.ids[service["Group"] ?? ""], "Group=\(service["Group"] ?? "-")")
        let supplementary = service.list("SupplementaryGroups").compactMap { Self.ids[$0] }
        try FileManager.default.createDirectory(atPath: runtime, withIntermediateDirectories: true)
        let mode = mode_t(Int(service["RuntimeDirectoryMode"] ?? "0755", radix: 8) ?? 0o755)
        #expect(chmod(runtime, mode) == 0)
        #expect(chown(runtime, user, group) == 0)
        // Its state directory (StateDirectory=, 0700 User:Group).
        let state = daemon.directory.appendingPathComponent("state").path
        try FileManager.default.createDirectory(atPath: state, withIntermediateDirectories: true)
        #expect(chown(state, user, group) == 0)
        #expect(chmod(state, 0o700) == 0)
        try daemon.configuration.write(toFile: daemon.configPath, atomically: true, encoding: .utf8)
        chmod(daemon.configPath, 0o644)
        var environment = ProcessInfo.processInfo.environment
        environment["NOTIFY_SOCKET"] = daemon.notify.path
        chmod(daemon.notify.path, 0o666)
        let umask = service["UMask"] ?? "0022"
        // systemd: the primary group from Group=, supplementary ones from SupplementaryGroups=.
        let groups = ([group] + supplementary).map(String.init).joined(separator: ",")
        let process = try ManagedProcess(
            "stationd-as-unit", executable: "/bin/sh",
            arguments: [
                "-c",
                "umask \(umask); exec /usr/bin/setpriv --reuid=\(user) --regid=\(group) "
                    + "--groups=\(groups) "
                    + "--inh-caps=-all --bounding-set=-all -- \"$0\" run --config \"$1\"",
                try Binaries.path("stationd"), daemon.configPath,
            ],
            logFile: daemon.directory.appendingPathComponent("stationd.log"), environment: environment)
        daemon.adopt(process)
        let messages = daemon.notify.waitFor("READY=1", timeout: 20)
        try #require(messages.contains { $0.contains("READY=1") }, "not ready: \(process.output)")

        var info = stat()
        #expect(stat(daemon.socketPath, &info) == 0)
        #expect(info.st_gid == TestGroups.socket, "socket group \(info.st_gid): the daemon could not chown it")
        #expect(info.st_mode & 0o777 == 0o660)
        let (status, body) = try daemon.curl(
            "GET", "/v1/status", asGroups: [TestGroups.socket, TestGroups.operators])
        #expect(status == 200, "operator: \(status) \(body.prefix(200))")
        // Someone outside the socket's group still cannot connect.
        #expect(try daemon.curl("GET", "/v1/status", asGroups: []).0 == 0)
        _ = daemon.stop()
    }
}
