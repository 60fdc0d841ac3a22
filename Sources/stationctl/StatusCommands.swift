import ArgumentParser
import ControlAPI
import Foundation
import SecretInput

struct StatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status", abstract: "Tình trạng trạm — station status: devices, queue, upload.")
    @OptionGroup var options: GlobalOptions

    func run() throws {
        let response = try options.call(options.client(), "GET", ControlPaths.status)
        if options.json { return options.printBody(response) }
        let status = try response.decode(StationStatus.self)
        let t = options.text
        printLine(
            "stationd \(status.version) — \(t("chế độ", "profile")) \(status.profile), "
                + "\(t("chạy được", "up")) \(status.uptimeSeconds) s")
        printLine(
            "\(t("PC/SC", "PC/SC")): \(status.devices.pcscAvailable ? "OK" : t("không kết nối", "unavailable"))"
        )
        for reader in status.devices.readers {
            printLine(
                "  \(t("Đầu đọc", "Reader")): \(reader.name) — "
                    + (reader.cardPresent ? t("có thẻ", "card present") : t("không có thẻ", "no card")))
        }
        for scanner in status.devices.fingerprintScanners {
            printLine("  \(t("Máy quét vân tay", "Fingerprint scanner")): \(scanner.id) \(scanner.name)")
        }
        let counts = status.queue.byState.filter { $0.value > 0 }.sorted { $0.key < $1.key }
            .map { "\($0.key) \($0.value)" }.joined(separator: ", ")
        printLine(
            "\(t("Hàng đợi", "Queue")): \(status.queue.total) \(t("hồ sơ", "applications"))"
                + (counts.isEmpty ? "" : " (\(counts))"))
        printLine(
            "\(t("Truyền lên", "Upload")): "
                + (status.uplink.configured ? status.uplink.state : t("chưa cấu hình", "not configured"))
                + (status.uplink.configured
                    ? ", " + t("đồng bộ lần cuối", "last sync") + " "
                        + (status.uplink.lastSyncAt.map(Self.localTime) ?? t("chưa bao giờ", "never")) : ""))
        if status.uplink.configured {
            printLine(
                "\(t("Nhật ký neo tại trung tâm", "Audit head anchored at the central")): "
                    + (status.uplink.auditAnchoredAt.map {
                        Self.localTime($0) + " (#\(status.uplink.auditAnchoredSequence ?? 0))"
                    } ?? t("chưa bao giờ", "never")))
            if let error = status.uplink.lastError {
                printLine("\(t("Lỗi truyền lên gần nhất", "Last upload error")): \(error)")
            }
        }
        if status.freezeRules.isEmpty {
            printLine("\(t("Quy tắc ngừng tiếp nhận", "Freeze rules")): \(t("không vi phạm", "none broken"))")
        } else {
            printLine(
                "\(t("NGỪNG TIẾP NHẬN", "INTAKE FROZEN")): "
                    + status.freezeRules.map { Self.freezeAdvice($0, t) }.joined(separator: "; "))
        }
        printLine(
            "\(t("CSCA tin cậy", "Trusted CSCAs")): \(status.trustAnchors)"
                + (status.trustAnchors == 0
                    ? t(" (chưa cài: thẻ chỉ xác minh được dữ liệu và chữ ký)",
                        " (none installed: cards prove data and signature only)") : ""))
        printLine(
            "\(t("Phiên tiếp nhận", "Intake session")): "
                + (status.intake.active ? status.intake.state ?? "?" : t("không có", "none")))
        if !status.storeConsistent {
            printLine(t("CẢNH BÁO: chuỗi nhật ký kho hồ sơ bị hỏng — báo kỹ thuật viên.",
                        "WARNING: the store's audit chain is broken — call a technician."))
        }
    }

    /// `2026-11-23 14:05` in Vietnam time (UTC+7, the station's legal time).
    static func localTime(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "Asia/Ho_Chi_Minh")
        formatter.dateFormat = "yyyy-MM-dd HH:mm"
        return formatter.string(from: date)
    }

    /// What a broken freeze rule means for the operator, and what to do.
    static func freezeAdvice(_ code: String, _ t: (String, String) -> String) -> String {
        switch code {
        case "freeze.no_sync":
            t("quá lâu chưa đồng bộ với trung tâm — kết nối mạng rồi chạy `stationctl upload`",
              "too long without a sync with the central — connect and run `stationctl upload`")
        case "freeze.too_many_pending":
            t("quá nhiều hồ sơ chưa gửi — chạy `stationctl upload` hoặc `stationctl export --to USB`",
              "too many applications not sent — run `stationctl upload` or `stationctl export --to USB`")
        case "freeze.low_disk":
            t("ổ đĩa sắp đầy — gửi/xuất hồ sơ rồi báo kỹ thuật viên", "disk almost full — upload/export, then call a technician")
        default: code
        }
    }
}

