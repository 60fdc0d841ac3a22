import ArgumentParser
import Foundation
import Logging
import Messages

/// `stationd`: the station daemon and its by-hand tools.
@main
struct Stationd: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stationd",
        abstract: HelpText.text(.helpDStationd),
        discussion: """
            The daemon:
              run                   run the station (systemd Type=notify; control socket for stationctl)
              store reinitialize    a new empty store after a lost or damaged one (supervisor, daemon stopped)

            Tools that talk to the devices directly (no daemon needed):
              readers               list card readers and the cards in them
              events                watch reader and card events
              card read             read a CCCD chip (PACE/BAC) and show the identity
              card apdu             send APDUs to a card (technicians)
              fingerprint list      list fingerprint modules
              fingerprint capture   capture a fingerprint with quality and advice
              lds verify            check a folder of LDS files (Passive Authentication)
              simulate card         run a simulated card behind the vpcd virtual reader
            """,
        subcommands: [
            ReadersCommand.self, EventsCommand.self, CardCommand.self, FingerprintCommand.self, LDSCommand.self,
            SimulateCommand.self, DaemonCommand.self, StoreCommand.self, KeysCommand.self,
            PasswordHelperCommand.self,
        ]
    )
}

/// Options every human-facing command shares.
struct OutputOptions: ParsableArguments {
    @Option(name: .long, help: "Language of messages: vi (default) or en.")
    var lang: String = ProcessInfo.processInfo.environment["STATION_LANG"] ?? "vi"

    @Flag(name: .long, help: "Print JSON (one object per line for streams) instead of text.")
    var json = false

    /// The language of text output.
    var language: Language { Language(tag: lang) }
    /// A catalog message in the operator's language.
    func say(_ key: MessageKey, _ arguments: [String: String] = [:]) -> String { key.text(language, arguments) }
}

/// Exit codes of the by-hand tools (documented in the README).
enum ExitStatus {
    /// A device or service error (message printed).
    static let deviceError: Int32 = 2
    /// The card answered with an error status.
    static let cardStatus: Int32 = 3
}

/// Prints one JSON object on a line.
func printJSON(_ object: [String: Any]) {
    if let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes]) {
        print(String(decoding: data, as: UTF8.self))
    }
}

/// Logging for the by-hand tools: to stderr, errors only unless `STATION_LOG_LEVEL` says otherwise (an operator
/// reads the tool's own message; the technical log is there for technicians). The daemon (`stationd run`)
/// bootstraps its own journald-style logging instead. Logs never carry card data or biometrics.
func bootstrapToolLogging() {
    let level = ProcessInfo.processInfo.environment["STATION_LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:)) ?? .error
    LoggingSystem.bootstrap { label in
        var handler = StreamLogHandler.standardError(label: label)
        handler.logLevel = level
        return handler
    }
}
