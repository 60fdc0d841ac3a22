import CPAM
import ControlAPI
import Dispatch
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// What checking an officer's password came to.
public enum PasswordVerdict: String, Sendable, Codable, Hashable {
    /// PAM accepted the password and the account.
    case accepted
    /// PAM refused the password or the account (expired, locked, unknown: all alike).
    case refused
    /// The check could not be made: the password helper is not running or did not answer.
    case unavailable
}

/// The seam through which the console checks a password: PAM in the daemon's own process (a daemon run as root) or
/// the password helper, a root service reached through a Unix socket (the packaged daemon runs as `stationd`, and
/// pam_unix lets an unprivileged process check only its own account's password).
public protocol PasswordCheck: Sendable {
    /// Checks `password` for `account`; never logs either.
    func check(account: String, password: String) async -> PasswordVerdict
}

/// How the console checks passwords (`listener.pam_helper`).
public enum PasswordCheckMode: Sendable, Hashable {
    /// PAM in the daemon's process when it runs as root, else the helper at `PasswordHelper.defaultSocket`.
    case automatic
    /// PAM in the daemon's process.
    case inProcess
    /// The password helper listening on this Unix socket.
    case helper(socket: String)

    /// Reads `auto` (or nothing), `in-process`, or an absolute socket path.
    public init?(configured text: String) {
        switch text {
        case "", "auto": self = .automatic
        case "in-process": self = .inProcess
        default:
            guard text.hasPrefix("/"), text.utf8.count < 100 else { return nil }
            self = .helper(socket: text)
        }
    }

    /// The check this mode gives for a daemon running with `effectiveUID`.
    public func check(effectiveUID: uid_t = geteuid()) -> any PasswordCheck {
        switch self {
        case .inProcess: InProcessPAM()
        case .helper(let socket): PasswordHelperClient(socketPath: socket)
        case .automatic:
            effectiveUID == 0 ? InProcessPAM() : PasswordHelperClient(socketPath: PasswordHelper.defaultSocket)
        }
    }
}

/// PAM in this process (service `stationd`), off the event loop and the cooperative pool: PAM may sleep seconds
/// on a failure.
public struct InProcessPAM: PasswordCheck {
    /// The PAM service (`/etc/pam.d/stationd`; without that file Debian's PAM uses `other`, i.e. `common-auth`).
    public static let service = "stationd"

    public init() {}

    public func check(account: String, password: String) async -> PasswordVerdict {
        await offThePool { Self.checkNow(account: account, password: password) }
    }

    /// The blocking PAM call (pam_authenticate, then pam_acct_mgmt).
    public static func checkNow(account: String, password: String) -> PasswordVerdict {
        station_pam_authenticate(service, account, password) == 0 ? .accepted : .refused
    }
}

/// The password helper's protocol: one JSON line each way per connection.
public enum PasswordHelper {
    /// Where the packaged `stationd-pam.socket` listens.
    public static let defaultSocket = "/run/stationd-pam.sock"
    /// The longest request line accepted (an account name and a password with room to spare).
    public static let maximumRequestBytes = 4096
    /// Seconds a client waits for the answer (PAM's delay after a failure is about 2 s).
    public static let answerSeconds = 15.0

    /// The request.
    public struct Request: Codable, Sendable {
        public var account: String
        public var password: String
        public init(account: String, password: String) {
            self.account = account
            self.password = password
        }
    }

    /// The answer: the verdict, or why the helper would not check (`peer_refused`, `malformed`).
    public struct Answer: Codable, Sendable, Equatable {
        public var result: String
        public init(result: String) { self.result = result }
    }
}

/// The daemon's side of the password helper: connects to its socket for each check, on a thread of its own.
public struct PasswordHelperClient: PasswordCheck {
    public let socketPath: String

    public init(socketPath: String) { self.socketPath = socketPath }

    public func check(account: String, password: String) async -> PasswordVerdict {
        let path = socketPath
        return await offThePool { Self.checkNow(socketPath: path, account: account, password: password) }
    }

    /// Sends one request and reads its answer; anything but a clear verdict is `unavailable`.
    static func checkNow(socketPath: String, account: String, password: String) -> PasswordVerdict {
        guard let fd = UnixStream.connect(socketPath, timeoutSeconds: PasswordHelper.answerSeconds) else {
            return .unavailable
        }
        defer { close(fd) }
        guard var line = try? JSONEncoder().encode(PasswordHelper.Request(account: account, password: password))
        else { return .unavailable }
        line.append(0x0A)
        defer { line.resetBytes(in: 0..<line.count) }
        guard UnixStream.writeAll(fd, line), let reply = UnixStream.readLine(fd, limit: 256),
            let answer = try? JSONDecoder().decode(PasswordHelper.Answer.self, from: reply)
        else { return .unavailable }
        return PasswordVerdict(rawValue: answer.result) ?? .unavailable
    }
}

/// Runs a blocking password check on a Dispatch thread, never on Swift's cooperative pool (PAM sleeps seconds after
/// a failure; the helper's answer may take as long).
private func offThePool(_ check: @escaping @Sendable () -> PasswordVerdict) async -> PasswordVerdict {
    await withCheckedContinuation { continuation in
        DispatchQueue.global().async { continuation.resume(returning: check()) }
    }
}

/// Blocking Unix stream sockets for the password helper and its client.
enum UnixStream {
    /// A stream socket connected to `path`, reads and writes timing out after `timeoutSeconds`.
    static func connect(_ path: String, timeoutSeconds: Double) -> Int32? {
        guard let address = UnixSocketAddress(path) else { return nil }
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return nil }
        guard address.connect(fd) == 0 else {
            close(fd)
            return nil
        }
        setTimeouts(fd, seconds: timeoutSeconds)
        return fd
    }

    /// Reads and writes on `fd` give up after `seconds`.
    static func setTimeouts(_ fd: Int32, seconds: Double) {
        var timeout = timeval(tv_sec: Int(seconds), tv_usec: Int((seconds - Double(Int(seconds))) * 1_000_000))
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    }

    static func writeAll(_ fd: Int32, _ data: Data) -> Bool {
        data.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let written = send(fd, raw.baseAddress! + offset, raw.count - offset, Int32(MSG_NOSIGNAL))
                if written < 0 && errno == EINTR { continue }
                guard written > 0 else { return false }
                offset += written
            }
            return true
        }
    }

    /// One line (without its newline), or nil at a timeout, the end of the stream or more than `limit` bytes.
    static func readLine(_ fd: Int32, limit: Int) -> Data? {
        var line = Data()
        var byte: UInt8 = 0
        while line.count <= limit {
            let count = recv(fd, &byte, 1, 0)
            if count < 0 && errno == EINTR { continue }
            guard count == 1 else { return nil }
            if byte == 0x0A { return line }
            line.append(byte)
        }
        line.resetBytes(in: 0..<line.count)
        return nil
    }
}
