import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A local account whose primary group is `gid` (the operators' or the supervisors' group the daemon's
/// configuration names), removed at the end (the group too, when the test made it). `suffix` tells two accounts
/// of one test apart.
public final class LocalAccount {
    public let name: String
    public let password: String
    public let madeGroup: String?

    public init(gid: UInt32, suffix: String = "") throws {
        let name = "stnc\(getpid() % 100_000)\(suffix)"
        let password = "Tr4m-\(UUID().uuidString.prefix(12))"
        let group = try runTool("/usr/bin/getent", ["group", "\(gid)"])
        self.name = name
        self.password = password
        madeGroup = group.status != 0 ? "stnc-\(gid % 100_000)-\(getpid() % 100_000)" : nil
        if let madeGroup {
            let made = try runTool("/usr/sbin/groupadd", ["-g", "\(gid)", madeGroup])
            guard made.status == 0 else { throw HarnessError("groupadd: \(made.output)") }
        }
        _ = try runTool("/usr/sbin/userdel", [name])
        let user = try runTool("/usr/sbin/useradd", ["-M", "-N", "-g", "\(gid)", "-s", "/usr/sbin/nologin", name])
        guard user.status == 0 else { throw HarnessError("useradd: \(user.output)") }
        // The password on standard input, never on a command line.
        let set = try runTool("/usr/sbin/chpasswd", [], input: "\(name):\(password)\n")
        guard set.status == 0 else { throw HarnessError("chpasswd: \(set.output)") }
    }

    deinit {
        _ = try? runTool("/usr/sbin/userdel", [name])
        if let madeGroup { _ = try? runTool("/usr/sbin/groupdel", [madeGroup]) }
    }
}
