import ArgumentParser
import ControlAPI
import Foundation
import Messages

#if canImport(Glibc)
    import Glibc
#endif

/// `stationctl doctor`: what technicians most often get wrong when installing a station, each with its fix.
struct DoctorCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "doctor",
        abstract: HelpText.text(.helpCtlDoctor),
        discussion: """
            Each check prints OK or the problem and how to fix it, Vietnamese first (--lang en for English).
            Exit 0 only when every check passes, 7 otherwise. --json prints {"ok":…,"checks":[{"id","ok","problem",
            "fix"}]} for scripts. --root DIR checks an installed tree under DIR (an image being built, a test).
            """)
    @OptionGroup var options: GlobalOptions
    @Option(name: .long, help: "Check the files under this directory instead of / (an image, a test).")
    var root: String = "/"

    func run() throws {
        let doctor = StationDoctor(root: root, socketPath: options.socket, language: options.language)
        let results = doctor.run()
        let allPassed = results.allSatisfy(\.ok)
        if options.json {
            let report = DoctorReport(ok: allPassed, checks: results)
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            printLine(String(decoding: try encoder.encode(report), as: UTF8.self))
        } else {
            for result in results {
                if result.ok {
                    printLine("OK    \(result.title)")
                } else {
                    printLine("\(options.say(.ctlDoctorFail))  \(result.title): \(result.problem ?? "")")
                    printLine("      → \(result.fix ?? "")")
                }
            }
            let failed = results.filter { !$0.ok }.count
            printLine(
                failed == 0
                    ? options.say(.ctlDoctorAllPassed) : options.say(.ctlDoctorFailed, ["count": "\(failed)"]))
        }
        if !allPassed { throw ExitCode(Exit.problems) }
    }
}

/// The JSON `stationctl doctor --json` prints.
struct DoctorReport: Encodable {
    var ok: Bool
    var checks: [DoctorResult]
}

/// One check's outcome: a stable `id`, and when it failed the problem and its fix in the chosen language.
struct DoctorResult: Encodable {
    var id: String
    var title: String
    var ok: Bool
    var problem: String?
    var fix: String?
}

/// The checks, reading the files under `root` (normally `/`): no daemon needed except for the `daemon` check.
struct StationDoctor {
    var root: String
    var socketPath: String
    var language: Language

    /// Freeze rule `freeze.min_free_mib` default: below it the daemon refuses new intakes.
    static let minimumFreeMiB: UInt64 = 512

    /// A catalog message in the technician's language.
    func say(_ key: MessageKey, _ arguments: [String: String] = [:]) -> String { key.text(language, arguments) }
    func path(_ absolute: String) -> String {
        root == "/" ? absolute : (root as NSString).appendingPathComponent(absolute)
    }

    func run() -> [DoctorResult] {
        [
            daemon(), pcscd(), polkit(), reader(), card(), stateDirectory(), keyFiles(), tpm(), configuration(),
            trustAnchors(), central(), freeSpace(), fingerprintModule(), clock(), socketUnit(), units(), consoleLogin(),
        ]
    }

    func pass(_ id: String, _ title: String) -> DoctorResult {
        DoctorResult(id: id, title: title, ok: true)
    }

    func fail(_ id: String, _ title: String, _ problem: String, _ fix: String) -> DoctorResult {
        DoctorResult(id: id, title: title, ok: false, problem: problem, fix: fix)
    }

    // MARK: Checks

    func daemon() -> DoctorResult {
        let title = say(.ctlDoctorDaemon, ["socket": socketPath])
        do {
            let response = try ControlClient(socketPath: socketPath, language: language.rawValue)
                .request("GET", ControlPaths.status)
            if response.status == 403 {
                return fail(
                    "daemon", title, say(.ctlDoctorDaemonForbidden), say(.ctlDoctorDaemonForbiddenFix))
            }
            return pass("daemon", title)
        } catch {
            return fail(
                "daemon", title, say(.ctlDoctorDaemonUnreachable, ["error": "\(error)"]),
                say(.ctlDoctorDaemonUnreachableFix))
        }
    }

    func pcscd() -> DoctorResult {
        let socket =
            ProcessInfo.processInfo.environment["PCSCLITE_CSOCK_NAME"].map(path)
            ?? path("/run/pcscd/pcscd.comm")
        let title = say(.ctlDoctorPcscd)
        if canConnect(unixSocket: socket) { return pass("pcscd", title) }
        return fail(
            "pcscd", title, say(.ctlDoctorPcscdProblem, ["socket": socket]),
            "sudo apt install pcscd libccid && sudo systemctl enable --now pcscd.socket")
    }

