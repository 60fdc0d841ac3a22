import ArgumentParser
import ControlAPI
import Foundation
import Messages
import SecretInput

#if canImport(Glibc)
    import Glibc
#endif

extension SecretField {
    /// The passphrase a key backup is sealed to. Never echoed.
    static let keysPassphrase = SecretField(option: "passphrase", label: .keysInputPassphrase, hidden: true)
    /// The same, typed a second time.
    static let keysPassphraseAgain = SecretField(
        option: "passphrase", label: .keysInputPassphraseAgain, hidden: true)
}

/// `stationctl keys`: the station's key files (supervisors).
struct KeysCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keys",
        abstract: HelpText.text(.helpCtlKeys),
        subcommands: [Backup.self, Rotate.self, Rotation.self])

    /// `stationctl keys backup --to DIR [--passphrase-file F | --recipient FILE]`.
    struct Backup: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "backup",
            abstract: HelpText.text(.helpCtlBackup),
            discussion: """
                The daemon seals the key files its configuration names (store key, audit key, the station's signing
                key and enrollment, the listener's TLS key and certificate: those that exist) into one bundle,
                encrypted to a passphrase (asked twice without echo, or --passphrase-file) or to a supervisor's X25519
                public key (--recipient, PEM or base64). Written 0600 as DIR/stationd-keys-STATION-DATE.bundle.
                Restore with `stationd keys restore --from FILE` (daemon stopped). No key is ever printed.
                """)
        @OptionGroup var options: GlobalOptions
        @Option(help: "Folder to write the bundle to (removable media).") var to: String
        @Option(help: "Read the passphrase from this file ('-': standard input).") var passphraseFile: String?
        @Option(help: "Seal to this X25519 public key file (PEM or base64) instead of a passphrase.")
        var recipient: String?

        func validate() throws {
            guard passphraseFile == nil || recipient == nil else {
                throw ValidationError(options.say(.keysBackupOneProtection))
            }
        }

        func run() throws {
            var request = KeysBackupRequest()
            if let recipient {
                guard let data = FileManager.default.contents(atPath: recipient) else {
                    throw ValidationError(options.say(.ctlKeysCannotWrite, ["path": recipient]))
                }
                request.recipient = String(decoding: data, as: UTF8.self)
            } else {
                let first = try options.secret(.keysPassphrase, nil, file: passphraseFile, prompt: true) ?? ""
                if passphraseFile == nil {
                    let second = try options.secret(.keysPassphraseAgain, nil, file: nil, prompt: true) ?? ""
                    guard first == second else {
                        FileHandle.standardError.write(Data((options.say(.ctlKeysPassphraseMismatch) + "\n").utf8))
                        throw ExitCode.validationFailure
                    }
                }
                request.passphrase = first
            }
            let response = try options.call(options.client(), "POST", ControlPaths.keysBackup, json: request)
            let answer = try ControlJSON.decoder().decode(KeysBackupWire.self, from: response.body)
            guard let bundle = Data(base64Encoded: answer.bundle) else { throw ExitCode(Exit.daemonError) }
            let formatter = DateFormatter()
            formatter.dateFormat = "yyyyMMdd-HHmmss"
            formatter.timeZone = TimeZone(identifier: "Asia/Ho_Chi_Minh")
            let safeStation = String(answer.station.map { $0.isLetter || $0.isNumber || $0 == "-" ? $0 : "_" })
            let path = (to as NSString).appendingPathComponent(
                "stationd-keys-\(safeStation)-\(formatter.string(from: Date())).bundle")
            guard Self.write(bundle, to: path) else {
                FileHandle.standardError.write(Data((options.say(.ctlKeysCannotWrite, ["path": path]) + "\n").utf8))
                throw ExitCode(Exit.daemonError)
            }
            if options.json {
                var shown = answer
                shown.bundle = path
                printLine(String(decoding: try ControlJSON.encoder().encode(shown), as: UTF8.self))
                return
            }
            printLine(options.say(.ctlKeysWritten, ["path": path]))
            printLine(options.say(.ctlKeysContents, ["roles": answer.roles.joined(separator: ", ")]))
            printLine(
                options.say(
                    .ctlKeysWriteDown,
                    ["station": answer.station, "date": answer.createdAt, "sha256": answer.sha256]))
            if let fingerprint = answer.recipientFingerprint {
                printLine(options.say(.ctlKeysRecipientNote, ["fingerprint": fingerprint]))
            } else {
                printLine(options.say(.ctlKeysPassphraseNote))
            }
        }

        /// A new file, 0600 from its first byte, fsynced; an existing file is never replaced.
        static func write(_ data: Data, to path: String) -> Bool {
            let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
            guard fd >= 0 else { return false }
            let written = data.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
            let synced = fsync(fd)
            close(fd)
            guard written == data.count, synced == 0 else {
                unlink(path)
                return false
            }
            return true
        }
    }
}
