import Foundation
import Intake
import Queue
import StationTestKit
import Testing

@testable import Station

#if canImport(Glibc)
    import Glibc
#endif

/// #23 item 4: the store key sealed to a TPM 2.0, with Debian's software TPM (`swtpm`) and tpm2-tools: sealed and
/// unsealed byte for byte, a store written before sealing read after it, `stationd keys seal-to-tpm` and
/// `unseal-from-tpm` both ways around the daemon, and each refusal (a damaged blob, another TPM, changed PCRs, no
/// TPM) with its own code and the store untouched. Skipped, saying why, where swtpm or tpm2-tools are not installed.
@Suite(
    .serialized, .enabled(if: SoftwareTPM.missing == nil, "\(SoftwareTPM.missing ?? "")"),
    .enabled(
        if: ProcessInfo.processInfo.environment["STATION_TPM_TESTS"] == "1",
        "run on their own by make test (STATION_TPM_TESTS=1): beside the rest they starve the async tests' timers"))
struct TPMSealTests {
    static let officer = QueueActor.officer(OperatorID("officer-1"))

    /// A folder for one test, removed by the caller.
    static func folder(_ name: String) throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent(
            "station-tpm-\(getpid())-\(name)-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    static func queueConfiguration(_ folder: URL, sealer: any KeySealer) -> ApplicationQueue.Configuration {
        var configuration = ApplicationQueue.Configuration(
            databasePath: folder.path + "/queue.sqlite", keyFilePath: folder.path + "/queue.key",
            minimumFreeBytes: 1 << 20)
        configuration.keySealer = sealer
        return configuration
    }

    /// The error code opening the store in `folder` with `sealer` gives (nil: it opened).
    static func openingCode(_ folder: URL, _ sealer: any KeySealer) -> QueueError.Code? {
        code { () throws(QueueError) in try ApplicationQueue(configuration: queueConfiguration(folder, sealer: sealer))
        }
    }

    /// The code `body` throws (nil: it did not throw).
    static func code<T>(_ body: () throws(QueueError) -> T) -> QueueError.Code? {
        do {
            _ = try body()
            return nil
        } catch {
            return error.code
        }
    }

    /// The error `body` throws, if any.
    static func failure<T>(_ body: () throws(QueueError) -> T) -> QueueError? {
        do {
            _ = try body()
            return nil
        } catch {
            return error
        }
    }

    static func contents(_ path: String) throws -> Data {
        try #require(FileManager.default.contents(atPath: path))
    }

    /// A TCTI nothing listens on.
    static func deadTCTI() throws -> String {
        try SoftwareTPM.unusedTCTI()
    }

