import ArgumentParser
import ControlAPI
import Foundation

struct DeskCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "desk", abstract: "Bàn tiếp đón y tế — the health check-in desk.",
        subcommands: [DeskStats.self])
}

struct DeskStats: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stats",
        abstract: "Số lượt tiếp đón theo cách định danh — the day's check-ins by method, % by chip card (target 80 %).")
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
            (options.text("Thẻ chip (quét QR)", "Chip card (QR)"), stats.chipVerified),
            (options.text("Thẻ chip (nhập CAN/MRZ)", "Chip card (typed CAN/MRZ)"), stats.typed),
            (options.text("Chỉ mã QR", "QR only"), stats.qrOnly),
            (options.text("Từ chối / chuyển", "Refused"), stats.refused),
            (options.text("Tổng", "Total"), stats.total),
        ]
        printLine(options.text("Ngày \(stats.date)", "Day \(stats.date)"))
        for (name, count) in rows { printLine(name.padding(toLength: 28, withPad: " ", startingAt: 0) + "\(count)") }
        let target = Int(stats.targetPercent)
        guard let share = stats.percentByChip else {
            return printLine(options.text("Chưa có lượt tiếp đón.", "No check-ins."))
        }
        let met = share >= stats.targetPercent
        printLine(
            options.text(
                "Định danh bằng thẻ chip: \(percent) % (chỉ tiêu \(target) %: \(met ? "đạt" : "chưa đạt"))",
                "Identified by chip card: \(percent) % (target \(target) %: \(met ? "met" : "not met"))"))
    }
}