    func polkit() -> DoctorResult {
        let title = say(.ctlDoctorPolkit)
        let policy = path("/usr/share/polkit-1/actions/org.debian.pcsc-lite.policy")
        guard FileManager.default.fileExists(atPath: policy) else { return pass("polkit", title) }
        let rules = ["/usr/share/polkit-1/rules.d", "/etc/polkit-1/rules.d"].map {
            path($0 + "/50-stationd-pcsc.rules")
        }
        if rules.contains(where: FileManager.default.fileExists(atPath:)) { return pass("polkit", title) }
        return fail(
            "polkit", title, say(.ctlDoctorPolkitProblem), say(.ctlDoctorPolkitFix))
    }

    func stateDirectory() -> DoctorResult {
        let directory = path("/var/lib/stationd")
        let title = say(.ctlDoctorStateDirectory, ["directory": directory])
        guard let info = status(directory) else {
            return fail(
                "state_directory", title, say(.ctlDoctorMissing), "sudo systemd-tmpfiles --create stationd.conf")
        }
        let owner = userName(uid: info.st_uid)
        let mode = info.st_mode & 0o777
        if owner == "stationd", mode & 0o077 == 0 { return pass("state_directory", title) }
        return fail(
            "state_directory", title,
            say(
                .ctlDoctorStateDirectoryProblem,
                ["owner": owner ?? String(info.st_uid), "mode": String(mode, radix: 8)]),
            "sudo chown -R stationd:stationd \(directory) && sudo chmod 0700 \(directory)")
    }

    func keyFiles() -> DoctorResult {
        let title = say(.ctlDoctorKeyFiles)
        let directory = path("/var/lib/stationd")
        var candidates = [directory + "/queue.key"]
        if let uplink = try? FileManager.default.contentsOfDirectory(atPath: directory + "/uplink") {
            candidates += uplink.filter { $0.contains("key") }.map { directory + "/uplink/" + $0 }
        }
        let loose = candidates.filter { file in
            guard let info = status(file) else { return false }
            return info.st_mode & 0o077 != 0
        }
        if loose.isEmpty { return pass("key_files", title) }
        let list = loose.joined(separator: ", ")
        return fail(
            "key_files", title,
            say(.ctlDoctorKeyFilesProblem, ["files": list]),
            "sudo chmod 0600 " + loose.joined(separator: " "))
    }

    func configuration() -> DoctorResult {
        let file = path("/etc/stationd/stationd.conf")
        let title = say(.ctlDoctorConfiguration, ["file": file])
        guard let info = status(file) else {
            return fail(
                "configuration", title, say(.ctlDoctorMissing), say(.ctlDoctorConfigurationFix))
        }
        if info.st_mode & 0o007 == 0 { return pass("configuration", title) }
        return fail(
            "configuration", title,
            say(.ctlDoctorConfigurationProblem),
            "sudo chown root:stationd \(file) && sudo chmod 0640 \(file)")
    }

