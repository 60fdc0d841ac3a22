import ArgumentParser
import ControlAPI
import Foundation
import Messages

struct CleansingCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cleansing",
        abstract: HelpText.text(.helpCtlCleansing),
        subcommands: [CleansingExport.self])
}

struct CleansingExport: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: HelpText.text(.helpCtlCleansingExport),
        discussion: """
            One line per case where the insurance record and the chip disagree, recorded once at the desk:
            ngay,so_dinh_danh,ma_the_bhyt,truong,gia_tri_bhxh,gia_tri_chip,phu_luc,doi_tuong
            (phu_luc: the appendix of Công văn 1102/CV-TCTTKĐA — Phụ lục 01 no ID number, Phụ lục 02 ID number
            not matching; doi_tuong: the participant group where the station knows it). UTF-8 with BOM, so Excel
            opens it. The file holds personal data: --out writes it 0600.
            """)
    @OptionGroup var options: GlobalOptions
    @Option(help: "Entries recorded on this day (YYYY-MM-DD, Vietnam) or later; default today.") var since: String?
    @Option(help: "Write the CSV to this file (0600) instead of standard output.") var out: String?

    func run() throws {
        var path = ControlPaths.cleansing
        if let since { path += "?since=" + since }
        let response = try options.call(options.client(), "GET", path)
        guard let out else {
            FileHandle.standardOutput.write(response.body)
            return
        }
        guard OutputFile.write(response.body, to: out, mode: 0o600) else {
            FileHandle.standardError.write(
                Data((options.say(.ctlCannotWriteFile, ["file": out]) + "\n").utf8))
            throw ExitCode(ExitCode.validationFailure.rawValue)
        }
        // Lines less the header and the last line end.
        let lines = response.body.reduce(0) { $0 + ($1 == 0x0A ? 1 : 0) } - 1
        printLine(options.say(.ctlCleansingWritten, ["lines": "\(lines)", "file": out]))
    }
}
