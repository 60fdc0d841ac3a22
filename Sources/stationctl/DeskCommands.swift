import ArgumentParser
import ControlAPI
import Foundation
import Messages

struct DeskCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "desk", abstract: HelpText.text(.helpCtlDesk),
        subcommands: [DeskStats.self])
}

struct DeskStats: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stats",
        abstract: HelpText.text(.helpCtlDeskStats))
    @OptionGroup var options: GlobalOptions
    @Option(help: "The day (YYYY-MM-DD, Vietnam); default today.") var date: String?
    @Option(help: "table (default), csv or json.") var format: String = "table"

    func run() throws {
        guard ["table", "csv", "json"].contains(format) else {
            FileHandle.standardError.write(Data("--format: table, csv, json\n".utf8))
            throw ExitCode(ExitCode.validationFailure.rawValue)
        }
        let response = try options.call(
            options.client(), "GET", ControlPaths.deskStats + (date.map { "?date=" + $0 } ?? ""))
        if options.json || format == "json" { return options.printBody(response) }
        let stats = try response.decode(DeskStatsWire.self)
        let percent = stats.percentByChip.map { String(format: "%.1f", $0) } ?? ""
        if format == "csv" {
            printLine("date,chip_verified,qr_only,typed,refused,total,percent_by_chip,target_percent")
            printLine(
                "\(stats.date),\(stats.chipVerified),\(stats.qrOnly),\(stats.typed),\(stats.refused),\(stats.total),"
                    + "\(percent),\(Int(stats.targetPercent))")
            return
        }
        let rows = [
            (options.say(.ctlDeskChipByQR), stats.chipVerified),
            (options.say(.ctlDeskChipTyped), stats.typed),
            (options.say(.ctlDeskQROnly), stats.qrOnly),
            (options.say(.ctlDeskRefused), stats.refused),
            (options.say(.ctlTotal), stats.total),
        ]
        printLine(options.say(.ctlDeskDay, ["date": stats.date]))
        for (name, count) in rows { printLine(name.padding(toLength: 28, withPad: " ", startingAt: 0) + "\(count)") }
        let target = Int(stats.targetPercent)
        guard let share = stats.percentByChip else {
            return printLine(options.say(.ctlDeskNone))
        }
        let met = share >= stats.targetPercent
        printLine(
            options.say(met ? .ctlDeskShareMet : .ctlDeskShareNotMet, ["percent": percent, "target": "\(target)"]))
    }
}
