import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A slow, lossy link for the uplink bench and tests: a network namespace joined to this one by a veth pair,
/// its rate limited by `tbf` on both ends and a share of packets dropped at random by `nft` in both
/// directions. (The kernel here has no `netem`; latency comes from `DelayProxy`.) Needs root, `ip`, `tc` and
/// `nft` (Debian: iproute2, nftables). Removed again by `teardown()`.
public final class ShapedLink: @unchecked Sendable {
    /// The namespace (run the far end inside it with `command(_:)`).
    public let namespace: String
    /// The veth end on this side (its counters are the bytes on the wire).
    public let hostInterface: String
    /// This side's address.
    public let hostAddress: String
    /// The far side's address.
    public let namespaceAddress: String
    /// e.g. `1mbit`.
    public let rate: String
    /// Packets dropped per thousand, each direction.
    public let lossPerMille: Int
    let table: String
    private let lock = NSLock()
    private var up = true

    /// Why a shaped link cannot be built here, or nil when it can.
    public static func unavailableReason() -> String? {
        if getuid() != 0 { return "not root" }
        for name in ["ip", "tc", "nft"] where tool(name) == nil {
            return "\(name) not installed (apt-get install iproute2 nftables)"
        }
        return nil
    }

    static func tool(_ name: String) -> String? {
        ["/usr/sbin/", "/sbin/", "/usr/bin/", "/bin/"].map { $0 + name }.first {
            FileManager.default.isExecutableFile(atPath: $0)
        }
    }

    /// Builds the link: `rate` each way, `lossPerMille` ‰ of packets dropped each way. `tag` keeps names apart.
    public init(rate: String = "1mbit", lossPerMille: Int = 10, tag: Int = Int(getpid())) throws {
        if let reason = Self.unavailableReason() { throw Failure("no shaped link: \(reason)") }
        self.rate = rate
        self.lossPerMille = lossPerMille
        namespace = "uplink_bench_\(tag)"
        hostInterface = "ubh\(tag)"
        let peer = "ubn\(tag)"
        let subnet = "10.79.\(tag % 250)"
        hostAddress = subnet + ".1"
        namespaceAddress = subnet + ".2"
        table = "uplink_loss_\(tag)"
        Self.removeStale()
        cleanup()
        let inside = ["ip", "netns", "exec", namespace]
        let steps: [[String]] = [
            ["ip", "netns", "add", namespace],
            ["ip", "link", "add", hostInterface, "type", "veth", "peer", "name", peer],
            ["ip", "link", "set", peer, "netns", namespace],
            ["ip", "addr", "add", hostAddress + "/24", "dev", hostInterface],
            ["ip", "link", "set", hostInterface, "up"],
            inside + ["ip", "addr", "add", namespaceAddress + "/24", "dev", peer],
            inside + ["ip", "link", "set", peer, "up"],
            inside + ["ip", "link", "set", "lo", "up"],
            [
                "tc", "qdisc", "replace", "dev", hostInterface, "root", "tbf", "rate", rate, "burst", "32kbit",
                "latency",
                "400ms",
            ],
            inside + [
                "tc", "qdisc", "replace", "dev", peer, "root", "tbf", "rate", rate, "burst", "32kbit", "latency",
                "400ms",
            ],
        ]
        do {
            for step in steps { try Self.run(step) }
            for (prefix, destination) in [([String](), namespaceAddress), (inside, hostAddress)] {
                try Self.run(prefix + ["nft", "add table inet \(table)"])
                let chain = "{ type filter hook output priority 0; policy accept; }"
                try Self.run(prefix + ["nft", "add chain inet \(table) out \(chain)"])
                if lossPerMille > 0 {
                    let rule = "ip daddr \(destination) numgen random mod 1000 < \(lossPerMille) drop"
                    try Self.run(prefix + ["nft", "add rule inet \(table) out \(rule)"])
                }
            }
        } catch {
            cleanup()
            throw error
        }
    }

    deinit { teardown() }

    /// A setup failure.
    public struct Failure: Error, CustomStringConvertible {
        /// What failed.
        public let description: String
        init(_ description: String) { self.description = description }
    }

    /// `argv` run inside the namespace (for a spawn: the executable is the first element).
    public func command(_ argv: [String]) -> [String] {
        [Self.tool("ip") ?? "/usr/sbin/ip", "netns", "exec", namespace] + argv
    }

    /// Bytes sent and received on this side's veth end (every byte on the wire: payload, HTTP, TCP/IP headers,
    /// retransmissions).
    public func wireBytes() -> Int {
        func counter(_ name: String) -> Int {
            let path = "/sys/class/net/\(hostInterface)/statistics/\(name)"
            return (try? String(contentsOfFile: path, encoding: .utf8)).flatMap {
                Int($0.trimmingCharacters(in: .whitespacesAndNewlines))
            } ?? 0
        }
        return counter("tx_bytes") + counter("rx_bytes")
    }

    /// Removes the namespace, the veth pair and the loss table.
    public func teardown() {
        let wasUp = lock.withLock {
            defer { up = false }
            return up
        }
        if wasUp { cleanup() }
    }

    /// Removes links left by a process that died before its teardown (their tag is its PID).
    static func removeStale() {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: "/var/run/netns")) ?? []
        for name in names where name.hasPrefix("uplink_bench_") {
            guard let pid = Int32(name.dropFirst("uplink_bench_".count)), kill(pid, 0) != 0, errno == ESRCH else {
                continue
            }
            try? run(["ip", "link", "del", "ubh\(pid)"])
            try? run(["ip", "netns", "del", name])
            try? run(["nft", "delete table inet uplink_loss_\(pid)"])
        }
    }

    func cleanup() {
        try? Self.run(["ip", "link", "del", hostInterface])
        try? Self.run(["ip", "netns", "del", namespace])
        try? Self.run(["nft", "delete table inet \(table)"])
    }

    /// Runs a tool and waits for it (posix_spawn + waitpid); throws with its output on a non-zero exit.
    static func run(_ argv: [String]) throws {
        guard let executable = tool(argv[0]) else { throw Failure("\(argv[0]) not found") }
        let log = FileManager.default.temporaryDirectory.appendingPathComponent("shaped-link-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: log) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, log.path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        let arguments = ([executable] + argv.dropFirst()).map { strdup($0) } + [nil]
        defer { arguments.forEach { free($0) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, executable, &actions, nil, arguments, environ)
        guard spawned == 0 else { throw Failure("\(argv.joined(separator: " ")): spawn failed (\(spawned))") }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0, errno == EINTR {}
        guard status == 0 else {
            let output = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
            throw Failure("\(argv.joined(separator: " ")): \(output.trimmingCharacters(in: .whitespacesAndNewlines))")
        }
    }
}
