import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Debian's tpm2-tools (`tpm2_createprimary`, `tpm2_create`, `tpm2_load`, `tpm2_unseal`, `tpm2_flushcontext`, …) run
/// as child processes, the TCTI in their environment (`TPM2TOOLS_TCTI`). Secrets go through pipes only: standard
/// input to `tpm2_create -i -`, standard output from `tpm2_unseal`; never an argument, a file or a log.
struct TPM2Tools: Sendable {
    /// The TCTI (`device:/dev/tpmrm0`, `swtpm:host=127.0.0.1,port=2321`); nil: tpm2-tools' own default.
    let tcti: String?

    /// A tool that did not succeed.
    struct Failure: Error {
        /// The tool's name.
        let tool: String
        /// Not installed (not found on `PATH`).
        let notInstalled: Bool
        /// Its last line on standard error (the TPM's response code and text; never a secret).
        let message: String
    }

    /// Runs `tool` with `arguments`, `input` on its standard input; returns its standard output.
    func run(_ tool: String, _ arguments: [String], input: Data = Data()) throws(Failure) -> Data {
        guard let executable = Self.locate(tool) else {
            throw Failure(tool: tool, notInstalled: true, message: "\(tool) is not installed (tpm2-tools)")
        }
        var inPipe: [Int32] = [-1, -1]
        var outPipe: [Int32] = [-1, -1]
        var errPipe: [Int32] = [-1, -1]
        guard pipe(&inPipe) == 0, pipe(&outPipe) == 0, pipe(&errPipe) == 0 else {
            for fd in inPipe + outPipe + errPipe where fd >= 0 { close(fd) }
            throw Failure(tool: tool, notInstalled: false, message: "pipe")
        }
        // Not inherited by other children; the spawned tool gets its ends through dup2.
        for fd in inPipe + outPipe + errPipe { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        // The input is small (a 32-byte key): it fits in the pipe before the child starts.
        let written = input.withUnsafeBytes { input.isEmpty ? 0 : write(inPipe[1], $0.baseAddress, $0.count) }
        close(inPipe[1])
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, inPipe[0], 0)
        posix_spawn_file_actions_adddup2(&actions, outPipe[1], 1)
        posix_spawn_file_actions_adddup2(&actions, errPipe[1], 2)
        var environment = ProcessInfo.processInfo.environment
        if let tcti { environment["TPM2TOOLS_TCTI"] = tcti }
        let argv: [UnsafeMutablePointer<CChar>?] = ([executable] + arguments).map { strdup($0) } + [nil]
        let envp: [UnsafeMutablePointer<CChar>?] = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { for pointer in argv + envp { free(pointer) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, executable, &actions, nil, argv, envp)
        close(inPipe[0])
        close(outPipe[1])
        close(errPipe[1])
        defer {
            close(outPipe[0])
            close(errPipe[0])
        }
        guard spawned == 0, written == input.count else {
            throw Failure(tool: tool, notInstalled: false, message: "cannot start \(tool) (error \(spawned))")
        }
        let output = Self.readAll(outPipe[0])
        let errors = Self.readAll(errPipe[0])
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        let exited = (status & 0x7f) == 0 && ((status >> 8) & 0xff) == 0
        guard exited else {
            let lines = String(decoding: errors, as: UTF8.self).split(separator: "\n")
            let last = lines.last(where: { $0.hasPrefix("ERROR: ") && !$0.hasPrefix("ERROR: Unable to run") })
            throw Failure(tool: tool, notInstalled: false, message: String(last ?? lines.last ?? "failed"))
        }
        return output
    }

    /// Flushes every transient object and saved session: the TPM has only a few slots, and each tool leaves its
    /// objects loaded.
    func flush() {
        _ = try? run("tpm2_flushcontext", ["-t"])
        _ = try? run("tpm2_flushcontext", ["-s"])
    }

    /// The tool's path on `PATH` (the daemon's unit sets a standard one).
    static func locate(_ tool: String) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        for folder in path.split(separator: ":") where !folder.isEmpty {
            let candidate = "\(folder)/\(tool)"
            if access(candidate, X_OK) == 0 { return candidate }
        }
        return nil
    }

    private static func readAll(_ fd: Int32) -> Data {
        var data = Data()
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = read(fd, &buffer, buffer.count)
            if count > 0 {
                data.append(contentsOf: buffer[0..<count])
            } else if count < 0 && errno == EINTR {
                continue
            } else {
                return data
            }
        }
    }
}
