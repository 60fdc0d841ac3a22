import Foundation
import Messages

extension StationDoctor {
    /// Whether the store key file is sealed to a TPM (its first line, `stationd-tpm-sealed/1`) and whether a TPM
    /// answers on the configured TCTI (`tpm2_getcap properties-fixed`). Fails when the key is sealed and no TPM
    /// answers, or when `store.tpm = required` and the key is a plain file.
    func tpm() -> DoctorResult {
        let id = "tpm"
        let title = { (state: MessageKey) in say(.ctlDoctorTPM, ["state": say(state)]) }
        let store = storeSettings()
        let keyFile = path(store["key_file"] ?? "/var/lib/stationd/queue.key")
        var sealed = false
        if FileManager.default.fileExists(atPath: keyFile) {
            guard let handle = FileHandle(forReadingAtPath: keyFile) else {
                return pass(id, title(.ctlDoctorTPMUnread))
            }
            let head = (try? handle.read(upToCount: 64)) ?? Data()
            try? handle.close()
            sealed = head.starts(with: Data("stationd-tpm-sealed/1\n".utf8))
        }
        let tcti = store["tpm_tcti"].flatMap { $0.isEmpty ? nil : $0 }
        let problem = tpmProblem(tcti: tcti)
        if sealed {
            if problem == nil { return pass(id, title(.ctlDoctorTPMSealed)) }
            return fail(
                id, title(.ctlDoctorTPMSealed), say(.ctlDoctorTPMNoAnswer, ["error": problem ?? ""]),
                say(.ctlDoctorTPMNoAnswerFix))
        }
        if store["tpm"] == "required" {
            return fail(
                id, title(.ctlDoctorTPMPlain), say(.ctlDoctorTPMNotSealed),
                "sudo systemctl stop stationd && sudo stationd keys seal-to-tpm && sudo systemctl start stationd")
        }
        return pass(id, title(problem == nil ? .ctlDoctorTPMPlainPresent : .ctlDoctorTPMPlain))
    }

    /// The `[store]` keys of the configuration under `root` that concern the key file (the environment's
    /// `STATIOND_STORE_*` overrides them, as for the daemon).
    func storeSettings() -> [String: String] {
        var values: [String: String] = [:]
        let text = FileManager.default.contents(atPath: path("/etc/stationd/stationd.conf")).map {
            String(decoding: $0, as: UTF8.self)
        }
        var section = ""
        for raw in (text ?? "").split(separator: "\n") {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.hasPrefix("[") && line.hasSuffix("]") {
                section = String(line.dropFirst().dropLast())
            } else if section == "store", !line.hasPrefix("#"), let equals = line.firstIndex(of: "=") {
                let key = line[..<equals].trimmingCharacters(in: .whitespaces)
                var value = line[line.index(after: equals)...].trimmingCharacters(in: .whitespaces)
                if value.count >= 2, value.hasPrefix("\""), value.hasSuffix("\"") {
                    value = String(value.dropFirst().dropLast())
                }
                values[key] = value
            }
        }
        let environment = ProcessInfo.processInfo.environment
        for key in ["key_file", "tpm", "tpm_tcti"] {
            if let value = environment["STATIOND_STORE_" + key.uppercased()] { values[key] = value }
        }
        return values
    }

    /// Nil when a TPM answers `tpm2_getcap` on `tcti` (nil: tpm2-tools' default), else its last error line.
    func tpmProblem(tcti: String?) -> String? {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["tpm2_getcap", "properties-fixed"]
        var environment = ProcessInfo.processInfo.environment
        if let tcti { environment["TPM2TOOLS_TCTI"] = tcti }
        process.environment = environment
        let errors = Pipe()
        process.standardOutput = FileHandle.nullDevice
        process.standardError = errors
        guard (try? process.run()) != nil else { return "tpm2_getcap: not run" }
        let data = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        if process.terminationStatus == 0 { return nil }
        if process.terminationStatus == 127 { return "tpm2-tools not installed" }
        let lines = String(decoding: data, as: UTF8.self).split(separator: "\n")
        return String(lines.last(where: { $0.hasPrefix("ERROR: ") }) ?? lines.last ?? "no answer")
    }
}
