import ArgumentParser
import ControlAPI
import Foundation
import Messages
import SecretInput

struct StatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status", abstract: HelpText.text(.helpCtlStatus))
    @OptionGroup var options: GlobalOptions

    func run() throws {
        let response = try options.call(options.client(), "GET", ControlPaths.status)
        if options.json { return options.printBody(response) }
        let status = try response.decode(StationStatus.self)
        printLine(
            options.say(
                .ctlStatusHeader,
                ["version": status.version, "profile": status.profile, "uptime": "\(status.uptimeSeconds)"]))
        printLine(
            options.say(
                .ctlStatusPcsc, ["state": status.devices.pcscAvailable ? "OK" : options.say(.ctlStatusPcscUnavailable)])
        )
        for reader in status.devices.readers {
            printLine(
                options.say(
                    .ctlStatusReader,
                    ["name": reader.name, "card": options.say(reader.cardPresent ? .ctlCardPresent : .ctlNoCard)]))
        }
        for scanner in status.devices.fingerprintScanners {
            printLine(options.say(.ctlStatusScanner, ["id": scanner.id, "name": scanner.name]))
        }
        let counts = status.queue.byState.filter { $0.value > 0 }.sorted { $0.key < $1.key }
            .map { "\(options.name(.localState, $0.key)) \($0.value)" }.joined(separator: ", ")
        printLine(
            options.say(
                .ctlStatusQueue, ["total": "\(status.queue.total)", "counts": counts.isEmpty ? "" : " (\(counts))"]))
        let lastSync = status.uplink.lastSyncAt.map { TextLayout.localTime($0) } ?? options.say(.ctlNever)
        printLine(
            options.say(
                .ctlStatusUpload,
                [
                    "state": status.uplink.configured
                        ? options.name(.uploadState, status.uplink.state) : options.say(.ctlNotConfigured)
                ])
                + (status.uplink.configured ? options.say(.ctlStatusLastSync, ["time": lastSync]) : ""))
        if status.uplink.configured {
            let anchored = status.uplink.auditAnchoredAt.map {
                TextLayout.localTime($0) + " (#\(status.uplink.auditAnchoredSequence ?? 0))"
            }
            printLine(options.say(.ctlStatusAuditAnchor, ["value": anchored ?? options.say(.ctlNever)]))
            if let verified = status.uplink.chipVerified {
                printLine(
                    options.say(
                        .ctlStatusChipEvidence,
                        ["verified": "\(verified)", "rejected": "\(status.uplink.chipEvidenceRejected ?? 0)"])
                        + (status.uplink.chipPassiveOnly.map {
                            options.say(.ctlStatusChipPassiveOnly, ["count": "\($0)"])
                        } ?? ""))
            }
            if let refused = status.uplink.masterListRefused {
                printLine(options.say(.ctlStatusMasterListRefused, ["reason": refused]))
            }
            if let error = status.uplink.lastError {
                printLine(options.say(.ctlStatusLastError, ["error": error]))
            }
            if let stall = status.uplink.stall { printLine(stall.line(options.language)) }
            if let reports = status.reports { printLine(Self.reportLine(reports, options)) }
        }
        if status.freezeRules.isEmpty {
            printLine(options.say(.ctlStatusFreezeNone))
        } else {
            let rules = status.freezeRules.map { code in
                MessageKey(rawValue: code + ".advice").map { options.say($0) } ?? code
            }
            printLine(options.say(.ctlStatusFrozen, ["rules": rules.joined(separator: "; ")]))
        }
        printLine(
            options.say(.ctlStatusTrust, ["count": "\(status.trustAnchors)"])
                + (status.trustAnchors == 0 ? options.say(.ctlStatusTrustNone) : ""))
        for source in status.trustSources ?? [] {
            let origin =
                source.origin == .central
                ? options.say(.ctlStatusTrustFromCentral) : options.say(.ctlStatusTrustConfigured)
            let certificates: String = source.certificates.map { " — \($0) CSCA" } ?? ""
            let countries: String = source.countries.map { " (\($0.joined(separator: ", ")))" } ?? ""
            let installed: String =
                source.installedAt.map { options.say(.ctlStatusTrustInstalled, ["time": TextLayout.localTime($0)]) }
                ?? ""
            printLine("  \(origin): \(source.name)" + certificates + countries + installed)
        }
        printLine(
            options.say(
                .ctlStatusSession,
                [
                    "state": status.intake.active
                        ? options.name(.sessionState, status.intake.state ?? "?") : options.say(.ctlNone)
                ]))
        if !status.storeConsistent {
            printLine(options.say(.ctlStatusStoreBroken))
        }
    }

    /// Whether today's report for the central left, in the catalog's words.
    static func reportLine(_ reports: ReportSendingStatus, _ options: GlobalOptions) -> String {
        let date = reports.date
        switch reports.state {
        case .notDue:
            return options.say(.ctlStatusReportNotDue, ["date": date, "time": reports.dailyAt])
        case .waiting:
            return options.say(.ctlStatusReportWaiting, ["date": date, "count": "\(max(1, reports.waiting))"])
        case .sent:
            return options.say(
                .ctlStatusReportSent, ["date": date, "time": reports.sentAt.map { TextLayout.localTime($0) } ?? "?"])
        case .refused:
            return options.say(.ctlStatusReportRefused, ["date": date, "code": reports.refused ?? "?"])
        }
    }
}

