import Foundation
import SmartCard

/// A private pcscd with the vpcd virtual readers, for tests, the demo and benchmarks.
///
/// pcscd ignores `PCSCLITE_CSOCK_NAME` and always listens on `/run/pcscd/pcscd.comm`, so isolation comes from a mount
/// namespace: a holder process (`unshare -m`) mounts a tmpfs on `/run/pcscd`, pcscd runs inside it (`nsenter`), and
/// this process reaches the socket through `/proc/<holder>/root/run/pcscd/pcscd.comm` by setting
/// `PCSCLITE_CSOCK_NAME` (which libpcsclite reads once, at the first PC/SC call: start the harness before that).
/// The host's own pcscd, if any, is never touched. vpcd listens on `basePort + slot` for its two slots. Every
/// process is stopped by its PID.
///
/// One reader stanza only: Debian's vpcd 3.3 keeps its slot sockets in a per-slot global, so a second stanza in the
/// same pcscd takes over the first one's slots and leaves an orphaned listener that later blocks pcscd's shutdown
/// (measured: both stanzas then show the second one's cards, and pcscd ignores SIGTERM).
public final class PCSCHarness: @unchecked Sendable {
    /// The folder for configuration and logs.
    public let directory: URL
    /// vpcd's first port; slot `s` is `basePort + s`.
    public let basePort: UInt16
    /// The virtual reader's slots: each is a PC/SC reader.
    public let slotCount = 2
    /// The socket path clients use.
    public let socketPath: String
    private let holder: ManagedProcess
    private var pcscd: ManagedProcess?
    private var starts = 0
    private let lock = NSLock()

    /// The PC/SC name of a slot: "Virtual PCD 00 00" and "Virtual PCD 00 01", as with Debian's own vpcd stanza.
    public func readerName(slot: Int = 0) -> String { String(format: "Virtual PCD 00 %02d", slot) }

    /// The vpcd port of a slot, for `stationd simulate card --port`.
    public func port(slot: Int = 0) -> UInt16 { basePort + UInt16(slot) }

    /// Starts the namespace holder and pcscd. Requires root (mount namespaces), `pcscd` and `vsmartcard-vpcd`.
    public init(directory: URL, exportSocket: Bool = true) throws {
        guard getuid() == 0 else {
            throw HarnessError("the PC/SC harness needs root (it mounts a private /run/pcscd); run the tests as root")
        }
        for tool in ["/usr/sbin/pcscd", "/usr/bin/unshare", "/usr/bin/nsenter", Self.vpcdDriver] {
            guard FileManager.default.isExecutableFile(atPath: tool) || FileManager.default.fileExists(atPath: tool)
            else {
                throw HarnessError("\(tool) is missing: apt-get install pcscd vsmartcard-vpcd util-linux (make deps)")
            }
        }
        self.directory = directory
        try FileManager.default.createDirectory(
            at: directory.appendingPathComponent("reader.conf.d"),
            withIntermediateDirectories: true)
        basePort = try Self.freePortRange(count: slotCount)
        let channel = String(basePort, radix: 16, uppercase: true)
        let stanza = """
            FRIENDLYNAME "Virtual PCD"
            DEVICENAME   /dev/null:0x\(channel)
            LIBPATH      \(Self.vpcdDriver)
            CHANNELID    0x\(channel)

            """
        try stanza.write(to: directory.appendingPathComponent("reader.conf.d/vpcd"), atomically: true, encoding: .utf8)
        try FileManager.default.createDirectory(atPath: "/run/pcscd", withIntermediateDirectories: true)
        // The holder outlives nothing: when this process ends (even by a crash, when no clean-up code runs) it stops
        // the pcscd of its namespace and exits, so no test leaves a pcscd behind.
        // It also removes the firewall table that keeps vpcd's card ports to loopback (see `guardCardPorts`).
        let watchdog = """
            mount -t tmpfs -o mode=0755 tmpfs /run/pcscd && echo ready || exit 1
            while kill -0 \(getpid()) 2>/dev/null; do sleep 0.5; done
            /usr/sbin/nft delete table inet \(Self.firewallTable) 2>/dev/null
            pid=$(cat /run/pcscd/pcscd.pid 2>/dev/null) || exit 0
            kill "$pid"; sleep 2; kill -9 "$pid" 2>/dev/null
            """
        holder = try ManagedProcess(
            "namespace holder", executable: "/usr/bin/unshare",
            arguments: ["-m", "--propagation", "private", "/bin/sh", "-c", watchdog],
            logFile: directory.appendingPathComponent("holder.log"))
        socketPath = "/proc/\(holder.pid)/root/run/pcscd/pcscd.comm"
        let deadline = Date(timeIntervalSinceNow: 5)
        while !holder.output.contains("ready") {
            guard holder.isRunning, Date() < deadline else {
                throw HarnessError("could not create a private /run/pcscd: \(holder.output)")
            }
            usleep(5_000)
        }
        if exportSocket { setenv("PCSCLITE_CSOCK_NAME", socketPath, 1) }
        guardCardPorts()
        try startPCSCD()
    }