    @Test func aSealedKeyUnsealsByteForByteAndOnlyWithItsTPM() throws {
        let root = try Self.folder("bytes")
        defer { try? FileManager.default.removeItem(at: root) }
        let tpm = try SoftwareTPM(stateFolder: root.appendingPathComponent("tpm-a"))
        let sealer = TPMKeySealer(TPMSettings(mode: .required, tcti: tpm.tcti))
        let temporary = {
            Set(
                (try? FileManager.default.contentsOfDirectory(atPath: NSTemporaryDirectory()))?
                    .filter { $0.hasPrefix("stationd-tpm-") } ?? [])
        }
        let before = temporary()
        let secret = Data(#"{"index":"SECRETCANARY","keys":[]}"#.utf8)
        let sealed = try sealer.sealToTPM(secret)
        #expect(SealedKeyMarker.isSealed(sealed))
        #expect(sealed.range(of: Data("SECRETCANARY".utf8)) == nil)
        #expect(try sealer.unsealFromTPM(sealed) == secret)
        // A fresh wrapping key each time: two different files, both opening.
        let again = try sealer.sealToTPM(secret)
        #expect(again != sealed)
        #expect(try sealer.unseal(again) == secret)
        // The TPM's blobs do not outlive the call.
        #expect(temporary() == before)

        // Another TPM (another state folder) refuses it.
        let other = try SoftwareTPM(stateFolder: root.appendingPathComponent("tpm-b"))
        let foreign = TPMKeySealer(TPMSettings(mode: .required, tcti: other.tcti))
        #expect(Self.code { () throws(QueueError) in try foreign.unsealFromTPM(sealed) } == .tpmRefused)
        other.stop()
        // No TPM at all: unavailable, not refused.
        let absent = TPMKeySealer(TPMSettings(mode: .required, tcti: try Self.deadTCTI()))
        #expect(Self.code { () throws(QueueError) in try absent.unsealFromTPM(sealed) } == .tpmUnavailable)
        #expect(Self.code { () throws(QueueError) in try absent.sealToTPM(secret) } == .tpmUnavailable)
        // The same TPM restarted on its state opens it again (its primary is derived from its seed).
        tpm.stop()
        let restarted = try SoftwareTPM(stateFolder: root.appendingPathComponent("tpm-a"))
        defer { restarted.stop() }
        #expect(try TPMKeySealer(TPMSettings(tcti: restarted.tcti)).unsealFromTPM(sealed) == secret)
    }

    @Test func aKeyBoundToPCR7OpensUntilPCR7Changes() throws {
        let root = try Self.folder("pcr")
        defer { try? FileManager.default.removeItem(at: root) }
        let tpm = try SoftwareTPM(stateFolder: root.appendingPathComponent("tpm"))
        defer { tpm.stop() }
        let sealer = TPMKeySealer(TPMSettings(mode: .required, tcti: tpm.tcti, pcrs: "sha256:7"))
        let secret = Data("PCRCANARY".utf8)
        let sealed = try sealer.sealToTPM(secret)
        #expect(String(decoding: sealed, as: UTF8.self).contains(#""pcrs":"sha256:7""#))
        #expect(try sealer.unsealFromTPM(sealed) == secret)
        // A firmware or Secure Boot update, as the TPM sees it: PCR 7 extended.
        var environment = ProcessInfo.processInfo.environment
        environment["TPM2TOOLS_TCTI"] = tpm.tcti
        let extend = try runTool(
            "/usr/bin/env", ["tpm2_pcrextend", "7:sha256=" + String(repeating: "ab", count: 32)],
            environment: environment)
        #expect(extend.status == 0, "\(extend.output)")
        let refused = try #require(Self.failure { () throws(QueueError) in try sealer.unsealFromTPM(sealed) })
        #expect(refused.code == .tpmRefused)
        #expect(refused.reason.contains("sha256:7"), "\(refused.reason)")
        // An unbound key on the same TPM still opens.
        let unbound = TPMKeySealer(TPMSettings(tcti: tpm.tcti))
        #expect(try unbound.unsealFromTPM(try unbound.sealToTPM(secret)) == secret)
    }

    /// The store itself: created sealed under `required`, rotated (the file stays sealed), and each damage or
    /// missing TPM refused with its code while the database stays byte for byte as it was.
    @Test func aSealedStoreKeyOpensTheStoreAndEveryDamageIsRefusedWithoutLoss() throws {
        let root = try Self.folder("store")
        defer { try? FileManager.default.removeItem(at: root) }
        let tpm = try SoftwareTPM(stateFolder: root.appendingPathComponent("tpm"))
        let store = root.appendingPathComponent("state")
        try FileManager.default.createDirectory(at: store, withIntermediateDirectories: true)
        let keyFile = store.path + "/queue.key"
        let required = TPMKeySealer(TPMSettings(mode: .required, tcti: tpm.tcti))
        let application = SampleApplications.application()
        do {
            let queue = try ApplicationQueue(configuration: Self.queueConfiguration(store, sealer: required))
            try queue.commit(application, by: Self.officer)
            // A rotation rewrites the key file: it stays sealed.
            try queue.rotateKey(by: .system)
        }
        let sealed = try Self.contents(keyFile)
        #expect(SealedKeyMarker.isSealed(sealed))
        #expect(try KeyRing.load(path: keyFile, createIfMissing: false, sealer: required).keyIDs == [1, 2])
        // Without the TPM sealer (a tool not given the TPM): refused, not taken for a malformed file.
        #expect(Self.openingCode(store, PlainKeyFile()) == .tpmUnavailable)

        let database = try Self.contents(store.path + "/queue.sqlite")
        let header = Data(SealedKeyMarker.firstLine.utf8)
        let envelope = try #require(
            JSONSerialization.jsonObject(with: sealed.dropFirst(header.count)) as? [String: String])
        func damaged(_ field: String) throws -> Data {
            let text = try #require(envelope[field])
            var bytes = try #require(Data(base64Encoded: text))
            bytes[bytes.count / 2] ^= 0x01
            var copy = envelope
            copy[field] = bytes.base64EncodedString()
            return header + (try JSONSerialization.data(withJSONObject: copy, options: [.sortedKeys]))
        }
        let cases: [(String, Data, QueueError.Code)] = [
            ("ciphertext altered", try damaged("ciphertext"), .tpmCorrupt),
            ("nonce altered", try damaged("nonce"), .tpmCorrupt),
            ("not an envelope", header + Data("{not json".utf8), .tpmCorrupt),
            ("TPM blob altered", try damaged("private"), .tpmRefused),
        ]
        for (what, bytes, code) in cases {
            try KeyFile.write(bytes, to: keyFile, replacing: true, what: "test")
            #expect(Self.openingCode(store, required) == code, "\(what)")
        }
        try KeyFile.write(sealed, to: keyFile, replacing: true, what: "test")
        // Another TPM, then none.
        let other = try SoftwareTPM(stateFolder: root.appendingPathComponent("other"))
        #expect(Self.openingCode(store, TPMKeySealer(TPMSettings(tcti: other.tcti))) == .tpmRefused)
        other.stop()
        tpm.stop()
        #expect(Self.openingCode(store, required) == .tpmUnavailable)
        // Nothing was written to the store by any refused start, and the key file is the sealed one.
        #expect(try Self.contents(store.path + "/queue.sqlite") == database)
        #expect(try Self.contents(keyFile) == sealed)
        // The TPM back: every application is there.
        let back = try SoftwareTPM(stateFolder: root.appendingPathComponent("tpm"))
        defer { back.stop() }
        let queue = try ApplicationQueue(
            configuration: Self.queueConfiguration(store, sealer: TPMKeySealer(TPMSettings(tcti: back.tcti))))
        #expect(try queue.application(application.id).identity.idNumber == application.identity.idNumber)
    }