struct DevicesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "devices",
        abstract: HelpText.text(.helpCtlDevices))
    @OptionGroup var options: GlobalOptions

    func run() throws {
        let client = options.client()
        let readers = try options.call(client, "GET", ControlPaths.readers)
        let scanners = try options.call(client, "GET", ControlPaths.fingerprint)
        if options.json {
            printLine(
                #"{"readers":\#(String(decoding: readers.body, as: UTF8.self)),"#
                    + #""fingerprint":\#(String(decoding: scanners.body, as: UTF8.self))}"#
            )
            return
        }
        let readerList = try readers.decode([ReaderInfo].self)
        printLine(options.say(.ctlDevicesReaders, ["count": "\(readerList.count)"]))
        for reader in readerList {
            printLine("  \(reader.name)  " + options.say(reader.cardPresent ? .ctlCardPresent : .ctlEmpty))
        }
        let scannerList = try scanners.decode([ScannerInfo].self)
        printLine(options.say(.ctlDevicesScanners, ["count": "\(scannerList.count)"]))
        for scanner in scannerList { printLine("  \(scanner.id)  \(scanner.name) (\(scanner.driver))") }
    }
}

struct UploadCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "upload", abstract: HelpText.text(.helpCtlUpload))
    @OptionGroup var options: GlobalOptions
    @Flag(help: "Wait and show progress until the upload ends.") var wait = false
    @Flag(help: "Only show the upload state.") var status = false

    func run() throws {
        let client = options.client()
        if !status {
            let started = try options.call(client, "POST", ControlPaths.upload, body: Data("{}".utf8))
            if options.json && !wait { return options.printBody(started) }
        }
        var progress = ProgressLine()
        repeat {
            let response = try options.call(client, "GET", ControlPaths.upload)
            let state = try response.decode(UploadStatus.self)
            if options.json {
                options.printBody(response)
            } else {
                // Once the run is over (idle again) the bar shows it complete; offline/failed keep what was done.
                let finished = wait && state.state == "idle"
                let fraction = finished ? 1 : state.progress ?? 0
                let counts = state.total.map { " \(state.sent ?? 0)/\($0)" } ?? ""
                let label = finished ? options.say(.ctlUploadDone) : options.name(.uploadState, state.state)
                // A stall is said, not hidden behind a bar at 0 %: since when nothing went and when the next try is.
                let stall = state.stall.map { " — " + $0.line(options.language) } ?? ""
                progress.show(ProgressLine.bar(fraction) + "\(counts) \(label)\(stall)")
            }
            if !wait || state.state != "uploading" {
                if !options.json { progress.end() }
                // A script must be able to trust the exit code: a waited-for upload that did not end idle failed.
                if wait && state.state != "idle" {
                    let line = options.say(
                        .ctlUploadFailed,
                        ["state": options.name(.uploadState, state.state), "error": state.lastError ?? ""])
                    FileHandle.standardError.write(Data((line + "\n").utf8))
                    throw ExitCode(Exit.uploadFailed)
                }
                break
            }
            Thread.sleep(forTimeInterval: 0.5)
        } while true
    }
}

