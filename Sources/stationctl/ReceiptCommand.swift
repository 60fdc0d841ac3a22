import ArgumentParser
import ControlAPI
import Foundation
import Messages

/// `stationctl receipt REF`: the citizen's receipt (`GET /v1/queue/{ref}/receipt`, audited by the daemon) as a
/// self-contained HTML page, a PDF (the report's Chromium printing), or sent to a CUPS printer with `lp`.
struct ReceiptCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "receipt", abstract: HelpText.text(.helpCtlReceipt),
        discussion: """
            The receipt of one application, by its short reference (K7M2-QX4G) or id: the reference and its QR
            code, the citizen's name, the date, the services, what happens next and how to activate VNeID
            (Vietnamese; --lang en for English). For the officer who took the application, or a supervisor; each
            receipt is recorded in the audit log. --format html (default) writes the page to the terminal or to
            --out; --format pdf prints it through Chromium (needs --out or --print). --print sends the PDF to
            CUPS with lp, to --printer or the station's receipt.printer. Files are 0600: they carry the name.
            """)
    @OptionGroup var options: GlobalOptions
    @Argument(help: "Short reference (K7M2-QX4G) or application id.") var application: String
    @Option(help: "html (default) or pdf.") var format: ReceiptFormat = .html
    @Option(help: "Write the receipt to this file (0600).") var out: String?
    @Flag(name: .customLong("print"), help: "Send the receipt to the printer through CUPS (lp).") var sendToPrinter =
        false
    @Option(help: "CUPS printer name (default: receipt.printer in the station's configuration).") var printer: String?

    func validate() throws {
        guard format == .html || out != nil || sendToPrinter else {
            throw ValidationError(options.say(.ctlReceiptNeedsOut))
        }
    }

    func run() throws {
        let response = try options.call(
            options.client(), "GET", "\(ControlPaths.queue)/\(QueuePath.segment(application))/receipt")
        if options.json { return options.printBody(response) }
        let receipt = try response.decode(ApplicationReceiptWire.self)
        // Before anything is written: can it be printed at all?
        var destination: (lp: String, printer: String)?
        if sendToPrinter {
            guard let lp = LinePrinter.command() else { return try fail(options.say(.ctlReceiptNoLp)) }
            guard let name = (printer ?? receipt.printer).flatMap({ $0.isEmpty ? nil : $0 }) else {
                return try fail(options.say(.ctlReceiptNoPrinter))
            }
            destination = (lp, name)
        }
        let page = ReceiptHTML.page(receipt, language: options.language)
        if format == .html {
            if let out {
                guard OutputFile.write(Data(page.utf8), to: out, mode: 0o600) else {
                    return try fail(options.say(.ctlCannotWriteFile, ["file": out]))
                }
                FileHandle.standardError.write(Data((options.say(.ctlFileWritten, ["file": out]) + "\n").utf8))
            } else if destination == nil {
                FileHandle.standardOutput.write(Data(page.utf8))
            }
        }
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("stationctl-receipt-\(UUID())")
        defer { try? FileManager.default.removeItem(at: folder) }
        var pdf: String?
        if format == .pdf, let out {
            try ReportPDF.print(page, to: out, mode: 0o600, options: options)
            pdf = out
        } else if destination != nil {
            try FileManager.default.createDirectory(
                at: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            let file = folder.appendingPathComponent("receipt-\(receipt.reference).pdf").path
            try ReportPDF.print(page, to: file, mode: 0o600, options: options, announce: false)
            pdf = file
        }
        if let destination, let pdf {
            let status = LinePrinter.send(
                pdf, lp: destination.lp, printer: destination.printer, title: receipt.reference)
            guard status == 0 else {
                return try fail(
                    options.say(.ctlReceiptPrintFailed, ["printer": destination.printer, "status": "\(status)"]))
            }
            printLine(
                options.say(.ctlReceiptPrinted, ["reference": receipt.reference, "printer": destination.printer]))
        }
    }

    private func fail(_ message: String) throws {
        FileHandle.standardError.write(Data((message + "\n").utf8))
        throw ExitCode.failure
    }
}

/// `--format`.
enum ReceiptFormat: String, ExpressibleByArgument {
    case html, pdf
}

/// CUPS's `lp`, found on `PATH`; the PDF goes by path, the title is the reference (no personal data on argv).
enum LinePrinter {
    /// The `lp` executable on `PATH`, nil when CUPS's client is not installed.
    static func command() -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        return path.split(separator: ":").map { "\($0)/lp" }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// Runs `lp -d PRINTER -t TITLE -- FILE`; its exit status.
    static func send(_ file: String, lp: String, printer: String, title: String) -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: lp)
        process.arguments = ["-d", printer, "-t", title, "--", file]
        process.standardOutput = FileHandle.nullDevice
        do {
            try process.run()
        } catch {
            return 127
        }
        process.waitUntilExit()
        return process.terminationStatus
    }
}
