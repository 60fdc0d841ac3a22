import Foundation

/// The command-line tools' help (`--help`, the man pages) in the operator's language: English when the command line
/// holds `--lang en` (or `--lang=en`) or `STATION_LANG` names English, Vietnamese otherwise. The help is built
/// before the arguments are parsed, so the language is read from the raw command line.
public enum HelpText {
    /// The language of the help, fixed for the process.
    public static let language: Language = {
        let arguments = CommandLine.arguments
        for (index, argument) in arguments.enumerated() {
            if argument.hasPrefix("--lang=") { return Language(tag: String(argument.dropFirst("--lang=".count))) }
            if argument == "--lang", index + 1 < arguments.count { return Language(tag: arguments[index + 1]) }
        }
        return Language(tag: ProcessInfo.processInfo.environment["STATION_LANG"] ?? "vi")
    }()

    /// A command's one-line summary.
    public static func text(_ key: MessageKey) -> String { key.text(language) }
}