struct EnrollCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "enroll",
        abstract: HelpText.text(.helpCtlEnroll))
    @OptionGroup var options: GlobalOptions
    @Option(help: "The fingerprint the central printed (64 hex digits; spaces and colons ignored).")
    var centralFingerprint: String
    @Option(help: "One-time enrollment token (default: uplink.token of the configuration).") var token: String?
    @Flag(help: "A supervisor confirms that the central's keys changed.") var acceptKeyChange = false
    @Option(
        help: """
            Enroll without a connection from the central's provisioning file (central-receiver provision): its keys \
            are pinned once the fingerprint matches; the station's key is registered at the first connection.
            """)
    var fromFile: String?

    func run() throws {
        var provisioning: String?
        if let fromFile {
            guard let data = FileManager.default.contents(atPath: fromFile) else {
                FileHandle.standardError.write(
                    Data((options.say(.ctlEnrollFileUnreadable, ["path": fromFile]) + "\n").utf8))
                throw ExitCode.validationFailure
            }
            provisioning = String(decoding: data, as: UTF8.self)
        }
        let response = try options.call(
            options.client(), "POST", ControlPaths.enroll,
            json: EnrollRequest(
                centralFingerprint: centralFingerprint, token: token, acceptKeyChange: acceptKeyChange ? true : nil,
                provisioning: provisioning))
        if options.json { return options.printBody(response) }
        let result = try response.decode(EnrollResult.self)
        printLine(
            options.say(.ctlEnrolled, ["station": result.stationID, "fingerprint": result.centralFingerprint]))
        if let file = result.provisioningFileID {
            printLine(
                options.say(
                    .ctlEnrollFromFileWriteDown,
                    ["station": result.stationID, "file": file, "fingerprint": result.centralFingerprint]))
        }
    }
}

struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: HelpText.text(.helpCtlExport),
        discussion: """
            Writes every ready application, sealed and signed as for upload, to a folder per batch under --to (the
            mounted USB stick); shows a progress line while it writes, then what it wrote (applications, files,
            bytes, folders). --json prints the finished job's JSON instead (GET /v1/export). Exit 0 when written
            (applications that could not be packaged are counted and moved to needs attention), 8 when the export
            failed (what was written before stays), 5 when another export is running.
            """)
    @OptionGroup var options: GlobalOptions
    @Option(help: "Target directory (absolute path on the removable medium).") var to: String

    func run() throws {
        let client = options.client()
        let started = try options.call(client, "POST", ControlPaths.export, json: ["to": to])
        let job = try started.decode(JobAccepted.self)
        var progress = ProgressLine()
        while true {
            let response = try options.call(client, "GET", job.poll)
            let status = try response.decode(ExportStatus.self)
            let figures = [
                "items": "\(status.items)", "total": "\(status.total)", "files": "\(status.files)",
                "size": ExportStatus.size(status.bytes, options.language), "destination": status.destination ?? to,
                "failed": "\(status.failed)", "code": status.error ?? "", "message": status.message ?? "",
            ]
            if status.state == .exporting && status.id == job.id {
                // Nothing to say until the ready applications are counted.
                if (!options.json || progress.terminal) && status.total + status.files > 0 {
                    progress.show(ProgressLine.bar(status.fraction) + " " + options.say(.ctlExportProgress, figures))
                }
                Thread.sleep(forTimeInterval: 0.2)
                continue
            }
            progress.end()
            if options.json {
                options.printBody(response)
            } else if status.state == .done {
                printLine(options.say(.ctlExportDone, figures))
                for folder in status.folders { printLine("  " + folder) }
                if status.failed > 0 { printLine(options.say(.ctlExportFailedItems, figures)) }
            }
            if status.state == .failed {
                if !options.json {
                    FileHandle.standardError.write(Data((options.say(.ctlExportFailed, figures) + "\n").utf8))
                }
                throw ExitCode(Exit.uploadFailed)
            }
            return
        }
    }
}

/// The one progress line of `upload --wait` and `export` on standard error: redrawn in place on a terminal, one
/// line per change otherwise (a log, a test).
struct ProgressLine {
    /// Standard error is a terminal.
    let terminal = isatty(STDERR_FILENO) != 0
    private var shown: String?