    func trustAnchors() -> DoctorResult {
        let folder = path("/etc/stationd/trust")
        let title = say(.ctlDoctorTrustAnchors, ["folder": folder])
        let anchors = ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []).filter {
            ["pem", "crt", "cer", "der", "ml"].contains(($0 as NSString).pathExtension.lowercased())
        }
        if !anchors.isEmpty { return pass("trust_anchors", title) }
        return fail(
            "trust_anchors", title, say(.ctlDoctorTrustAnchorsProblem),
            say(.ctlDoctorTrustAnchorsFix, ["folder": folder]))
    }

    func freeSpace() -> DoctorResult {
        let directory = path("/var/lib/stationd")
        let title = say(.ctlDoctorFreeSpace)
        var info = statvfs()
        guard statvfs(FileManager.default.fileExists(atPath: directory) ? directory : path("/"), &info) == 0 else {
            return fail("free_space", title, say(.ctlDoctorFreeSpaceUnreadable), "df -h \(directory)")
        }
        let freeMiB = UInt64(info.f_bavail) * UInt64(info.f_frsize) / (1 << 20)
        if freeMiB >= Self.minimumFreeMiB { return pass("free_space", title) }
        return fail(
            "free_space", title,
            say(.ctlDoctorFreeSpaceProblem, ["free": "\(freeMiB)", "minimum": "\(Self.minimumFreeMiB)"]),
            say(.ctlDoctorFreeSpaceFix))
    }

    func fingerprintModule() -> DoctorResult {
        let title = say(.ctlDoctorFingerprintModule)
        let known = knownFingerprintIDs()
        let devices = path("/sys/bus/usb/devices")
        var found: [(name: String, node: String)] = []
        for entry in (try? FileManager.default.contentsOfDirectory(atPath: devices)) ?? [] {
            let base = devices + "/" + entry
            guard let vendor = read(base + "/idVendor"), let product = read(base + "/idProduct"),
                known.contains("\(vendor):\(product)"),
                let bus = read(base + "/busnum").flatMap(Int.init),
                let device = read(base + "/devnum").flatMap(Int.init)
            else { continue }
            found.append((entry, path(String(format: "/dev/bus/usb/%03d/%03d", bus, device))))
        }
        guard !found.isEmpty else {
            return fail(
                "fingerprint_module", title,
                say(.ctlDoctorFingerprintModuleNone), say(.ctlDoctorFingerprintModuleNoneFix))
        }
        let wrong = found.filter { module in
            guard let info = status(module.node) else { return true }
            return groupName(gid: info.st_gid) != "stationd" || info.st_mode & 0o060 != 0o060
        }
        if wrong.isEmpty { return pass("fingerprint_module", title) }
        let nodes = wrong.map(\.node).joined(separator: ", ")
        return fail(
            "fingerprint_module", title,
            say(.ctlDoctorFingerprintModuleGroup, ["nodes": nodes]),
            "sudo udevadm control --reload-rules && sudo udevadm trigger --subsystem-match=usb --action=change")
    }

    func clock() -> DoctorResult {
        let title = say(.ctlDoctorClock)
        if FileManager.default.fileExists(atPath: path("/run/systemd/timesync/synchronized")) {
            return pass("clock", title)
        }
        return fail(
            "clock", title, say(.ctlDoctorClockProblem), say(.ctlDoctorClockFix))
    }

    func socketUnit() -> DoctorResult {
        let title = say(.ctlDoctorSocketUnit)
        let link = path("/etc/systemd/system/sockets.target.wants/stationd.socket")
        if (try? FileManager.default.destinationOfSymbolicLink(atPath: link)) != nil {
            return pass("socket_unit", title)
        }
        return fail(
            "socket_unit", title, say(.ctlDoctorSocketUnitProblem),
            "sudo systemctl enable --now stationd.socket")
    }

    // MARK: Helpers

    func status(_ file: String) -> stat? {
        var info = stat()
        return stat(file, &info) == 0 ? info : nil
    }

    func read(_ file: String) -> String? {
        (try? String(contentsOfFile: file, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// `vendor:product` (lowercase hex) of every profile in /usr/share/stationd/biometric.
    private func knownFingerprintIDs() -> Set<String> {
        let folder = path("/usr/share/stationd/biometric")
        var ids: Set<String> = []
        for file in (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? [] where file.hasSuffix(".json") {
            guard let data = FileManager.default.contents(atPath: folder + "/" + file),
                let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
                let profiles = object["profiles"] as? [[String: Any]]
            else { continue }
            for profile in profiles {
                if let vendor = profile["vendorID"] as? String, let product = profile["productID"] as? String {
                    ids.insert("\(vendor.lowercased()):\(product.lowercased())")
                }
            }
        }
        return ids
    }

    /// The name of a uid or gid in the tree's /etc/passwd or /etc/group (field 3), not the host's.
    private func name(_ id: UInt32, in database: String) -> String? {
        guard let text = read(path(database)) else { return nil }
        for line in text.split(separator: "\n") {
            let fields = line.split(separator: ":", omittingEmptySubsequences: false)
            if fields.count > 2, UInt32(fields[2]) == id { return String(fields[0]) }
        }
        return nil
    }

    private func userName(uid: uid_t) -> String? { name(uid, in: "/etc/passwd") }
    private func groupName(gid: gid_t) -> String? { name(gid, in: "/etc/group") }

    private func canConnect(unixSocket: String) -> Bool {
        let descriptor = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { return false }
        defer { close(descriptor) }
        return UnixSocketAddress(unixSocket)?.connect(descriptor) == 0
    }
}