    @Test func theModesDecideWhatANewKeyIsAndWhatIsRefused() throws {
        let root = try Self.folder("modes")
        defer { try? FileManager.default.removeItem(at: root) }
        let tpm = try SoftwareTPM(stateFolder: root.appendingPathComponent("tpm"))
        defer { tpm.stop() }
        func store(_ name: String, _ settings: TPMSettings) throws -> (URL, Data) {
            let folder = root.appendingPathComponent(name)
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            _ = try ApplicationQueue(configuration: Self.queueConfiguration(folder, sealer: TPMKeySealer(settings)))
            return (folder, try Self.contents(folder.path + "/queue.key"))
        }
        // off: a plain key, as before; if-present: sealed when a TPM answers, plain when none does.
        #expect(!SealedKeyMarker.isSealed(try store("off", TPMSettings(mode: .off, tcti: tpm.tcti)).1))
        #expect(SealedKeyMarker.isSealed(try store("present", TPMSettings(mode: .ifPresent, tcti: tpm.tcti)).1))
        let (plain, plainKey) = try store("absent", TPMSettings(mode: .ifPresent, tcti: try Self.deadTCTI()))
        #expect(!SealedKeyMarker.isSealed(plainKey))
        // required: a plain key file stops the start; required without a TPM makes no store at all.
        #expect(Self.openingCode(plain, TPMKeySealer(TPMSettings(mode: .required, tcti: tpm.tcti))) == .tpmNotSealed)
        let none = root.appendingPathComponent("none")
        try FileManager.default.createDirectory(at: none, withIntermediateDirectories: true)
        #expect(
            Self.openingCode(none, TPMKeySealer(TPMSettings(mode: .required, tcti: try Self.deadTCTI())))
                == .tpmUnavailable)
        #expect(access(none.path + "/queue.key", F_OK) != 0)
        // off still opens a key file sealed before (the file says what it is).
        let (sealed, _) = try store("sealed", TPMSettings(mode: .required, tcti: tpm.tcti))
        #expect(Self.openingCode(sealed, TPMKeySealer(TPMSettings(mode: .off, tcti: tpm.tcti))) == nil)
    }

    /// The technician's path on a running station: `stationd keys seal-to-tpm` with the daemon stopped, the daemon
    /// started on the sealed key (`store.tpm = required`), the refusal with advice when the TPM is gone, the backup
    /// holding the key itself, and `unseal-from-tpm` back to the very same plain file. Both audited.
    @Test(.timeLimit(.minutes(3))) func sealAndUnsealAnInstalledStationAroundTheDaemon() throws {
        let root = try Self.folder("daemon")
        defer { try? FileManager.default.removeItem(at: root) }
        let tpm = try SoftwareTPM(stateFolder: root.appendingPathComponent("tpm"))
        var environment = ProcessInfo.processInfo.environment
        environment["STATIOND_STORE_TPM_TCTI"] = tpm.tcti
        let daemon = try DaemonUnderTest(name: "tpm-seal", environment: environment)
        let keyFile = daemon.directory.path + "/state/queue.key"
        let database = daemon.directory.path + "/state/queue.sqlite"
        try daemon.start()
        #expect(daemon.stop() == 0)
        // An application written before sealing.
        let application = SampleApplications.application()
        do {
            let queue = try ApplicationQueue(configuration: .init(databasePath: database, keyFilePath: keyFile))
            try queue.commit(application, by: Self.officer)
        }
        let plain = try Self.contents(keyFile)
        #expect(!SealedKeyMarker.isSealed(plain))

        let stationd = try Binaries.path("stationd")
        let seal = try runTool(
            stationd, ["keys", "seal-to-tpm", "--config", daemon.configPath], environment: environment)
        #expect(seal.status == 0, "\(seal.output)")
        #expect(seal.output.contains("Đã niêm phong tệp khóa vào TPM") && seal.output.contains(keyFile))
        let sealed = try Self.contents(keyFile)
        #expect(SealedKeyMarker.isSealed(sealed))
        let index = try #require(
            (try JSONSerialization.jsonObject(with: plain) as? [String: Any])?["index"] as? String)
        #expect(sealed.range(of: Data(index.utf8)) == nil, "no key in clear in the sealed file")
        var info = stat()
        #expect(stat(keyFile, &info) == 0 && info.st_mode & 0o777 == 0o600)
        #expect(access(keyFile + ".converting", F_OK) != 0)
        let twice = try runTool(
            stationd, ["keys", "seal-to-tpm", "--config", daemon.configPath], environment: environment)
        #expect(twice.status == 0 && twice.output.contains("không ghi gì"), "\(twice.output)")
        #expect(try Self.contents(keyFile) == sealed)

        // The daemon unseals at start, even when the configuration requires the TPM.
        daemon.environment["STATIOND_STORE_TPM"] = "required"
        try daemon.start()
        #expect(try daemon.curl("GET", "/v1/status").0 == 200)
        // The backup holds the key itself (it restores on any machine), not the TPM's blob.
        let files = try StationKeyFiles(
            StationConfiguration.load(file: daemon.configPath, environment: daemon.environment)
        ).collect()
        #expect(files.files.first { $0.role == "store.key_file" }?.content == plain)
        #expect(daemon.stop() == 0)

        // The TPM gone: the daemon refuses to start, says what to do, writes nothing.
        tpm.stop()
        try daemon.configuration.write(toFile: daemon.configPath, atomically: true, encoding: .utf8)
        let refused = try ManagedProcess(
            "stationd-no-tpm", executable: stationd, arguments: ["run", "--config", daemon.configPath],
            logFile: daemon.directory.appendingPathComponent("refused.log"), environment: daemon.environment)
        let status = refused.wait(timeout: 30)
        if status == nil { refused.stop(signal: SIGKILL) }
        #expect(status == 1, "\(refused.output)")
        #expect(refused.output.contains("queue.tpm_unavailable"), "\(refused.output)")
        #expect(refused.output.contains("Không có hồ sơ nào bị mất"))  // Vietnamese first
        #expect(refused.output.contains("stationd keys restore"))
        #expect(try Self.contents(keyFile) == sealed)
        let failed = try runTool(
            stationd, ["keys", "unseal-from-tpm", "--config", daemon.configPath], environment: environment)
        #expect(failed.status == 1 && failed.output.contains("queue.tpm_unavailable"), "\(failed.output)")
        #expect(try Self.contents(keyFile) == sealed, "the old file is kept")

        // Back to a plain file: the very bytes it was, and the store reads the application written before.
        let back = try SoftwareTPM(stateFolder: root.appendingPathComponent("tpm"))
        defer { back.stop() }
        environment["STATIOND_STORE_TPM_TCTI"] = back.tcti
        let unseal = try runTool(
            stationd, ["keys", "unseal-from-tpm", "--config", daemon.configPath], environment: environment)
        #expect(unseal.status == 0, "\(unseal.output)")
        #expect(try Self.contents(keyFile) == plain)
        let queue = try ApplicationQueue(configuration: .init(databasePath: database, keyFilePath: keyFile))
        #expect(try queue.application(application.id).identity.idNumber == application.identity.idNumber)
        let actions = try queue.auditTrail(for: nil).map(\.action)
        #expect(actions.filter { $0 == "keys_tpm_seal" }.count == 1)
        #expect(actions.filter { $0 == "keys_tpm_unseal" }.count == 1)
    }

    /// `stationctl doctor` says whether the key is sealed and whether the TPM answers.
    @Test func doctorReportsTheSealedKeyAndTheTPM() throws {
        let root = try DoctorTests.healthyTree()
        defer { try? FileManager.default.removeItem(at: root) }
        let folder = try Self.folder("doctor")
        defer { try? FileManager.default.removeItem(at: folder) }
        let tpm = try SoftwareTPM(stateFolder: folder)
        let configuration = root.appendingPathComponent("etc/stationd/stationd.conf").path
        try "[station]\nprofile = intake\n[store]\ntpm_tcti = \(tpm.tcti)\n".write(
            toFile: configuration, atomically: true, encoding: .utf8)
        chmod(configuration, 0o640)
        let keyFile = root.appendingPathComponent("var/lib/stationd/queue.key").path
        try KeyFile.write(
            try TPMKeySealer(TPMSettings(tcti: tpm.tcti)).sealToTPM(Data("{}".utf8)), to: keyFile, replacing: true,
            what: "test")
        func check() throws -> DoctorTests.Check {
            try #require(try DoctorTests.doctor(root).report.checks.first { $0.id == "tpm" })
        }
        let answered = try check()
        #expect(answered.ok && answered.title.contains("niêm phong vào TPM, TPM trả lời"), "\(answered)")
        tpm.stop()
        let silent = try check()
        #expect(!silent.ok && (silent.problem ?? "").contains("TPM không trả lời"), "\(silent)")
        #expect((silent.fix ?? "").contains("tpm2-tools"))
        // required with a plain key file: the command to seal it.
        try "[store]\ntpm = required\n".write(toFile: configuration, atomically: true, encoding: .utf8)
        try KeyFile.write(Data("{}".utf8), to: keyFile, replacing: true, what: "test")
        let plain = try check()
        #expect(!plain.ok && (plain.fix ?? "").contains("stationd keys seal-to-tpm"), "\(plain)")
    }
}