    /// `[██████░░░░] 60%`: a bar of `fraction` (0…1).
    static func bar(_ fraction: Double, width: Int = 30) -> String {
        let fraction = min(1, max(0, fraction))
        let filled = Int(fraction * Double(width))
        return "[" + String(repeating: "█", count: filled) + String(repeating: "░", count: width - filled) + "] "
            + "\(Int(fraction * 100))%"
    }

    /// Shows `text` (a terminal: in place of the last one; otherwise on a line of its own when it changed).
    mutating func show(_ text: String) {
        if terminal {
            FileHandle.standardError.write(Data("\r\(text)\u{1B}[K".utf8))
        } else if text != shown {
            FileHandle.standardError.write(Data("\(text)\n".utf8))
        }
        shown = text
    }

    /// Ends the line on a terminal.
    mutating func end() {
        if terminal, shown != nil { FileHandle.standardError.write(Data("\n".utf8)) }
        shown = nil
    }
}

struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: HelpText.text(.helpCtlReport),
        discussion: """
            daily: one Vietnamese day (Asia/Ho_Chi_Minh, whatever the machine's zone). weekly: the 7 days ending on
            the Friday on or after --date (Saturday to Friday). campaign: from the first configured phase's first day
            through --date (quota.phases). --table seed (default): the seed's table as at the end of the period;
            --table intake: applications taken in the period; --table officers and --table teams: those applications
            per official and per team (by the authenticated operator recorded on each, joined to `stationctl
            operator` records; accounts with no record under "(chưa đăng ký)"), against quota.officer_daily and
            quota.team_daily when set; --table bundles, priority, points: applications taken by service bundle,
            priority group and kind of registration point, with the activations C06 reported in the period;
            --table rejections: C06's rejections in the period by reason; --table attention: on hold or needing
            attention now; --table refusals: citizens recorded not yet eligible or ineligible, by reason; --table
            phases: every campaign phase against its target; --table hamlets: applications taken per commune and
            hamlet (the intake session's; "(không rõ thôn)" when none was recorded). --format csv writes UTF-8 with BOM for Excel; --format
            json everything; --format html writes one self-contained page (the seed's table, the campaign, the
            teams and officers, the breakdowns and the last 14 days, charts drawn in the page, no script, no
            network), readable offline in any browser; --format pdf prints that page through Chromium (needs the
            chromium package and --out). --out FILE writes to a file instead of the terminal.
            """)
    @OptionGroup var options: GlobalOptions
    @Argument(help: "daily, weekly or campaign") var period: String
    @Option(help: "Day (YYYY-MM-DD), default today.") var date: String?
    @Option(help: "table (default), json, csv, html or pdf.") var format: String = "table"
    @Option(
        help: ArgumentHelp(
            "seed (default), intake, officers, teams, bundles, priority, points, rejections, attention, refusals, "
                + "phases or hamlets.")) var table: String = "seed"
    @Option(help: "Write the report to this file.") var out: String?

    func validate() throws {
        guard ["daily", "weekly", "campaign"].contains(period) else {
            throw ValidationError(options.say(.ctlReportBadPeriod))
        }
        guard ["table", "json", "csv", "html", "pdf"].contains(format) else {
            throw ValidationError(options.say(.ctlReportBadFormat))
        }
        guard format != "pdf" || out != nil else { throw ValidationError(options.say(.ctlReportPdfNeedsOut)) }
        guard BreakdownTableText.tables.contains(table) else {
            throw ValidationError(options.say(.ctlReportBadTable))
        }
    }

    func run() throws {
        let path = "\(ControlPaths.reports)/\(period)" + (date.map { "?date=\($0)" } ?? "")
        let response = try options.call(options.client(), "GET", path)
        if options.json || format == "json" { return try emit(response.body + Data("\n".utf8)) }
        let report = try response.decode(ReportWire.self)
        if period == "campaign" && (report.phases ?? []).isEmpty {
            FileHandle.standardError.write(Data((options.say(.reportNoCampaign) + "\n").utf8))
            throw ExitCode.failure
        }
        if format == "html" || format == "pdf" {
            let page = ReportHTML.page(
                report, station: ProcessInfo.processInfo.hostName, madeAt: Date(),
                language: options.english ? .english : .vietnamese)
            if format == "html" { return try emit(Data(page.utf8)) }
            return try ReportPDF.print(page, to: out ?? "", options: options)
        }
        if table == "seed" {
            let lines = report.seedTable ?? []
            if format == "csv" { return try emit(SeedTableText.csv(lines)) }
            let title = self.title(report)
            let campaign = report.campaign.map { "\n" + $0.summary(options.language) } ?? ""
            return try emit(
                Data((title + "\n" + SeedTableText.table(lines, language: options.language) + campaign + "\n").utf8))
        }
        let language = options.language
        let chosen: (name: MessageKey, header: [String], rows: [[String]], firstNumber: Int)
        switch table {
        case "officers":
            let (header, rows) = OfficerTableText.officers(report.officers ?? [], language: language)
            chosen = (.reportHtmlOfficersTitle, header, rows, 4)
        case "teams":
            let (header, rows) = OfficerTableText.teams(report.teams ?? [], language: language)
            chosen = (.reportHtmlTeamsTitle, header, rows, 2)
        case "bundles":
            let (header, rows) = BreakdownTableText.lines(
                report.bundles ?? [], term: .bundle, first: .reportColumnBundle, language: language)
            chosen = (.reportHtmlBundlesTitle, header, rows, 1)
        case "priority":
            let (header, rows) = BreakdownTableText.lines(
                report.priorityGroups ?? [], term: .priorityGroup, first: .reportColumnPriorityGroup,
                language: language)
            chosen = (.reportHtmlPriorityTitle, header, rows, 1)
        case "points":
            let (header, rows) = BreakdownTableText.lines(
                report.points ?? [], term: nil, first: .reportColumnPoint, language: language)
            chosen = (.reportHtmlPointsTitle, header, rows, 1)
        case "rejections":
            let (header, rows) = BreakdownTableText.counts(
                report.rejections ?? [], term: nil, first: .reportColumnRejectionReason, language: language)
            chosen = (.reportHtmlRejectionsTitle, header, rows, 1)
        case "attention":
            let (header, rows) = BreakdownTableText.counts(
                report.attention ?? [], term: .localState, first: .reportColumnState, language: language)
            chosen = (.reportHtmlAttentionTitle, header, rows, 1)
        case "refusals":
            let (header, rows) = BreakdownTableText.refusals(report.refusals ?? [], language: language)
            chosen = (.reportHtmlRefusalsTitle, header, rows, 2)
        case "phases":
            let (header, rows) = BreakdownTableText.phases(report.phases ?? [], language: language)
            chosen = (.reportHtmlPhasesTitle, header, rows, 3)
        case "hamlets":
            let (header, rows) = BreakdownTableText.hamlets(report.hamlets ?? [], language: language)
            chosen = (.reportHtmlHamletsTitle, header, rows, 2)
        default:
            let columns: [MessageKey] = [
                .ctlReportColumnCommune, .ctlReportColumnTaken, .ctlReportColumnPending, .ctlReportColumnAccepted,
                .ctlReportColumnActivated, .ctlReportColumnRejected,
            ]
            let header = columns.map { options.say($0) }
            let rows = report.lines.map {
                [$0.communeCode, "\($0.taken)", "\($0.pending)", "\($0.accepted)", "\($0.activated)", "\($0.rejected)"]
            }
            if format == "csv" { return try emit(OfficerTableText.csv(header, rows)) }
            let body = TextLayout.table(header: header, rows: rows, rightAligned: Set(1..<columns.count))
            return try emit(Data((title(report) + "\n" + body + "\n").utf8))
        }
        let (name, header, rows, firstNumber) = chosen
        if format == "csv" { return try emit(OfficerTableText.csv(header, rows)) }
        let dates = [
            "period": options.say(ReportHTML.periodName(report.period)), "from": report.from, "through": report.through,
        ]
        let title =
            switch table {
            case "officers": options.say(.ctlReportOfficersTitle, dates)
            case "teams": options.say(.ctlReportTeamsTitle, dates)
            default: options.say(.reportTableTitle, dates.merging(["table": options.say(name)]) { $1 })
            }
        let body = OfficerTableText.table(header, rows, firstNumber: firstNumber, language: language)
        try emit(Data((title + "\n" + body + "\n").utf8))
    }

    /// `Báo cáo ngày 2026-11-23…2026-11-23`.
    private func title(_ report: ReportWire) -> String {
        options.say(
            .ctlReportTitle,
            [
                "period": options.say(ReportHTML.periodName(report.period)), "from": report.from,
                "through": report.through,
            ])
    }

    /// To the terminal, or to `--out` (0644: figures, no personal data).
    private func emit(_ data: Data) throws {
        guard let out else {
            FileHandle.standardOutput.write(data)
            return
        }
        do {
            try data.write(to: URL(fileURLWithPath: out), options: .atomic)
        } catch {
            FileHandle.standardError.write(
                Data((options.say(.ctlCannotWriteFile, ["file": out]) + ": \(error)\n").utf8))
            throw ExitCode.failure
        }
        FileHandle.standardError.write(Data((options.say(.ctlFileWritten, ["file": out]) + "\n").utf8))
    }
}

