import ArgumentParser
import ControlAPI
import Foundation
import SecretInput

struct QueueCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "queue", abstract: "Hàng đợi hồ sơ — the application queue.",
        subcommands: [
            QueueList.self, QueueShow.self, QueueHold.self, QueueRelease.self, QueueCancel.self,
            QueueRetry.self,
        ])
}

struct QueueList: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ls", abstract: "Liệt kê — list applications.")
    @OptionGroup var options: GlobalOptions
    @Option(help: "Local states, comma-separated (captured,ready,held,…).") var state: String?
    @Option(help: "Central states, comma-separated.") var central: String?
    @Option(help: "Captured on or after (YYYY-MM-DD).") var from: String?
    @Option(help: "Captured before (YYYY-MM-DD).") var until: String?
    @Option(help: "Commune code.") var commune: String?
    @Option(name: .customLong("operator"), help: "Operator id.") var operatorID: String?
    @Option(help: "Page size (1...500).") var limit: Int = 50
    @Option(help: "Cursor from the previous page.") var after: String?
    @Flag(help: "Follow the cursor and print every page.") var all = false

    func run() throws {
        var query: [(String, String?)] = [
            ("state", state), ("central", central), ("from", from), ("until", until),
            ("commune", commune),
            ("operator", operatorID), ("limit", String(limit)), ("after", after),
        ]
        let client = options.client()
        var shown = 0
        while true {
            let text = query.compactMap { key, value in
                value.map {
                    "\(key)=\($0.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? $0)"
                }
            }.joined(separator: "&")
            let response = try options.call(client, "GET", "\(ControlPaths.queue)?\(text)")
            let page = try response.decode(QueuePageWire.self)
            if options.json {
                options.printBody(response)
            } else {
                if shown == 0 {
                    printLine(
                        options.text(
                            "MÃ HỒ SƠ\tTRẠNG THÁI\tTRUNG TÂM\tTHỜI GIAN\tXÃ\tGÓI",
                            "ID\tLOCAL\tCENTRAL\tCAPTURED\tCOMMUNE\tBUNDLE"))
                }
                for item in page.items {
                    printLine(
                        "\(item.id)\t\(item.local)\t\(item.central)\t"
                            + ISO8601DateFormatter().string(from: item.capturedAt)
                            + "\t\(item.communeCode)\t\(item.bundle)"
                    )
                }
                shown += page.items.count
                if let next = page.next, !all {
                    printLine(options.text("Trang sau", "Next page") + ": --after \(next)")
                }
            }
            guard all, let next = page.next else { break }
            query.removeAll { $0.0 == "after" }
            query.append(("after", next))
        }
    }
}

struct QueueShow: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show", abstract: "Xem hồ sơ — show one application.")
    @OptionGroup var options: GlobalOptions
    @Argument(help: "Application id.") var id: String
    @Flag(help: "Show personal data unmasked (supervisors; recorded in the audit log).")
    var unmasked = false

    func run() throws {
        let response = try options.call(
            options.client(), "GET", "\(ControlPaths.queue)/\(id)" + (unmasked ? "?unmasked=true" : ""))
        if options.json { return options.printBody(response) }
        let detail = try response.decode(ApplicationDetailWire.self)
        let t = options.text
        printLine(
            "\(t("Hồ sơ", "Application")) \(detail.item.id): \(detail.item.local)/\(detail.item.central)")
        printLine("\(t("Số định danh", "ID number")): \(detail.idNumber)")
        printLine("\(t("Họ tên", "Name")): \(detail.fullName)")
        printLine("\(t("Ngày sinh", "Date of birth")): \(detail.dateOfBirth)")
        if let phone = detail.phone { printLine("\(t("Điện thoại", "Phone")): \(phone)") }
        printLine("\(t("Vân tay", "Fingerprints")): \(detail.fingerprints.joined(separator: "; "))")
        printLine("\(t("Xác thực chip", "Chip authenticity")): \(detail.authenticity)")
        printLine("\(t("Điểm đăng ký", "Registration point")): \(detail.placeName)")
        for line in detail.history ?? [] {
            let change = [line.from, line.to].compactMap { $0 }.joined(separator: " → ")
            let sealed = line.hasNote ? t(" (có ghi chú niêm phong)", " (sealed note)") : ""
            let note = line.note.map { " — \($0)" } ?? sealed
            printLine(
                "  \(ISO8601DateFormatter().string(from: line.at)) \(line.action) \(line.actor)"
                    + (change.isEmpty ? "" : " \(change)") + (line.reason.map { " [\($0)]" } ?? "") + note)
        }
    }
}

