import ControlAPI
import Dispatch
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// The password helper (`stationd pam-helper`): a small root service that runs PAM for the console of a daemon
/// that is not root, as Cockpit's session helper does for its web service.
///
/// One JSON line in (`PasswordHelper.Request`), one out (`PasswordHelper.Answer`), then the connection closes. Only
/// callers whose uid the kernel reports (`SO_PEERCRED`) as one of `allowedUIDs` are answered; the socket itself is
/// 0600 and owned by that account. It never logs an account name or a password; it holds no state, so the
/// daemon keeps the lockouts (`ConsoleSessionBook`).
public struct PasswordHelperServer: Sendable {
    /// The accounts that may ask (the `stationd` user).
    public let allowedUIDs: Set<UInt32>
    /// The check itself (PAM in this process).
    let check: @Sendable (String, String) -> PasswordVerdict
    /// Lines for the journal (no personal data).
    let log: @Sendable (String) -> Void
    /// Checks at once; more wait in the kernel's backlog.
    static let concurrentChecks = 4

    public init(
        allowedUIDs: Set<UInt32>, log: @escaping @Sendable (String) -> Void,
        check: @escaping @Sendable (String, String) -> PasswordVerdict = InProcessPAM.checkNow
    ) {
        self.allowedUIDs = allowedUIDs
        self.log = log
        self.check = check
    }

    /// A listening socket at `path` (a stale socket file there is replaced), mode 0600, owned by `owner`.
    public static func listen(path: String, owner: UInt32?) throws(PasswordHelperError) -> Int32 {
        guard let address = UnixSocketAddress(path) else { throw PasswordHelperError("socket path too long: \(path)") }
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw PasswordHelperError("socket: errno \(errno)") }
        var status = stat()
        if lstat(path, &status) == 0 && (status.st_mode & S_IFMT) == S_IFSOCK { unlink(path) }
        let previous = umask(0o177)
        let bound = address.bind(fd)
        umask(previous)
        guard bound == 0 else {
            let code = errno
            close(fd)
            throw PasswordHelperError("bind \(path): errno \(code)")
        }
        if let owner, chown(path, owner, gid_t(bitPattern: -1)) != 0 {
            let code = errno
            close(fd)
            throw PasswordHelperError("chown \(path) to uid \(owner): errno \(code)")
        }
        guard Glibc.listen(fd, 16) == 0 else {
            let code = errno
            close(fd)
            throw PasswordHelperError("listen \(path): errno \(code)")
        }
        return fd
    }

    /// Accepts connections on `listening` for ever, each answered on a thread of its own (at most
    /// `concurrentChecks` at once: PAM sleeps after a failure).
    public func serve(listening: Int32) -> Never {
        let slots = DispatchSemaphore(value: Self.concurrentChecks)
        while true {
            let connection = accept(listening, nil, nil)
            guard connection >= 0 else {
                if errno != EINTR && errno != ECONNABORTED { log("accept: errno \(errno)") }
                continue
            }
            _ = fcntl(connection, F_SETFD, FD_CLOEXEC)
            slots.wait()
            let thread = Thread {
                answer(connection)
                close(connection)
                slots.signal()
            }
            thread.name = "pam-check"
            thread.start()
        }
    }

    /// Reads one request on `connection`, checks it and writes the answer.
    func answer(_ connection: Int32) {
        UnixStream.setTimeouts(connection, seconds: 10)
        let uid = Self.peerUID(connection)
        guard let uid, allowedUIDs.contains(uid) else {
            log("refused a caller that is not allowed (uid \(uid.map(String.init) ?? "unknown"))")
            reply(connection, "peer_refused")
            return
        }
        guard var line = UnixStream.readLine(connection, limit: PasswordHelper.maximumRequestBytes) else {
            reply(connection, "malformed")
            return
        }
        defer { line.resetBytes(in: 0..<line.count) }
        guard let request = try? JSONDecoder().decode(PasswordHelper.Request.self, from: line),
            ConsoleLogin.validAccountName(request.account), !request.password.isEmpty,
            !request.password.utf8.contains(0)
        else {
            reply(connection, "malformed")
            return
        }
        let verdict = check(request.account, request.password)
        log("checked a password: \(verdict.rawValue)")
        reply(connection, verdict.rawValue)
    }

    func reply(_ connection: Int32, _ result: String) {
        guard var data = try? JSONEncoder().encode(PasswordHelper.Answer(result: result)) else { return }
        data.append(0x0A)
        _ = UnixStream.writeAll(connection, data)
    }

    /// The connected caller's uid, from the kernel.
    static func peerUID(_ fd: Int32) -> UInt32? {
        var credentials = PeerCredentials.UCred()
        var length = socklen_t(MemoryLayout<PeerCredentials.UCred>.size)
        guard getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &credentials, &length) == 0 else { return nil }
        return credentials.uid
    }
}

/// Why the password helper could not start.
public struct PasswordHelperError: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}
