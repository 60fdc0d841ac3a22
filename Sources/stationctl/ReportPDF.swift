import ArgumentParser
import Foundation
import Messages

/// `stationctl report --format pdf` and `stationctl receipt --format pdf|--print`: an HTML page printed to PDF by
/// Debian's Chromium (headless), so the PDF is exactly the page a supervisor opens in a browser. The page goes to a private temporary folder (0700),
/// never through a command line; Chromium runs with its own throw-away profile there.
enum ReportPDF {
    static let chromium = "/usr/bin/chromium"

    /// Prints `page` to the PDF file `out`, created with `mode`; says so on standard error unless `announce` is
    /// false.
    static func print(
        _ page: String, to out: String, mode: mode_t = 0o644, options: GlobalOptions, announce: Bool = true
    ) throws {
        guard FileManager.default.isExecutableFile(atPath: chromium) else {
            FileHandle.standardError.write(Data((options.say(.reportPdfNeedsChromium) + "\n").utf8))
            throw ExitCode.failure
        }
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("stationctl-report-\(UUID())")
        try FileManager.default.createDirectory(
            at: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        defer { try? FileManager.default.removeItem(at: folder) }
        let html = folder.appendingPathComponent("report.html")
        try Data(page.utf8).write(to: html)
        // Chromium prints into the private folder; the file is then written with its mode from the first byte.
        let target = folder.appendingPathComponent("page.pdf")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: chromium)
        process.arguments =
            [
                "--headless=new", "--disable-gpu", "--no-first-run", "--disable-extensions", "--no-pdf-header-footer",
                "--user-data-dir=\(folder.appendingPathComponent("profile").path)",
                "--print-to-pdf=\(target.path)", html.absoluteString,
            ] + (getuid() == 0 ? ["--no-sandbox"] : [])
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        let deadline = Date().addingTimeInterval(90)
        while process.isRunning, Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
        let written = (try? Data(contentsOf: target)) ?? Data()
        guard process.terminationStatus == 0, written.starts(with: Data("%PDF".utf8)) else {
            FileHandle.standardError.write(
                Data((options.say(.reportPdfFailed, ["status": "\(process.terminationStatus)"]) + "\n").utf8))
            throw ExitCode.failure
        }
        guard OutputFile.write(written, to: out, mode: mode) else {
            FileHandle.standardError.write(Data((options.say(.ctlCannotWriteFile, ["file": out]) + "\n").utf8))
            throw ExitCode.failure
        }
        if announce { FileHandle.standardError.write(Data((options.say(.ctlFileWritten, ["file": out]) + "\n").utf8)) }
    }
}