struct DevicesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "devices",
        abstract: "Đầu đọc thẻ và máy quét vân tay — readers and fingerprint scanners.")
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
        let t = options.text
        let readerList = try readers.decode([ReaderInfo].self)
        printLine(t("Đầu đọc thẻ", "Card readers") + ": \(readerList.count)")
        for reader in readerList {
            printLine(
                "  \(reader.name)\t"
                    + (reader.cardPresent ? t("có thẻ", "card present") : t("trống", "empty")))
        }
        let scannerList = try scanners.decode([ScannerInfo].self)
        printLine(t("Máy quét vân tay", "Fingerprint scanners") + ": \(scannerList.count)")
        for scanner in scannerList { printLine("  \(scanner.id)\t\(scanner.name) (\(scanner.driver))") }
    }
}

struct UploadCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "upload", abstract: "Truyền hồ sơ lên trung tâm — upload ready applications now.")
    @OptionGroup var options: GlobalOptions
    @Flag(help: "Wait and show progress until the upload ends.") var wait = false
    @Flag(help: "Only show the upload state.") var status = false

    func run() throws {
        let client = options.client()
        if !status {
            let started = try options.call(client, "POST", ControlPaths.upload, body: Data("{}".utf8))
            if options.json && !wait { return options.printBody(started) }
        }
        repeat {
            let response = try options.call(client, "GET", ControlPaths.upload)
            let state = try response.decode(UploadStatus.self)
            if options.json {
                options.printBody(response)
            } else {
                // Once the run is over (idle again) the bar shows it complete; offline/failed keep what was done.
                let finished = wait && state.state == "idle"
                let progress = finished ? 1 : state.progress ?? 0
                let width = 30
                let filled = Int(progress * Double(width))
                let bar =
                    String(repeating: "█", count: filled) + String(repeating: "░", count: width - filled)
                let counts = state.total.map { " \(state.sent ?? 0)/\($0)" } ?? ""
                let label = finished ? options.text("xong", "done") : state.state
                FileHandle.standardError.write(
                    Data("\r[\(bar)] \(Int(progress * 100))%\(counts) \(label)".utf8))
            }
            if !wait || state.state != "uploading" {
                if !options.json { FileHandle.standardError.write(Data("\n".utf8)) }
                // A script must be able to trust the exit code: a waited-for upload that did not end idle failed.
                if wait && state.state != "idle" {
                    FileHandle.standardError.write(
                        Data(
                            (options.text("Truyền lên không thành công", "The upload did not succeed")
                                + ": \(state.state) \(state.lastError ?? "")\n").utf8))
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
        abstract:
            "Đăng ký trạm với trung tâm sau khi xác nhận dấu vân khóa — enroll with the central once its key "
            + "fingerprint is confirmed (supervisors).")
    @OptionGroup var options: GlobalOptions
    @Option(help: "The fingerprint the central printed (64 hex digits; spaces and colons ignored).")
    var centralFingerprint: String
    @Option(help: "One-time enrollment token (default: uplink.token of the configuration).") var token: String?
    @Flag(help: "A supervisor confirms that the central's keys changed.") var acceptKeyChange = false

    func run() throws {
        let response = try options.call(
            options.client(), "POST", ControlPaths.enroll,
            json: EnrollRequest(
                centralFingerprint: centralFingerprint, token: token, acceptKeyChange: acceptKeyChange ? true : nil))
        if options.json { return options.printBody(response) }
        let result = try response.decode(EnrollResult.self)
        printLine(
            options.text("Đã đăng ký", "Enrolled") + " \(result.stationID); "
                + options.text("khóa trung tâm đã ghi nhận", "central keys pinned") + ": \(result.centralFingerprint)")
    }
}

struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Xuất hồ sơ ra thiết bị lưu trữ — export to removable media (supervisors).")
    @OptionGroup var options: GlobalOptions
    @Option(help: "Target directory.") var to: String

    func run() throws {
        let body = try JSONSerialization.data(withJSONObject: ["to": to])
        let response = try options.call(options.client(), "POST", ControlPaths.export, body: body)
        options.printBody(response)
    }
}

struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Báo cáo ngày/tuần — daily or weekly report: the seed's table per commune, or the intake counts.",
        discussion: """
            daily: one Vietnamese day (Asia/Ho_Chi_Minh, whatever the machine's zone). weekly: the 7 days ending on
            the Friday on or after --date (Saturday to Friday). --table seed (default): the seed's table as at the
            end of the period; --table intake: applications taken in the period; --table officers and --table
            teams: those applications per official and per team (by the authenticated operator recorded on each,
            joined to `stationctl operator` records; accounts with no record under "(chưa đăng ký)"). --format csv
            writes UTF-8 with BOM for Excel; --out FILE writes to a file instead of the terminal.
            """)
    @OptionGroup var options: GlobalOptions
    @Argument(help: "daily or weekly") var period: String
    @Option(help: "Day (YYYY-MM-DD), default today.") var date: String?
    @Option(help: "table (default), json or csv.") var format: String = "table"
    @Option(help: "seed (default), intake, officers or teams.") var table: String = "seed"
    @Option(help: "Write the report to this file.") var out: String?

    func validate() throws {
        guard ["daily", "weekly"].contains(period) else {
            throw ValidationError("period must be daily or weekly")
        }
        guard ["table", "json", "csv"].contains(format) else {
            throw ValidationError("--format must be table, json or csv")
        }
        guard ["seed", "intake", "officers", "teams"].contains(table) else {
            throw ValidationError("--table must be seed, intake, officers or teams")
        }
    }

    func run() throws {
        let path = "\(ControlPaths.reports)/\(period)" + (date.map { "?date=\($0)" } ?? "")
        let response = try options.call(options.client(), "GET", path)
        if options.json || format == "json" { return try emit(response.body + Data("\n".utf8)) }
        let report = try response.decode(ReportWire.self)
        let t = options.text
        if table == "seed" {
            let lines = report.seedTable ?? []
            if format == "csv" { return try emit(SeedTableText.csv(lines)) }
            let title = t(
                "Báo cáo \(period == "daily" ? "ngày" : "tuần") \(report.from)…\(report.through)",
                "Report \(report.period) \(report.from)…\(report.through)")
            let campaign = report.campaign.map { "\n" + $0.summary(english: options.english) } ?? ""
            return try emit(
                Data((title + "\n" + SeedTableText.table(lines, english: options.english) + campaign + "\n").utf8))
        }
        if table == "officers" || table == "teams" {
            let (header, rows) =
                table == "officers"
                ? OfficerTableText.officers(report.officers ?? [], english: options.english)
                : OfficerTableText.teams(report.teams ?? [], english: options.english)
            if format == "csv" { return try emit(OfficerTableText.csv(header, rows)) }
            let title = t(
                "Báo cáo \(period == "daily" ? "ngày" : "tuần") \(report.from)…\(report.through) theo "
                    + (table == "officers" ? "cán bộ" : "tổ"),
                "Report \(report.period) \(report.from)…\(report.through) by "
                    + (table == "officers" ? "official" : "team"))
            let body = OfficerTableText.table(
                header, rows, firstNumber: table == "officers" ? 4 : 2, english: options.english)
            return try emit(Data((title + "\n" + body + "\n").utf8))
        }
        let header =
            options.english
            ? ["Commune", "Taken", "Pending", "Accepted", "Activated", "Rejected"]
            : ["Xã", "Tiếp nhận", "Chờ", "Duyệt", "Kích hoạt", "Từ chối"]
        let rows = report.lines.map {
            [$0.communeCode, "\($0.taken)", "\($0.pending)", "\($0.accepted)", "\($0.activated)", "\($0.rejected)"]
        }
        if format == "csv" {
            let text = ([header] + rows).map { $0.joined(separator: ",") }.joined(separator: "\r\n") + "\r\n"
            return try emit(Data([0xEF, 0xBB, 0xBF]) + Data(text.utf8))
        }
        let title = "\(t("Báo cáo", "Report")) \(report.period) \(report.from)…\(report.through)"
        let body = ([header] + rows).map { $0.joined(separator: "\t") }.joined(separator: "\n")
        try emit(Data((title + "\n" + body + "\n").utf8))
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
                Data((options.text("Không ghi được tệp", "Cannot write the file") + " \(out): \(error)\n").utf8))
            throw ExitCode.failure
        }
        FileHandle.standardError.write(Data((options.text("Đã ghi", "Written") + " \(out)\n").utf8))
    }
}

