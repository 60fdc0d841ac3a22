import ArgumentParser
import Foundation
import Messages
import Station

#if canImport(Glibc)
    import Glibc
#endif

/// `stationd pam-helper`: the console's password checks for a daemon that is not root (`stationd-pam.service`).
struct PasswordHelperCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pam-helper",
        abstract: HelpText.text(.helpDPamHelper),
        discussion: """
            Runs as root (PAM's pam_unix reads /etc/shadow) and answers the daemon's password checks on a Unix
            socket: one JSON line in ({"account","password"}), one out ({"result":"accepted|refused"}). Only the
            accounts named by --allow-user or --allow-uid are answered (the kernel's SO_PEERCRED); the socket is
            0600 and owned by the first of them. Under systemd the socket comes from stationd-pam.socket (socket
            activation); otherwise --socket binds it. Never logs an account or a password. The daemon keeps the
            lockouts. Exit codes: 0 never (it serves until stopped), 1 could not start, 64 bad arguments.
            """)

    @Option(help: "Socket path to bind when systemd passes none.") var socket: String = "/run/stationd-pam.sock"
    @Option(name: .customLong("allow-user"), help: "Account allowed to ask (repeatable).") var users: [String] = []
    @Option(name: .customLong("allow-uid"), help: "Uid allowed to ask (repeatable).") var uids: [UInt32] = []

    func validate() throws {
        guard !users.isEmpty || !uids.isEmpty else { throw ValidationError("name --allow-user or --allow-uid") }
    }

    func run() throws {
        var allowed = uids
        for user in users {
            guard let entry = getpwnam(user) else {
                FileHandle.standardError.write(Data("stationd pam-helper: no account \(user)\n".utf8))
                throw ExitCode(1)
            }
            allowed.append(entry.pointee.pw_uid)
        }
        let log: @Sendable (String) -> Void = { line in
            FileHandle.standardError.write(Data("stationd pam-helper: \(line)\n".utf8))
        }
        let listening: Int32
        let activation = SocketActivation()
        if let fd = activation.fd {
            listening = fd
            log("serving the socket systemd passed (\(activation.path ?? "?"))")
        } else {
            do {
                listening = try PasswordHelperServer.listen(path: socket, owner: allowed.first)
            } catch {
                log("\(error)")
                throw ExitCode(1)
            }
            log("serving \(socket)")
        }
        PasswordHelperServer(allowedUIDs: Set(allowed), log: log).serve(listening: listening)
    }
}
