import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Debian's software TPM 2.0 (`swtpm socket --tpm2`) on two free local ports, its state in a folder, started and
/// stopped by its PID: the TPM the key-sealing tests seal the store key to through tpm2-tools.
public final class SoftwareTPM: @unchecked Sendable {
    /// The command port (the TCTI's); the control port is the next one.
    public let port: UInt16
    /// Where the TPM keeps its state (its seeds): another folder is another TPM.
    public let stateFolder: URL
    /// The process.
    public let process: ManagedProcess

    /// The TCTI tpm2-tools take (`TPM2TOOLS_TCTI`, `store.tpm_tcti`).
    public var tcti: String { "swtpm:host=127.0.0.1,port=\(port)" }

    /// Why the software TPM cannot run here (nil: `swtpm` and tpm2-tools are installed).
    public static var missing: String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        let found = { (tool: String) in
            path.split(separator: ":").contains { access("\($0)/\(tool)", X_OK) == 0 }
        }
        let absent = ["swtpm", "tpm2_createprimary", "tpm2_create", "tpm2_load", "tpm2_unseal", "tpm2_flushcontext"]
            .filter { !found($0) }
        return absent.isEmpty
            ? nil : "not installed: \(absent.joined(separator: ", ")) (apt-get install swtpm swtpm-tools tpm2-tools)"
    }

    /// Starts a TPM whose state is in `stateFolder` (created; an existing state is the same TPM again) and waits
    /// until it accepts connections.
    public init(stateFolder: URL) throws {
        self.stateFolder = stateFolder
        try FileManager.default.createDirectory(at: stateFolder, withIntermediateDirectories: true)
        port = try PCSCHarness.freePortRange(count: 2)
        let executable = try Self.locate("swtpm")
        process = try ManagedProcess(
            "swtpm", executable: executable,
            arguments: [
                "socket", "--tpm2", "--tpmstate", "dir=\(stateFolder.path)",
                "--server", "type=tcp,port=\(port),bindaddr=127.0.0.1",
                "--ctrl", "type=tcp,port=\(port + 1),bindaddr=127.0.0.1",
                "--flags", "not-need-init,startup-clear",
            ],
            logFile: stateFolder.appendingPathComponent("swtpm.log"))
        let deadline = Date(timeIntervalSinceNow: 10)
        while !Self.accepts(port) {
            guard process.isRunning, Date() < deadline else {
                process.stop(signal: SIGKILL)
                throw HarnessError("swtpm did not start: \(process.output)")
            }
            usleep(20_000)
        }
    }

    /// A TCTI on a local port nothing listens on: no TPM answers there.
    public static func unusedTCTI() throws -> String {
        "swtpm:host=127.0.0.1,port=\(try PCSCHarness.freePortRange(count: 2))"
    }

    /// Stops it by its PID.
    public func stop() { process.stop() }

    deinit { stop() }

    static func locate(_ tool: String) throws -> String {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        for folder in path.split(separator: ":") where access("\(folder)/\(tool)", X_OK) == 0 {
            return "\(folder)/\(tool)"
        }
        throw HarnessError("\(tool) not installed")
    }

    static func accepts(_ port: UInt16) -> Bool {
        guard let fd = try? TestSockets.loopback(port: Int(port), receiveTimeout: 1) else { return false }
        close(fd)
        return true
    }
}
