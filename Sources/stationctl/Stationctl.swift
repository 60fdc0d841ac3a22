import ArgumentParser
import ControlAPI
import Foundation
import Messages
import SecretInput

/// `stationctl`: the operator's command line for the station daemon, over its control socket.
@main
struct Stationctl: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stationctl",
        abstract: HelpText.text(.helpCtlStationctl),
        discussion: """
            Talks to stationd over its control socket (default \(ControlPaths.defaultSocket), or STATIOND_SOCKET).
            Messages are Vietnamese by default (--lang en for English); --json prints the daemon's JSON.
            Exit codes: 0 done, 2 daemon not reachable, 3 not permitted (403), 4 not found (404),
            5 refused in the current state (409), 6 other daemon error, 7 validation problems remain,
            8 `upload --wait` ended offline or failed, or `export` failed, 64 bad arguments, 78 invalid
            configuration.
            """,
        subcommands: [
            StatusCommand.self, DevicesCommand.self, IntakeCommand.self, QueueCommand.self,
            UploadCommand.self, EnrollCommand.self,
            ExportCommand.self, VerifyCommand.self, ReportCommand.self, WatchCommand.self,
            ConfigCommand.self, DoctorCommand.self, SurveyCommand.self, ClientCommand.self, ListenerCommand.self,
            CleansingCommand.self, DeskCommand.self, ListsCommand.self, InvitationsCommand.self,
            OperatorCommand.self, KeysCommand.self, ReceiptCommand.self, BanksCommand.self,
            ExceptionsCommand.self,
        ]
    )
}

/// Exit codes (documented above and in the README).
enum Exit {
    static let unreachable: Int32 = 2
    static let forbidden: Int32 = 3
    static let notFound: Int32 = 4
    static let conflict: Int32 = 5
    static let daemonError: Int32 = 6
    static let problems: Int32 = 7
    /// `upload --wait`: the upload ended offline or failed; `export`: the export failed (the reason code is
    /// printed).
    static let uploadFailed: Int32 = 8
    static let config: Int32 = 78
}

/// Options every command shares.
struct GlobalOptions: ParsableArguments {
    @Option(name: .long, help: "Control socket path.")
    var socket: String =
        ProcessInfo.processInfo.environment["STATIOND_SOCKET"] ?? ControlPaths.defaultSocket

    @Option(name: .long, help: "Language of messages: vi (default) or en.")
    var lang: String = ProcessInfo.processInfo.environment["STATION_LANG"] ?? "vi"

    @Flag(name: .long, help: "Print the daemon's JSON instead of text.")
    var json = false

    var english: Bool { lang.hasPrefix("en") }
    /// The language of text output.
    var language: Language { Language(tag: lang) }
    /// A catalog message in the operator's language.
    func say(_ key: MessageKey, _ arguments: [String: String] = [:]) -> String { key.text(language, arguments) }
    /// The name people read for a wire value (state, verdict, event, bundle).
    func name(_ term: Term, _ value: String) -> String { term.name(value, language) }

    func client() -> ControlClient {
        ControlClient(socketPath: socket, language: english ? "en" : "vi")
    }

    /// Sends a request; on transport failure or an error status prints the message and exits with its code.
    func call(
        _ client: ControlClient, _ method: String, _ path: String, body: Data? = nil,
        contentType: String = "application/json"
    ) throws -> ControlClient.Response {
        let response = try send(client, method, path, body: body, contentType: contentType)
        guard (200..<300).contains(response.status) else { throw report(response) }
        return response
    }

    /// Sends a request and answers whatever the daemon said (an error status too); a daemon that cannot be reached
    /// is said and ends the command (exit 2).
    func send(
        _ client: ControlClient, _ method: String, _ path: String, body: Data? = nil,
        contentType: String = "application/json"
    ) throws -> ControlClient.Response {
        do {
            return try client.request(method, path, body: body, contentType: contentType)
        } catch {
            let message = say(.ctlUnreachable)
            if json {
                printLine(#"{"error":{"code":"control.unreachable","message":"\#(message): \#(error)"}}"#)
            } else {
                FileHandle.standardError.write(Data("\(message): \(error)\n".utf8))
            }
            throw ExitCode(Exit.unreachable)
        }
    }

    /// Prints an error answer (the JSON with --json, else the message, its code and the technical detail) and
    /// gives the exit to throw for its status.
    func report(_ response: ControlClient.Response) -> ExitCode {
        if json {
            printLine(String(decoding: response.body, as: UTF8.self))
        } else {
            explain(response)
        }
        return ExitCode(Self.exitCode(response.status))
    }

    /// Prints an error answer's message, code and technical detail on standard error (the officer reads it).
    func explain(_ response: ControlClient.Response) {
        let detail = response.error
        let line =
            "\(detail?.message ?? "HTTP \(response.status)") [\(detail?.code ?? "http.\(response.status)")]"
        FileHandle.standardError.write(Data((line + "\n").utf8))
        if let technical = detail?.detail {  // which file or field and why, for technicians
            let label = say(.ctlTechnicalDetail)
            FileHandle.standardError.write(Data("\(label): \(technical)\n".utf8))
        }
    }

    func call<T: Encodable>(_ client: ControlClient, _ method: String, _ path: String, json value: T)
        throws
        -> ControlClient.Response
    {
        try call(client, method, path, body: try ControlJSON.encoder().encode(value))
    }

    static func exitCode(_ status: Int) -> Int32 {
        switch status {
        case 403: Exit.forbidden
        case 404: Exit.notFound
        case 409: Exit.conflict
        default: Exit.daemonError
        }
    }

    /// Reads a secret or personal value (`--NAME`, `--NAME-file PATH|-`, or a prompt on a terminal when `prompt`);
    /// a value that cannot be read ends the command with exit 64 and the reason.
    func secret(_ field: SecretField, _ argument: String?, file: String?, prompt: Bool = false) throws -> String? {
        do {
            return try SecretInput.read(field, argument: argument, file: file, prompt: prompt, english: english)
        } catch {
            throw failure(error)
        }
    }

    /// Prints why a value could not be read and gives the exit (64) to throw.
    func failure(_ error: SecretInputError) -> ExitCode {
        FileHandle.standardError.write(Data((error.message(english: english) + "\n").utf8))
        return ExitCode.validationFailure
    }

    /// Prints the raw JSON body (for --json).
    func printBody(_ response: ControlClient.Response) {
        printLine(String(decoding: response.body, as: UTF8.self))
    }

    /// Sends a CSV file people made (a commune survey, an invitation list) to `path`; a file that cannot be read
    /// is said and ends the command (exit 64).
    func postCSVFile(_ file: String, to path: String) throws -> ControlClient.Response {
        guard let data = FileManager.default.contents(atPath: file) else {
            FileHandle.standardError.write(Data((say(.ctlCannotReadFile, ["file": file]) + "\n").utf8))
            throw ExitCode(ExitCode.validationFailure.rawValue)
        }
        return try call(client(), "POST", path, body: data, contentType: "text/csv; charset=utf-8")
    }
}

func printLine(_ text: String) {
    print(text)
    fflush(nil)
}
