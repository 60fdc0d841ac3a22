import Foundation
import StationTestKit

/// The demo's console accounts (`make demo-up` run as root): an operator and a supervisor, local accounts whose
/// primary groups are the daemon's operators' and supervisors' groups, with random passwords shown once on the
/// demo's terminal (never written to a file), removed when the demo stops. Made with `useradd` and `chpasswd` (the
/// password on standard input, never on a command line); the console logs them in through PAM.
final class ConsoleAccounts {
    struct Account {
        let name: String
        let password: String
        /// The role the daemon gives the account's group.
        let role: String
    }

    let operatorAccount: Account
    let supervisorAccount: Account
    private var madeGroups: [String] = []

    /// The accounts, or nil when the demo does not run as root (it cannot make accounts) or making them failed
    /// (said on the terminal).
    static func make(groups: StationRunDemo.Operator.Type) -> ConsoleAccounts? {
        guard getuid() == 0 else { return nil }
        do {
            return try ConsoleAccounts(operators: groups.operatorsGroup, supervisors: groups.supervisorsGroup)
        } catch {
            say("Không tạo được tài khoản trình diễn: \(error)", "Could not make the demo accounts: \(error)")
            return nil
        }
    }

    private init(operators: UInt32, supervisors: UInt32) throws {
        operatorAccount = Account(name: "demo-canbo", password: Self.password(), role: "operator")
        supervisorAccount = Account(name: "demo-giamsat", password: Self.password(), role: "supervisor")
        try group(operators, name: "stationd-demo-ops")
        try group(supervisors, name: "stationd-demo-sup")
        try Self.user(operatorAccount, gid: operators)
        try Self.user(supervisorAccount, gid: supervisors)
    }

    /// Removes the accounts, and the groups the demo made.
    func remove() {
        for name in [operatorAccount.name, supervisorAccount.name] {
            _ = try? runTool("/usr/sbin/userdel", [name])
        }
        for name in madeGroups { _ = try? runTool("/usr/sbin/groupdel", [name]) }
    }

    /// Logs each account in through the console (PAM) and checks the role the daemon gives it.
    func checkLogin(console: String) throws {
        let base = console.hasSuffix("/console/") ? String(console.dropLast("/console/".count)) : console
        for account in [operatorAccount, supervisorAccount] {
            let body = FileManager.default.temporaryDirectory.appendingPathComponent("demo-login-\(UUID())")
            defer { try? FileManager.default.removeItem(at: body) }
            _ = FileManager.default.createFile(atPath: body.path, contents: nil, attributes: [.posixPermissions: 0o600])
            let json = try JSONSerialization.data(withJSONObject: [
                "account": account.name, "password": account.password,
            ])
            try json.write(to: body)
            let answer = try runTool(
                "/usr/bin/curl",
                [
                    "-s", "-H", "Content-Type: application/json", "--data-binary", "@\(body.path)",
                    base + "/console/login",
                ])
            let object = try? JSONSerialization.jsonObject(with: Data(answer.output.utf8)) as? [String: Any]
            guard object?["role"] as? String == account.role else {
                throw HarnessError("the console did not log \(account.name) in as \(account.role): \(answer.output)")
            }
        }
    }

    /// Prints the accounts and their passwords (a demo on the person's own machine; removed at the end).
    func show() {
        say(
            "Tài khoản trình diễn của bàn điều khiển (xóa khi dừng):",
            "The console's demo accounts (removed at the end):")
        for account in [operatorAccount, supervisorAccount] {
            let role =
                english
                ? account.role : (account.role == "operator" ? "cán bộ tiếp nhận" : "giám sát")
            print("    \(account.name) / \(account.password)    (\(role))")
        }
    }

    /// A group with this id, made under `name` when no group has it.
    private func group(_ gid: UInt32, name: String) throws {
        guard try runTool("/usr/bin/getent", ["group", "\(gid)"]).status != 0 else { return }
        let made = try runTool("/usr/sbin/groupadd", ["-g", "\(gid)", name])
        guard made.status == 0 else { throw HarnessError("groupadd \(name): \(made.output)") }
        madeGroups.append(name)
    }

    private static func user(_ account: Account, gid: UInt32) throws {
        _ = try runTool("/usr/sbin/userdel", [account.name])  // left by a demo that was killed
        let made = try runTool(
            "/usr/sbin/useradd", ["-M", "-N", "-g", "\(gid)", "-s", "/usr/sbin/nologin", account.name])
        guard made.status == 0 else { throw HarnessError("useradd \(account.name): \(made.output)") }
        let set = try runTool("/usr/sbin/chpasswd", [], input: "\(account.name):\(account.password)\n")
        guard set.status == 0 else { throw HarnessError("chpasswd \(account.name): \(set.output)") }
    }

    /// Twelve characters without look-alikes (no 0/O, 1/l/I), easy to type from the terminal.
    private static func password() -> String {
        let letters = Array("abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789")
        var generator = SystemRandomNumberGenerator()
        return String((0..<12).map { _ in letters.randomElement(using: &generator)! })
    }
}