/// hold / release / cancel / retry share their shape.
protocol QueueAction: ParsableCommand {
    var options: GlobalOptions { get }
    var id: String { get }
    static var verb: String { get }
    /// The request body (hold and cancel: reason code and note), read when the command runs.
    func body() throws -> QueueActionRequest?
}

/// Help shared by hold and cancel.
enum QueueReasonHelp {
    static let code =
        "Reason code: citizenRequest, dataError, duplicate, deviceFault or other (kept in clear in the audit log)."
    static let note = "Free-text note (may name the citizen: stored sealed, shown only to supervisors)."
}

extension QueueAction {
    func run() throws {
        let client = options.client()
        let response = try options.call(
            client, "POST", "\(ControlPaths.queue)/\(id)/\(Self.verb)", json: try body() ?? QueueActionRequest()
        )
        if options.json { return options.printBody(response) }
        let result = try response.decode(QueueActionResult.self)
        printLine("\(result.id): \(result.local)/\(result.central)")
    }
}

struct QueueHold: QueueAction {
    static let configuration = CommandConfiguration(
        commandName: "hold", abstract: "Tạm giữ — hold (supervisors).")
    static let verb = "hold"
    @OptionGroup var options: GlobalOptions
    @Argument(help: "Application id.") var id: String
    @Option(help: ArgumentHelp(QueueReasonHelp.code)) var reason: String
    @Option(help: ArgumentHelp(SecretField.note.argumentHelp(QueueReasonHelp.note))) var note: String?
    @Option(help: ArgumentHelp(SecretField.note.fileHelp)) var noteFile: String?
    func body() throws -> QueueActionRequest? {
        QueueActionRequest(reason: reason, note: try options.secret(.note, note, file: noteFile))
    }
}

struct QueueRelease: QueueAction {
    static let configuration = CommandConfiguration(
        commandName: "release", abstract: "Bỏ tạm giữ — release.")
    static let verb = "release"
    @OptionGroup var options: GlobalOptions
    @Argument(help: "Application id.") var id: String
    func body() -> QueueActionRequest? { nil }
}

struct QueueCancel: QueueAction {
    static let configuration = CommandConfiguration(
        commandName: "cancel", abstract: "Hủy — cancel (supervisors).")
    static let verb = "cancel"
    @OptionGroup var options: GlobalOptions
    @Argument(help: "Application id.") var id: String
    @Option(help: ArgumentHelp(QueueReasonHelp.code)) var reason: String
    @Option(help: ArgumentHelp(SecretField.note.argumentHelp(QueueReasonHelp.note))) var note: String?
    @Option(help: ArgumentHelp(SecretField.note.fileHelp)) var noteFile: String?
    func body() throws -> QueueActionRequest? {
        QueueActionRequest(reason: reason, note: try options.secret(.note, note, file: noteFile))
    }
}

struct QueueRetry: QueueAction {
    static let configuration = CommandConfiguration(
        commandName: "retry", abstract: "Thử lại — retry a needsAttention one.")
    static let verb = "retry"
    @OptionGroup var options: GlobalOptions
    @Argument(help: "Application id.") var id: String
    func body() -> QueueActionRequest? { nil }
}