    /// The nftables table that keeps this process's vpcd ports to loopback (named after the process, so a later
    /// harness can remove the table of one that was killed before it cleaned up).
    public static var firewallTable: String { "stationd_vpcd_\(getpid())" }

    /// vpcd (Debian's driver inside pcscd) accepts cards on every interface of its slot ports, and its reversed mode
    /// (the card listening on 127.0.0.1) crashes Debian 12's pcscd. So an nftables input rule drops every packet to
    /// those ports that does not arrive on `lo`: only this machine can be the card in the test or demo reader. The
    /// namespace holder deletes the table when this process ends. Without nft (or the right to use it) the harness
    /// says so and goes on.
    private func guardCardPorts() {
        let table = Self.firewallTable
        // Tables of harness processes that are gone (killed before their holder could clean up).
        let existing = (try? runTool("/usr/sbin/nft", ["list", "tables"], timeout: 10))?.output ?? ""
        for line in existing.split(separator: "\n") {
            guard let name = line.split(separator: " ").last, name.hasPrefix("stationd_vpcd_"),
                let pid = Int32(name.dropFirst("stationd_vpcd_".count)), kill(pid, 0) != 0, errno == ESRCH
            else { continue }
            _ = try? runTool("/usr/sbin/nft", ["delete", "table", "inet", String(name)], timeout: 10)
        }
        let ports = (0..<slotCount).map { String(basePort + UInt16($0)) }.joined(separator: ", ")
        let script = """
            table inet \(table) {
                chain input {
                    type filter hook input priority 0; policy accept;
                    iifname != "lo" tcp dport { \(ports) } drop
                }
            }
            """
        let file = directory.appendingPathComponent("vpcd-firewall.nft")
        let result = (try? script.write(to: file, atomically: true, encoding: .utf8)).flatMap {
            try? runTool("/usr/sbin/nft", ["-f", file.path], timeout: 10)
        }
        if result?.status != 0 {
            FileHandle.standardError.write(
                Data(
                    "PCSCHarness: vpcd ports \(ports) not firewalled to loopback: \(result?.output ?? "no nft")\n".utf8)
            )
        }
    }

    deinit { shutdown() }

    /// The environment a child PC/SC client (pcsc_scan, stationd, ...) needs to reach this pcscd.
    public var clientEnvironment: [String: String] {
        var environment = ProcessInfo.processInfo.environment
        environment["PCSCLITE_CSOCK_NAME"] = socketPath
        return environment
    }

    /// The PID of the running pcscd.
    public var pcscdPID: Int32? { lock.withLock { pcscd?.pid } }

    /// Starts pcscd (removing the files a killed one leaves, which would stop a new one from starting) and waits
    /// until its socket exists.
    public func startPCSCD() throws {
        let runDirectory = "/proc/\(holder.pid)/root/run/pcscd"
        try? FileManager.default.removeItem(atPath: "\(runDirectory)/pcscd.comm")
        try? FileManager.default.removeItem(atPath: "\(runDirectory)/pcscd.pid")
        let count = lock.withLock {
            starts += 1
            return starts
        }
        let process = try ManagedProcess(
            "pcscd", executable: "/usr/bin/nsenter",
            arguments: [
                "-t", String(holder.pid), "-m", "--", "/usr/sbin/pcscd", "-f", "-c",
                directory.appendingPathComponent("reader.conf.d").path,
            ],
            logFile: directory.appendingPathComponent("pcscd-\(count).log"))
        lock.withLock { pcscd = process }
        let deadline = Date(timeIntervalSinceNow: 10)
        while !FileManager.default.fileExists(atPath: "\(runDirectory)/pcscd.comm") {
            guard process.isRunning, Date() < deadline else {
                throw HarnessError("pcscd did not start: \(process.output)")
            }
            usleep(5_000)
        }
    }

    /// Stops pcscd by PID with `signal` (SIGTERM: clean; SIGKILL: a crash). A pcscd whose vpcd slot is stuck in a
    /// read ignores SIGTERM; it gets SIGKILL after 5 s.
    public func stopPCSCD(signal: Int32 = SIGTERM) {
        let process = lock.withLock { () -> ManagedProcess? in
            defer { pcscd = nil }
            return pcscd
        }
        process?.stop(signal: signal)
    }