struct WatchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "watch", abstract: "Theo dõi sự kiện — follow station events (Server-Sent Events)."
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
                    let detail = [event.reader, event.state, event.applicationID].compactMap { $0 }.joined(
                        separator: " ")
                    printLine("\(ISO8601DateFormatter().string(from: event.at)) \(type) \(detail)")
                }
                seen += 1
                return count.map { seen < $0 } ?? true
            }
        } catch {
            FileHandle.standardError.write(
                Data("\(options.text("Mất kết nối", "Connection lost")): \(error)\n".utf8))
            throw ExitCode(Exit.unreachable)
        }
        if status != 200 { throw ExitCode(GlobalOptions.exitCode(status)) }
    }
}

struct VerifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Xác thực thẻ CCCD tại quầy tiếp đón (cơ sở y tế) — check a patient's card at the desk.",
        discussion: """
            Đặt thẻ lên đầu đọc. Mở chip bằng mã QR của thẻ (--qr-file, không cần gõ), CAN (6 số cuối số định danh) \
            hoặc MRZ; không có gì thì hỏi CAN (không hiện ký tự). '-' đọc từ đầu vào chuẩn. Dạng --qr/--can/--mrz chỉ \
            dành cho script: người dùng khác đọc được qua /proc.
            Place the card on the reader. The chip is opened with the card's QR code (--qr-file), the CAN or the MRZ;
            with none the CAN is asked for without echo. Exit 0 accept, 1 refer.
            """)
    @OptionGroup var options: GlobalOptions
    static let qrField = SecretField(option: "qr", vi: "Mã QR trên thẻ", en: "The card's QR code")
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
        let t = options.text
        if let photo, let jpeg = result.portraitJPEG.flatMap({ Data(base64Encoded: $0) }) {
            if !FileManager.default.createFile(atPath: photo, contents: jpeg, attributes: [.posixPermissions: 0o600]) {
                FileHandle.standardError.write(
                    Data((t("Không ghi được ảnh vào ", "Could not write the photo to ") + photo + "\n").utf8))
            }
        }
        let sex = result.sex == "M" ? t("Nam", "Male") : result.sex == "F" ? t("Nữ", "Female") : "-"
        printLine("\(t("Kết luận", "Verdict")): "
            + (result.verdict == "accept" ? t("CHẤP NHẬN", "ACCEPT") : t("CHUYỂN QUẦY KIỂM TRA", "REFER")))
        printLine("  \(t(result.reason.vi, result.reason.en))")
        printLine("\(t("Số định danh", "ID number")): \(result.idNumber)")
        printLine("\(t("Họ và tên", "Full name")): \(result.fullName)")
        printLine("\(t("Ngày sinh", "Date of birth")): \(result.dateOfBirth)   \(t("Giới tính", "Sex")): \(sex)")
        if let residence = result.residence { printLine("\(t("Nơi cư trú", "Residence")): \(residence)") }
        let expiry = result.expiryDate ?? t("không thời hạn", "no expiry")
        printLine("\(t("Hạn thẻ", "Card valid until")): \(expiry)" + (result.expired ? " (\(t("ĐÃ HẾT HẠN", "EXPIRED")))" : ""))
        printLine("\(t("Xác thực chip", "Chip authenticity")): \(result.authenticity)")
        if let check = result.qrCheck {
            printLine("\(t("Mã QR", "QR code")): " + (check.consistent
                ? t("khớp với chip", "matches the chip")
                : t("KHÔNG khớp với chip", "does NOT match the chip") + " (\(check.mismatches.joined(separator: ", ")))"))
        }
        let insurance = result.insurance
        let status: String =
            switch insurance.status {
            case "valid": t("còn hạn", "valid") + (insurance.validTo.map { " \(t("đến", "until")) \($0)" } ?? "")
            case "expired": t("hết hạn", "expired") + (insurance.validTo.map { " \($0)" } ?? "")
            case "notFound": t("không tìm thấy", "not found")
            case "off": t("chưa cấu hình", "not configured")
            default: t("chưa rõ (cổng BHXH không trả lời)", "unknown (the gateway did not answer)")
            }
        printLine("\(t("Bảo hiểm y tế", "Health insurance")): \(status)")
        printLine(String(format: "%@: %.0f ms", t("Thời gian đọc thẻ", "Card read time"), result.timings.cardMs))
        if result.verdict != "accept" { throw ExitCode(1) }
    }
}

struct ConfigCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "config", abstract: "Cấu hình — configuration.",
        subcommands: [ConfigCheckCommand.self])
}

struct ConfigCheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract:
            "Kiểm tra tệp cấu hình — validate a configuration file (runs `stationd run --check-config`).")
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
