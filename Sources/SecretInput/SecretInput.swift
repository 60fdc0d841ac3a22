import Foundation
import Messages

#if canImport(Glibc)
    import Glibc
#endif

/// A secret or personal value a command-line tool needs (a CAN, an MRZ, an ID number, a date of birth, a phone
/// number, a free-text note), and how to ask for it.
///
/// Arguments are readable by every local user through `/proc/PID/cmdline` (and `ps`), so each such value can come
/// from `--NAME-file PATH`, `--NAME-file -` (standard input) or a prompt on the terminal; the argument form
/// `--NAME VALUE` stays for scripts and says so in its help.
public struct SecretField: Sendable, Hashable {
    /// The option's long name without dashes: `can` gives `--can` and `--can-file`.
    public let option: String
    /// What the value is: the prompt, and the name in messages about it.
    public let label: Message
    /// Typed characters are not shown (a CAN).
    public let hidden: Bool
    /// The value may span lines (an MRZ): a file or standard input is read whole, not one line.
    public let multiline: Bool

    /// Creates a field.
    public init(option: String, label: MessageKey, hidden: Bool = false, multiline: Bool = false) {
        self.option = option
        self.label = Message(label)
        self.hidden = hidden
        self.multiline = multiline
    }

    /// Help for the argument form: what it is, and the warning that other users can read it.
    public func argumentHelp(_ what: String) -> String {
        "\(what) Visible to other local users via /proc; prefer --\(option)-file."
    }

    /// Help for the file form.
    public var fileHelp: String {
        "Read the \(option) from this file, or from standard input with '-' (one line each, in option order"
            + (multiline ? "; the whole input for this value" : "") + ")."
    }
}

/// Why a secret value could not be read. Stable codes; a catalog message; never the value.
public struct SecretInputError: Error, Sendable, Hashable, CustomStringConvertible {
    /// Stable codes.
    public enum Code: String, Sendable, Hashable {
        /// Both `--NAME` and `--NAME-file` were given.
        case bothForms = "input.both_forms"
        /// The file could not be read.
        case unreadable = "input.unreadable"
        /// The file or standard input held nothing.
        case empty = "input.empty"
        /// Not given, and standard input is not a terminal to ask on.
        case missing = "input.missing"
    }

    /// The code.
    public let code: Code
    /// The option concerned (without dashes).
    public let option: String
    /// What went wrong and what to give instead.
    public let message: Message

    /// Creates an error.
    public init(code: Code, option: String, _ message: Message) {
        self.code = code
        self.option = option
        self.message = message
    }

    /// The message in the chosen language, with the code.
    public func message(english: Bool) -> String {
        message.text(english ? .english : .vietnamese) + " [\(code.rawValue)]"
    }

    public var description: String { message(english: true) }
}

/// The one place tools read a secret or personal value: the argument, a file, standard input (`-`) or a prompt.
///
/// Values read from standard input come one line each in the order the tool reads them (documented in its
/// help), except a multi-line value, which takes the rest of the input. A prompt is shown only when standard
/// input is a terminal; a hidden field turns echo off while it is typed (and back on if the tool is
/// interrupted).
public enum SecretInput {
    /// Reads `field`: from `argument` if given, else from `file` (`-` = standard input; when that is a terminal, as
    /// a prompt), else, when `prompt` is true and standard input is a terminal, by asking. Returns nil when nothing was given and `prompt` is false.
    /// Throws `input.missing` when `prompt` is true but there is no terminal to ask on.
    public static func read(
        _ field: SecretField, argument: String?, file: String?, prompt: Bool = false, english: Bool = false
    ) throws(SecretInputError) -> String? {
        let language: Language = english ? .english : .vietnamese
        if argument != nil && file != nil {
            throw SecretInputError(
                code: .bothForms, option: field.option, Message(.inputBothForms, ["option": field.option]))
        }
        if let argument { return argument }
        if let file {
            let text: String
            if file == "-" && isTerminal && !field.multiline {
                // Standard input is the terminal itself: ask properly (a prompt, and no echo for a hidden field).
                text = ask(field.label.text(language), hidden: field.hidden) ?? ""
            } else if file == "-" {
                text = field.multiline ? readAllStandardInput() : (readLine(strippingNewline: true) ?? "")
            } else {
                guard let data = FileManager.default.contents(atPath: file) else {
                    throw SecretInputError(
                        code: .unreadable, option: field.option,
                        Message(.inputUnreadable, ["option": field.option, "file": file]))
                }
                text = String(decoding: data, as: UTF8.self)
            }
            let value = text.trimmingCharacters(in: .whitespacesAndNewlines)
            guard !value.isEmpty else {
                let source =
                    file == "-"
                    ? Message(.inputEmpty, ["option": field.option], parts: ["file": Message(.inputStandardInput)])
                    : Message(.inputEmpty, ["option": field.option, "file": file])
                throw SecretInputError(code: .empty, option: field.option, source)
            }
            return value
        }
        guard prompt else { return nil }
        guard isTerminal else { throw missing(field) }
        let value = ask(field.label.text(language), hidden: field.hidden)
        guard let value, !value.isEmpty else {
            throw SecretInputError(
                code: .empty, option: field.option, Message(.inputNotEntered, parts: ["field": field.label]))
        }
        return value
    }