    /// Starts `station-simulator card` (what `stationd simulate card` runs) on a reader slot; extra arguments choose
    /// behaviour.
    ///
    /// It first waits until pcscd has seen any previous card on that slot leave (pcscd polls vpcd every ~400 ms), so
    /// a caller never connects to the card it just stopped.
    public func startCard(slot: Int = 0, arguments: [String] = [], label: String = "card") throws -> ManagedProcess {
        waitUntilEmpty(slot: slot)
        let port = port(slot: slot)
        return try ManagedProcess(
            "simulated card", executable: try Binaries.path("station-simulator"),
            arguments: [
                "card", "--host", "127.0.0.1", "--port", String(port),
                "--watch-pid", String(getpid()),
            ] + arguments,
            logFile: directory.appendingPathComponent("\(label)-\(port)-\(UUID().uuidString.prefix(6)).log"))
    }

    /// Starts a card like `startCard` and waits until pcscd reports it in the slot's reader and it is still there a
    /// moment later.
    ///
    /// vpcd sometimes closes a new card's connection right after accepting it (seen on a loaded machine right after
    /// the previous card left: the card process logs "vpcd closed the connection; reconnecting" and vpcd does not
    /// take it back for many seconds). Then the card process is started again, up to three times: the reader itself
    /// must work, which is what the tests check.
    public func startCardReported(slot: Int = 0, arguments: [String], seconds: Double = 12) throws -> ManagedProcess {
        var outputs: [String] = []
        let name = readerName(slot: slot)
        for _ in 0..<3 {
            let card = try startCard(slot: slot, arguments: arguments)
            let monitor = CardReaders().events()
            defer { monitor.stop() }
            let deadline = Date(timeIntervalSinceNow: seconds)
            var present = false
            while Date() < deadline, card.isRunning, !present {
                if monitor.readers[name]?.cardPresent == true {
                    usleep(300_000)
                    present =
                        monitor.readers[name]?.cardPresent == true
                        && !card.output.contains("vpcd closed the connection")
                } else {
                    usleep(50_000)
                }
            }
            if present { return card }
            outputs.append(card.output)
            card.stop()
            waitUntilEmpty(slot: slot)
        }
        throw HarnessError("pcscd did not keep the simulated card (3 starts): \(outputs)")
    }

    /// Waits (up to 5 s) until pcscd reports no card in `slot`.
    public func waitUntilEmpty(slot: Int) {
        let monitor = CardReaders().events()
        defer { monitor.stop() }
        let name = readerName(slot: slot)
        let deadline = Date(timeIntervalSinceNow: 5)
        while Date() < deadline, monitor.readers[name]?.cardPresent != false { usleep(20_000) }
    }

    /// Stops pcscd and the namespace holder.
    public func shutdown() {
        stopPCSCD()
        _ = try? runTool("/usr/sbin/nft", ["delete", "table", "inet", Self.firewallTable], timeout: 10)
        holder.stop(signal: SIGKILL)
    }

    static let vpcdDriver = "/usr/lib/pcsc/drivers/serial/libifdvpcd.so"

    /// Finds `count` consecutive free TCP ports in 40000..<60000.
    static func freePortRange(count: Int) throws -> UInt16 {
        for _ in 0..<200 {
            let base = UInt16.random(in: 40_000..<60_000) & ~1
            if (0..<count).allSatisfy({ portIsFree(base + UInt16($0)) }) { return base }
        }
        throw HarnessError("no free TCP port range for vpcd")
    }

    static func portIsFree(_ port: UInt16) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = INADDR_ANY
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
            }
        }
    }
}

/// Locates the project's executables next to the running binary (tests run from the build folder).
public enum Binaries {
    /// The folder of the running executable.
    public static var buildDirectory: URL {
        let executable =
            (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
            ?? CommandLine.arguments[0]
        return URL(fileURLWithPath: executable).deletingLastPathComponent()
    }

    /// The path of `name`: `$STATION_BIN_DIR/name` if set, else beside the running binary.
    public static func path(_ name: String) throws -> String {
        let directory =
            ProcessInfo.processInfo.environment["STATION_BIN_DIR"].map { URL(fileURLWithPath: $0) }
            ?? buildDirectory
        let candidate = directory.appendingPathComponent(name).path
        guard FileManager.default.isExecutableFile(atPath: candidate) else {
            throw HarnessError("\(candidate) not found: build it first (swift build)")
        }
        return candidate
    }
}
