import ArgumentParser
import ControlAPI
import Foundation
import Messages

/// `stationctl lists refusals|awaiting-activation|absent`: the door-to-door lists (`GET /v1/lists/{list}`).
struct ListsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lists",
        abstract: HelpText.text(.helpCtlLists),
        discussion: """
            refusals: citizens recorded as not yet eligible or ineligible (latest record each) with no live \
            application since: class, reason, the local authority's confirmation, the officer's note.
            awaiting-activation: applications the central approved that the citizen has not activated, with the \
            phone number and the days waiting, counted to today.
            absent: citizens on an imported invitation list (stationctl invitations import), invited on or before \
            today, who never came (no live application, no refusal recorded).
            Names, ID numbers and phone numbers in full: supervisors only, and every view is recorded in the audit \
            log. Rows are grouped by commune and hamlet ("(no hamlet)" where none was recorded). --format csv \
            writes UTF-8 with BOM so Excel opens it; --out writes the file 0600.
            """)
    @OptionGroup var options: GlobalOptions
    @Argument(help: "refusals, awaiting-activation or absent.") var list: String
    @Option(help: "Only this commune (5-digit code).") var commune: String?
    @Option(help: "Only this hamlet (exact name; \"\" for rows without one).") var hamlet: String?
    @Option(help: "table (default), csv or json.") var format: String = "table"
    @Option(help: "Write to this file (0600) instead of standard output.") var out: String?

    func validate() throws {
        guard DoorListText.lists.contains(list) else {
            throw ValidationError(
                options.say(.listsUnknown, ["lists": DoorListText.lists.joined(separator: ", ")]))
        }
        guard ["table", "csv", "json"].contains(format) else { throw ValidationError(options.say(.listsBadFormat)) }
    }

    func run() throws {
        var query = ["format=" + (format == "csv" ? "csv" : "json")]
        if let commune { query.append("commune=" + Self.encoded(commune)) }
        if let hamlet { query.append("hamlet=" + Self.encoded(hamlet)) }
        let path = ControlPaths.lists + "/" + list + "?" + query.joined(separator: "&")
        let response = try options.call(options.client(), "GET", path)
        let data: Data
        if format == "csv" {
            data = response.body
        } else if options.json || format == "json" {
            data = response.body + Data("\n".utf8)
        } else {
            let wire = try response.decode(DoorListWire.self)
            data = Data((DoorListText.table(wire, language: options.language) + "\n").utf8)
        }
        guard let out else {
            FileHandle.standardOutput.write(data)
            return
        }
        guard OutputFile.write(data, to: out, mode: 0o600) else {
            FileHandle.standardError.write(Data((options.say(.ctlCannotWriteFile, ["file": out]) + "\n").utf8))
            throw ExitCode(ExitCode.validationFailure.rawValue)
        }
        let rows: Int
        if format == "csv" {
            // Lines less the header.
            rows = data.reduce(0) { $0 + ($1 == 0x0A ? 1 : 0) } - 1
        } else {
            rows = try response.decode(DoorListWire.self).rows.count
        }
        printLine(options.say(.ctlListsWritten, ["rows": "\(rows)", "file": out]))
    }

    /// A query value percent-encoded (a hamlet's name has spaces and diacritics).
    static func encoded(_ value: String) -> String {
        value.addingPercentEncoding(withAllowedCharacters: unreserved) ?? value
    }

    /// RFC 3986's unreserved characters: everything else is percent-encoded.
    static let unreserved = CharacterSet(
        charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZ" + "abcdefghijklmnopqrstuvwxyz" + "0123456789-._~")
}

/// `stationctl invitations import FILE`: a hamlet's invitation list (`POST /v1/invitations`).
struct InvitationsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "invitations", abstract: HelpText.text(.helpCtlInvitations),
        subcommands: [InvitationsImport.self])
}

struct InvitationsImport: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: HelpText.text(.helpCtlInvitationsImport),
        discussion: """
            UTF-8 (with or without BOM), header exactly
            commune_code,hamlet,id_number,full_name,invited_day
            one row per citizen (a file may hold several hamlets and days); id_number has 12 digits, invited_day is
            YYYY-MM-DD. A list is (commune, hamlet, day): importing it again replaces it. A file with any problem
            (a wrong header, an ID number that is not 12 digits, a citizen twice, a Windows-1258 file) is refused
            whole, each problem given by line and column; nothing is imported. The station keeps the ID number as
            its keyed hash with the number and name encrypted. Supervisors only.
            """)
    @OptionGroup var options: GlobalOptions
    @Argument(help: "The CSV file.") var file: String

    func run() throws {
        let response = try options.postCSVFile(file, to: ControlPaths.invitations)
        if options.json { return options.printBody(response) }
        let outcome = try response.decode(InvitationImportWire.self)
        printLine(
            options.say(
                .ctlInvitationsImported,
                [
                    "citizens": "\(outcome.citizens)", "lists": "\(outcome.lists)",
                    "replaced": "\(outcome.replaced)",
                ]))
    }
}