struct WatchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "watch", abstract: HelpText.text(.helpCtlWatch)
    )
    @OptionGroup var options: GlobalOptions
    @Option(help: "Stop after this many events.") var count: Int?

    func run() throws {
        var seen = 0
        let client = options.client()
        let status: Int
        do {
            status = try client.events { type, data in
                if options.json {
                    printLine(data)
                } else if let event = try? ControlJSON.decoder().decode(
                    StationEvent.self, from: Data(data.utf8))
                {
                    printLine(Self.line(event, type: type, options))
                }
                seen += 1
                return count.map { seen < $0 } ?? true
            }
        } catch {
            FileHandle.standardError.write(
                Data("\(options.say(.ctlWatchLost)): \(error)\n".utf8))
            throw ExitCode(Exit.unreachable)
        }
        if status != 200 { throw ExitCode(GlobalOptions.exitCode(status)) }
    }

    /// One event as a person reads it: local time, the event's name, the reader, the state's name, the id; a
    /// capture attempt as its finger by name, the attempt, the quality and the advice.
    static func line(_ event: StationEvent, type: String, _ options: GlobalOptions) -> String {
        let state = event.state.map { state in
            switch type {
            case "intake.state": options.name(.sessionState, state)
            case "upload.progress": options.name(.uploadState, state)
            case "queue.changed": options.name(.localState, state)
            case "intake.finger": options.name(.finger, state)
            case "verify.done", "patient.verified": options.name(.verdict, state)
            case "intake.notice": options.name(.notice, state)
            default: state
            }
        }
        let detail =
            event.captureAttemptText(options.language)
            ?? [event.reader, state, event.applicationID].compactMap { $0 }.joined(separator: " ")
        return "\(TextLayout.localTime(event.at, seconds: true)) \(options.name(.event, type)) \(detail)"
    }
}