    /// Whether a prompt can be shown: standard input is a terminal.
    public static var isTerminal: Bool { isatty(STDIN_FILENO) == 1 }

    /// The error for a value that is needed, not given and cannot be asked for.
    public static func missing(_ field: SecretField) -> SecretInputError {
        SecretInputError(
            code: .missing, option: field.option,
            Message(.inputMissing, ["option": field.option], parts: ["field": field.label]))
    }

    /// Shows `prompt` on standard error and reads one line from the terminal; echo off when `hidden`.
    private static func ask(_ prompt: String, hidden: Bool) -> String? {
        var saved = termios()
        let quiet = hidden && tcgetattr(STDIN_FILENO, &saved) == 0
        if quiet {
            EchoGuard.install(saved)
            var silent = saved
            silent.c_lflag &= ~tcflag_t(ECHO | ECHONL)
            tcsetattr(STDIN_FILENO, TCSAFLUSH, &silent)
        }
        // Echo is off before the prompt shows, so nothing typed after the prompt is ever echoed.
        FileHandle.standardError.write(Data("\(prompt): ".utf8))
        let line = readLine(strippingNewline: true)
        if quiet {
            tcsetattr(STDIN_FILENO, TCSANOW, &saved)  // not FLUSH: keep what was typed ahead for the next prompt
            EchoGuard.remove()
        }
        // The terminal echoed no Enter (hidden), or the prompt went elsewhere (a log): end the prompt's line.
        if quiet || isatty(STDERR_FILENO) != 1 { FileHandle.standardError.write(Data("\n".utf8)) }
        return line?.trimmingCharacters(in: .whitespaces)
    }

    private static func readAllStandardInput() -> String {
        var lines: [String] = []
        while let line = readLine(strippingNewline: false) { lines.append(line) }
        return lines.joined()
    }
}

/// Restores the terminal's echo if the tool is interrupted (Ctrl-C, SIGTERM) while a hidden value is typed.
private enum EchoGuard {
    nonisolated(unsafe) static var saved = termios()
    nonisolated(unsafe) static var previous: [Int32: sighandler_t?] = [:]
    static let signals: [Int32] = [SIGINT, SIGTERM, SIGHUP, SIGQUIT]

    static func install(_ state: termios) {
        saved = state
        for number in signals {
            previous[number] = signal(number) { number in
                tcsetattr(STDIN_FILENO, TCSAFLUSH, &EchoGuard.saved)
                signal(number, SIG_DFL)
                raise(number)
            }
        }
    }

    static func remove() {
        for number in signals { signal(number, previous[number] ?? SIG_DFL) }
        previous.removeAll()
    }
}

extension SecretField {
    /// The card access number printed on the card (a CCCD's: the last 6 digits of the ID number). Never echoed.
    public static let can = SecretField(
        option: "can", label: .inputFieldCAN, hidden: true)
    /// The machine-readable zone (TD1: three lines).
    public static let mrz = SecretField(option: "mrz", label: .inputFieldMRZ, multiline: true)
    /// The 12-digit ID number.
    public static let idNumber = SecretField(option: "id", label: .inputFieldIdNumber)
    /// The date of birth.
    public static let dateOfBirth = SecretField(option: "dob", label: .inputFieldDateOfBirth)
    /// The card's date of expiry (part of the MRZ key).
    public static let dateOfExpiry = SecretField(
        option: "expiry", label: .inputFieldDateOfExpiry)
    /// The citizen's mobile number.
    public static let phone = SecretField(option: "phone", label: .inputFieldPhone)
    /// A free-text note on a hold or cancel (stored sealed).
    public static let note = SecretField(option: "note", label: .inputFieldNote)
    /// An officer's full name (`stationctl operator add`; stored sealed).
    public static let fullName = SecretField(option: "name", label: .inputFieldFullName)
    /// A supervisor's free-text reason for accepting an overridable authenticity verdict (stored sealed).
    public static let overrideReason = SecretField(
        option: "override-reason", label: .inputFieldOverrideReason)
    /// The full name of a citizen without a card (2-in-1 without a card), as on their papers.
    public static let citizenName = SecretField(option: "citizen-name", label: .inputFieldCitizenName)
    /// The date of birth of a citizen without a card, `YYYY-MM-DD`.
    public static let birthDate = SecretField(option: "birth-date", label: .inputFieldBirthDate)
    /// The sex of a citizen without a card, `M` or `F`.
    public static let sex = SecretField(option: "sex", label: .inputFieldSex)
    /// An existing bank account to link (3-in-1, 4-in-1).
    public static let accountNumber = SecretField(option: "account-number", label: .inputFieldAccountNumber)
}
