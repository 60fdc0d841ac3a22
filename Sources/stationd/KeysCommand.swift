import ArgumentParser
import Foundation
import Messages
import SecretInput
import Station

#if canImport(Glibc)
    import Glibc
#endif

/// `stationd keys`: the station's key files by hand (the daemon stopped).
struct KeysCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keys",
        abstract: HelpText.text(.helpDKeys),
        subcommands: [Restore.self, SealToTPM.self, UnsealFromTPM.self])

    /// `stationd keys restore --from FILE [--identity FILE] [--passphrase-file F] [--config F]`.
    struct Restore: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "restore",
            abstract: HelpText.text(.helpDRestore),
            discussion: """
                Opens the bundle (the passphrase asked without echo, or --passphrase-file; a bundle sealed to a
                public key needs --identity, the supervisor's X25519 private key, PEM or base64) and writes each file
                0600, atomically, where the configuration puts it. A file already there with the same content is
                left; one with a different content stops the restore before anything is written (keys.file_differs,
                naming the file). A wrong passphrase: keys.wrong_secret, nothing written. A bundle made before a key rotation,
                for a store that needs the newer key: keys.stale_backup, nothing written. Refused while a daemon runs
                on the state directory. Exit codes: 0 restored, 1 refused, 64 bad input, 78 configuration.
                """)

        @Option(help: "The bundle file.") var from: String
        @Option(help: "The supervisor's X25519 private key (a bundle sealed to a public key).") var identity: String?
        @Option(help: "Read the passphrase from this file ('-': standard input).") var passphraseFile: String?
        @Option(help: "Configuration file.") var config: String?

        func run() throws {
            let configuration = try ToolConfiguration.load(config)
            guard let data = FileManager.default.contents(atPath: from) else {
                FileHandle.standardError.write(Data("stationd: keys.file_access: cannot read \(from)\n".utf8))
                throw ExitCode(1)
            }
            do {
                let bundle: KeyBundle
                if let identity {
                    guard let key = FileManager.default.contents(atPath: identity) else {
                        throw KeyBundleError(.fileAccess, "cannot read \(identity)", file: identity)
                    }
                    bundle = try KeyBundle.open(data, identity: key)
                } else {
                    _ = try KeyBundle.envelope(data)
                    let field = SecretField(option: "passphrase", label: .keysInputPassphrase, hidden: true)
                    let passphrase: String
                    do {
                        passphrase =
                            try SecretInput.read(field, argument: nil, file: passphraseFile, prompt: true) ?? ""
                    } catch {
                        FileHandle.standardError.write(Data((error.message(english: false) + "\n").utf8))
                        throw ExitCode.validationFailure
                    }
                    bundle = try KeyBundle.open(data, passphrase: passphrase)
                }
                for (path, outcome) in try KeyRestore.restore(bundle, configuration: configuration) {
                    let key: MessageKey = outcome == .written ? .toolKeysWritten : .toolKeysAlreadyThere
                    print(key.text(.vietnamese, ["path": path]) + " / " + key.text(.english, ["path": path]))
                }
            } catch let error as KeyBundleError {
                let refused = MessageKey.toolKeysRefused
                let code = ["code": error.code.rawValue]
                FileHandle.standardError.write(
                    Data((refused.text(.vietnamese, code) + " / " + refused.text(.english, code) + "\n").utf8))
                FileHandle.standardError.write(Data("stationd: \(error)\n".utf8))
                throw ExitCode(1)
            } catch let error as ExitCode {
                throw error
            } catch {
                FileHandle.standardError.write(Data("stationd: \(error)\n".utf8))
                throw ExitCode(1)
            }
        }
    }

    /// `stationd keys seal-to-tpm [--config F]`.
    struct SealToTPM: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "seal-to-tpm",
            abstract: HelpText.text(.helpDSealToTPM),
            discussion: """
                Seals the store key file (store.key_file) to this machine's TPM 2.0 through tpm2-tools, on the TCTI
                store.tpm_tcti names (empty: /dev/tpmrm0), bound to the PCRs store.tpm_pcrs names (empty: none). The
                sealed file is written beside the old one, proven to unseal and to open the store, audited
                (keys_tpm_seal), then renamed over it: any failure leaves the old file. Back the keys up first
                (stationctl keys backup): a sealed key opens only on this TPM. Refused while a daemon runs on the
                state directory. Exit codes: 0 sealed or already sealed, 1 refused, 78 configuration.
                """)

        @Option(help: "Configuration file.") var config: String?

        func run() throws { try KeysCommand.convert(.sealToTPM, config: config, done: .toolKeysTPMSealed) }
    }

    /// `stationd keys unseal-from-tpm [--config F]`.
    struct UnsealFromTPM: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "unseal-from-tpm",
            abstract: HelpText.text(.helpDUnsealFromTPM),
            discussion: """
                Turns a store key file sealed to the TPM back into the plain file (0600): before moving the store to
                another machine, or before a firmware update when the key is bound to PCRs. Proven to open the store
                and audited (keys_tpm_unseal) before it replaces the sealed file. Set store.tpm = off (or if-present)
                before starting the daemon again. Refused while a daemon runs on the state directory. Exit codes: 0
                unsealed or already plain, 1 refused, 78 configuration.
                """)

        @Option(help: "Configuration file.") var config: String?

        func run() throws { try KeysCommand.convert(.unsealFromTPM, config: config, done: .toolKeysTPMUnsealed) }
    }

    /// Converts, prints the outcome in both languages, or the refusal with its code and what to do.
    static func convert(_ direction: TPMKeyConversion.Direction, config: String?, done: MessageKey) throws {
        let configuration = try ToolConfiguration.load(config)
        let person =
            ProcessInfo.processInfo.environment["SUDO_USER"]
            ?? (getpwuid(getuid()).map { String(cString: $0.pointee.pw_name) } ?? "uid:\(getuid())")
        let path = ["path": configuration.keyFilePath]
        do {
            let outcome = try TPMKeyConversion.convert(
                direction, configuration: configuration, by: person, uid: getuid())
            let key: MessageKey = outcome == .converted ? done : .toolKeysTPMAlready
            print(key.text(.vietnamese, path) + " / " + key.text(.english, path))
        } catch {
            let refused = MessageKey.toolKeysTPMRefused
            let code = ["code": error.code.rawValue]
            FileHandle.standardError.write(
                Data((refused.text(.vietnamese, code) + " / " + refused.text(.english, code) + "\n").utf8))
            FileHandle.standardError.write(Data("stationd: \(error)\n".utf8))
            for line in StartupAdvice.lines(for: error)?.dropFirst() ?? [] {
                FileHandle.standardError.write(Data("stationd: \(line)\n".utf8))
            }
            throw ExitCode(1)
        }
    }
}
