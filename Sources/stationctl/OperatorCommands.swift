import ArgumentParser
import ControlAPI
import Foundation
import Messages
import SecretInput

/// `stationctl operator add|ls|disable`: the officers' records the figures per official and team are counted by.
struct OperatorCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "operator",
        abstract: HelpText.text(.helpCtlOperator),
        subcommands: [OperatorAdd.self, OperatorList.self, OperatorDisable.self])
}

struct OperatorAdd: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "add",
        abstract: HelpText.text(.helpCtlOperatorAdd),
        discussion: """
            ACCOUNT is the officer's local account: the applications they take are recorded under it. The full \
            name is personal data: give it with --name-file FILE, or --name-file - (standard input), or type it at \
            the prompt; it is stored sealed.
            """)
    @OptionGroup var options: GlobalOptions
    @Argument(help: "The officer's local account (user name).") var account: String
    @Option(name: .long, help: "Staff number (số hiệu cán bộ).") var staffNumber: String
    @Option(name: .long, help: ArgumentHelp(SecretField.fullName.argumentHelp("Full name."))) var name: String?
    @Option(name: .long, help: ArgumentHelp(SecretField.fullName.fileHelp)) var nameFile: String?
    @Option(name: .long, help: "Unit (đơn vị).") var unit: String
    @Option(name: .long, help: "Team (tổ công tác).") var team: String
    @Option(name: .long, help: "Commune code (5 digits).") var commune: String

    func run() throws {
        guard let fullName = try options.secret(.fullName, name, file: nameFile, prompt: true) else {
            throw options.failure(SecretInput.missing(.fullName))
        }
        let response = try options.call(
            options.client(), "POST", ControlPaths.operators,
            json: OperatorCreateRequest(
                account: account, staffNumber: staffNumber, fullName: fullName, unit: unit, team: team,
                commune: commune))
        if options.json { return options.printBody(response) }
        let record = try response.decode(OperatorWire.self)
        printLine(
            options.say(
                .ctlOperatorAdded,
                [
                    "account": record.account, "staff": record.staffNumber, "unit": record.unit, "team": record.team,
                    "commune": record.commune,
                ]))
    }
}

struct OperatorList: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ls", abstract: HelpText.text(.helpCtlOperatorList))
    @OptionGroup var options: GlobalOptions

    func run() throws {
        let response = try options.call(options.client(), "GET", ControlPaths.operators)
        if options.json { return options.printBody(response) }
        let records = try response.decode([OperatorWire].self)
        if records.isEmpty { return printLine(options.say(.ctlOperatorNone)) }
        let columns: [MessageKey] = [
            .ctlOperatorColumnAccount, .ctlOperatorColumnStaffNumber, .ctlOperatorColumnFullName,
            .ctlOperatorColumnUnit, .ctlOperatorColumnTeam, .ctlReportColumnCommune, .ctlOperatorColumnState,
        ]
        let header = columns.map { options.say($0) }
        let rows = records.map {
            [
                $0.account, $0.staffNumber, $0.fullName, $0.unit, $0.team, $0.commune,
                $0.disabled
                    ? options.say(.ctlOperatorDisabledBy, ["by": $0.disabledBy ?? "?"])
                    : options.say(.ctlOperatorActive),
            ]
        }
        let widths = header.indices.map { column in
            ([header] + rows).map { TextLayout.displayWidth($0[column]) }.max() ?? 0
        }
        for row in [header] + rows {
            let cells = row.enumerated().map { column, cell in
                cell + String(repeating: " ", count: widths[column] - TextLayout.displayWidth(cell))
            }
            let line = cells.joined(separator: "  ")
            printLine(line.replacingOccurrences(of: "\\s+$", with: "", options: .regularExpression))
        }
    }
}

struct OperatorDisable: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "disable",
        abstract: HelpText.text(.helpCtlOperatorDisable))
    @OptionGroup var options: GlobalOptions
    @Argument(help: "The officer's local account.") var account: String

    func run() throws {
        let response = try options.call(options.client(), "POST", "\(ControlPaths.operators)/\(account)/disable")
        if options.json { return options.printBody(response) }
        printLine(options.say(.ctlOperatorDisabled, ["account": account]))
    }
}
