import ArgumentParser
import ControlAPI
import Foundation
import Messages

extension KeysCommand {
    /// `stationctl keys rotate [--no-wait]`: a new store key, older data re-sealed, the old key destroyed.
    struct Rotate: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "rotate",
            abstract: HelpText.text(.helpCtlRotate),
            discussion: """
                The daemon adds a new store key and seals new data under it at once, re-seals every older value
                (applications, eligibility, cleansing, operators' names, audit notes) in the background, then destroys
                the old key. Without --no-wait this command shows the progress until the old key is destroyed; the
                work goes on in the daemon (also across a restart) if the command is stopped. Key backups made before
                a rotation are stale: back up again (stationctl keys backup). Exit 5 while a rotation is running.
                """)
        @OptionGroup var options: GlobalOptions
        @Flag(help: "Start the rotation and return; see progress with stationctl keys rotation.") var noWait = false

        func run() throws {
            let client = options.client()
            let response = try options.call(client, "POST", ControlPaths.keysRotate, body: Data("{}".utf8))
            var status = try ControlJSON.decoder().decode(KeysRotationWire.self, from: response.body)
            if options.json && noWait { return options.printBody(response) }
            if !options.json { printLine(options.say(.ctlKeysRotateStarted, ["key": "\(status.currentKey)"])) }
            if noWait {
                printLine(options.say(.ctlKeysRotateProgress, Self.figures(status)))
                printLine(options.say(.ctlKeysRotateBackground))
                printLine(options.say(.ctlKeysBackupStale))
                return
            }
            var shown = ""
            while status.state != "idle" {
                let line = options.say(.ctlKeysRotateProgress, Self.figures(status))
                if !options.json && line != shown {
                    printLine(line)
                    shown = line
                }
                Thread.sleep(forTimeInterval: 0.5)
                let next = try options.call(client, "GET", ControlPaths.keysRotate)
                status = try ControlJSON.decoder().decode(KeysRotationWire.self, from: next.body)
            }
            if options.json {
                printLine(String(decoding: try ControlJSON.encoder().encode(status), as: UTF8.self))
                return
            }
            printLine(Self.done(status, options))
            printLine(options.say(.ctlKeysBackupStale))
        }

        static func figures(_ status: KeysRotationWire) -> [String: String] {
            ["remaining": "\(status.remainingTotal)", "resealed": "\(status.resealed)"]
        }

        static func done(_ status: KeysRotationWire, _ options: GlobalOptions) -> String {
            options.say(
                .ctlKeysRotateDone,
                [
                    "destroyed": status.destroyed.isEmpty
                        ? "—" : status.destroyed.map { "k\($0)" }.joined(separator: ", "),
                    "key": "\(status.currentKey)",
                ])
        }
    }

    /// `stationctl keys rotation`: where the store key's rotation stands.
    struct Rotation: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "rotation",
            abstract: HelpText.text(.helpCtlRotation),
            discussion: """
                Prints the current store key, what is still sealed under an older key, and whether the last key backup
                was made before the last rotation (then it is stale: back up again). --json prints the daemon's answer.
                """)
        @OptionGroup var options: GlobalOptions

        func run() throws {
            let response = try options.call(options.client(), "GET", ControlPaths.keysRotate)
            if options.json { return options.printBody(response) }
            let status = try ControlJSON.decoder().decode(KeysRotationWire.self, from: response.body)
            switch status.state {
            case "idle":
                printLine(options.say(.ctlKeysRotateIdle, ["key": "\(status.currentKey)"]))
            default:
                printLine(options.say(.ctlKeysRotateProgress, Rotate.figures(status)))
                if let code = status.lastError { printLine(options.say(.ctlKeysRotateFailed, ["code": code])) }
            }
            if status.backupStale { printLine(options.say(.ctlKeysBackupStale)) }
        }
    }
}