struct VerifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: HelpText.text(.helpCtlVerify),
        discussion: """
            Đặt thẻ lên đầu đọc. Mở chip bằng mã QR của thẻ (--qr-file, không cần gõ), CAN (6 số cuối số định danh) \
            hoặc MRZ; không có gì thì hỏi CAN (không hiện ký tự). '-' đọc từ đầu vào chuẩn. Dạng --qr/--can/--mrz chỉ \
            dành cho script: người dùng khác đọc được qua /proc.
            Place the card on the reader. The chip is opened with the card's QR code (--qr-file), the CAN or the MRZ;
            with none the CAN is asked for without echo. Exit 0 accept, 1 refer.
            """)
    @OptionGroup var options: GlobalOptions
    static let qrField = SecretField(option: "qr", label: .inputFieldQR)
    @Option(help: ArgumentHelp(Self.qrField.argumentHelp("The card's QR code as scanned."))) var qr: String?
    @Option(help: ArgumentHelp(Self.qrField.fileHelp)) var qrFile: String?
    @Option(help: ArgumentHelp(SecretField.can.argumentHelp("CAN (6 digits)."))) var can: String?
    @Option(help: ArgumentHelp(SecretField.can.fileHelp)) var canFile: String?
    @Option(help: ArgumentHelp(SecretField.mrz.argumentHelp("MRZ text."))) var mrz: String?
    @Option(help: ArgumentHelp(SecretField.mrz.fileHelp)) var mrzFile: String?
    @Option(help: "Reader name.") var reader: String?
    @Option(help: "Lưu ảnh chân dung trong chip (JPEG) vào tệp này — save the chip's portrait (JPEG) here.")
    var photo: String?
    @Option(help: "Chờ đặt thẻ tối đa số giây này — wait this long for a card (0–60).") var wait: Double = 0

    func run() throws {
        let qrValue = try options.secret(Self.qrField, qr, file: qrFile)
        let mrzValue = qrValue == nil ? try options.secret(.mrz, mrz, file: mrzFile) : nil
        let canValue =
            qrValue == nil ? try options.secret(.can, can, file: canFile, prompt: mrzValue == nil) : nil
        let response = try options.call(
            options.client(), "POST", ControlPaths.verify,
            json: DeskVerifyRequest(
                qr: qrValue, can: canValue, mrz: mrzValue, reader: reader, portrait: photo != nil, waitSeconds: wait))
        if options.json { return options.printBody(response) }
        let result = try response.decode(PatientVerification.self)
        if let photo, let jpeg = result.portraitJPEG.flatMap({ Data(base64Encoded: $0) }) {
            if !FileManager.default.createFile(atPath: photo, contents: jpeg, attributes: [.posixPermissions: 0o600]) {
                FileHandle.standardError.write(
                    Data((options.say(.ctlVerifyPhotoNotWritten, ["file": photo]) + "\n").utf8))
            }
        }
        let sex =
            result.sex == "M" ? options.say(.ctlVerifyMale) : result.sex == "F" ? options.say(.ctlVerifyFemale) : "-"
        printLine(options.say(.ctlVerifyVerdict, ["verdict": options.name(.verdict, result.verdict)]))
        // The daemon sends the reason in both languages (`reason.vi`, `reason.en`); pick the operator's.
        printLine("  \(options.language == .english ? result.reason.en : result.reason.vi)")
        printLine(options.say(.ctlQueueIdNumber, ["value": result.idNumber]))
        printLine(options.say(.ctlVerifyFullName, ["value": result.fullName]))
        printLine(options.say(.ctlVerifyBirthAndSex, ["date": result.dateOfBirth, "sex": sex]))
        if let residence = result.residence { printLine(options.say(.ctlVerifyResidence, ["value": residence])) }
        let expiry = result.expiryDate ?? options.say(.ctlVerifyNoExpiry)
        printLine(
            options.say(.ctlVerifyValidUntil, ["value": expiry])
                + (result.expired ? options.say(.ctlExpired) : ""))
        printLine(options.say(.ctlQueueAuthenticity, ["value": options.name(.authenticity, result.authenticity)]))
        if let check = result.qrCheck {
            printLine(
                check.consistent
                    ? options.say(.ctlVerifyQRMatches)
                    : options.say(.ctlVerifyQRMismatch, ["fields": check.mismatches.joined(separator: ", ")]))
        }
        let insurance = result.insurance
        let status: String =
            switch insurance.status {
            case "valid":
                insurance.validTo.map { options.say(.ctlVerifyInsuranceValidUntil, ["date": $0]) }
                    ?? options.say(.ctlVerifyInsuranceValid)
            case "expired":
                insurance.validTo.map { options.say(.ctlVerifyInsuranceExpiredOn, ["date": $0]) }
                    ?? options.say(.ctlVerifyInsuranceExpired)
            case "notFound": options.say(.ctlVerifyInsuranceNotFound)
            case "off": options.say(.ctlNotConfigured)
            default: options.say(.ctlVerifyInsuranceUnknown)
            }
        printLine(options.say(.ctlVerifyInsurance, ["status": status]))
        printLine(options.say(.ctlVerifyCardReadTime, ["ms": String(format: "%.0f", result.timings.cardMs)]))
        if result.verdict != "accept" { throw ExitCode(1) }
    }
}

struct ConfigCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "config", abstract: HelpText.text(.helpCtlConfig),
        subcommands: [ConfigCheckCommand.self])
}

struct ConfigCheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: HelpText.text(.helpCtlConfigCheck))
    @Argument(help: "Configuration file.") var file: String = "/etc/stationd/stationd.conf"
    @Option(help: "Path of the stationd binary.") var stationd: String?

    func run() throws {
        let sibling = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
            .appendingPathComponent("stationd").path
        let binary =
            stationd
            ?? (FileManager.default.isExecutableFile(atPath: sibling) ? sibling : "/usr/bin/stationd")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = ["run", "--check-config", "--config", file]
        try process.run()
        process.waitUntilExit()
        if process.terminationStatus != 0 { throw ExitCode(Exit.config) }
    }
}
