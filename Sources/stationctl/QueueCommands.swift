import ArgumentParser
import ControlAPI
import Foundation
import Messages
import SecretInput

struct QueueCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "queue", abstract: HelpText.text(.helpCtlQueue),
        subcommands: [
            QueueList.self, QueueShow.self, QueueHold.self, QueueRelease.self, QueueCancel.self,
            QueueRetry.self,
        ])
}

struct QueueList: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ls", abstract: HelpText.text(.helpCtlQueueList))
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
                let header: [MessageKey] = [
                    .ctlQueueColumnReference, .ctlQueueColumnId, .ctlQueueColumnLocal, .ctlQueueColumnCentral,
                    .ctlQueueColumnCaptured,
                    .ctlQueueColumnCommune, .ctlQueueColumnBundle,
                ]
                let rows = page.items.map { item in
                    [
                        item.reference ?? "", item.id, options.name(.localState, item.local),
                        options.name(.centralState, item.central),
                        TextLayout.localTime(item.capturedAt), item.communeCode, options.name(.bundle, item.bundle),
                    ]
                }
                // Each page is its own table, aligned by display width (Vietnamese names have diacritics).
                printLine(TextLayout.table(header: header.map { options.say($0) }, rows: rows))
                shown += page.items.count
                if let next = page.next, !all {
                    printLine(options.say(.ctlQueueNextPage, ["cursor": next]))
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
        commandName: "show", abstract: HelpText.text(.helpCtlQueueShow))
    @OptionGroup var options: GlobalOptions
    @Argument(help: "Application id or short reference (K7M2-QX4G).") var id: String
    @Flag(help: "Show personal data unmasked (supervisors; recorded in the audit log).")
    var unmasked = false

    func run() throws {
        let response = try options.call(
            options.client(), "GET",
            "\(ControlPaths.queue)/\(QueuePath.segment(id))" + (unmasked ? "?unmasked=true" : ""))
        if options.json { return options.printBody(response) }
        let detail = try response.decode(ApplicationDetailWire.self)
        let say = { (key: MessageKey, value: String) in options.say(key, ["value": value]) }
        printLine(
            options.say(
                .ctlQueueApplication,
                [
                    "id": detail.item.id, "local": options.name(.localState, detail.item.local),
                    "central": options.name(.centralState, detail.item.central),
                ]))
        if let reference = detail.item.reference { printLine(say(.ctlQueueReference, reference)) }
        printLine(say(.ctlQueueIdNumber, detail.idNumber))
        printLine(say(.ctlQueueName, detail.fullName))
        printLine(say(.ctlQueueDateOfBirth, detail.dateOfBirth))
        if let phone = detail.phone { printLine(say(.ctlQueuePhone, phone)) }
        printLine(say(.ctlQueueFingerprints, detail.fingerprints.joined(separator: "; ")))
        printLine(say(.ctlQueueAuthenticity, options.name(.authenticity, detail.authenticity)))
        printLine(say(.ctlQueuePoint, detail.placeName))
        for line in detail.history ?? [] {
            let change = [line.from, line.to].compactMap { $0 }.map { status in
                let parts = status.split(separator: "/", maxSplits: 1).map(String.init)
                return parts.count == 2
                    ? options.name(.localState, parts[0]) + "/" + options.name(.centralState, parts[1]) : status
            }.joined(separator: " → ")
            let sealed = line.hasNote ? options.say(.ctlQueueSealedNote) : ""
            let note = line.note.map { " — \($0)" } ?? sealed
            printLine(
                "  \(TextLayout.localTime(line.at, seconds: true)) \(line.action) \(line.actor)"
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
            client, "POST", "\(ControlPaths.queue)/\(QueuePath.segment(id))/\(Self.verb)",
            json: try body() ?? QueueActionRequest()
        )
        if options.json { return options.printBody(response) }
        let result = try response.decode(QueueActionResult.self)
        printLine(
            "\(result.id): \(options.name(.localState, result.local))/\(options.name(.centralState, result.central))")
    }
}

struct QueueHold: QueueAction {
    static let configuration = CommandConfiguration(
        commandName: "hold", abstract: HelpText.text(.helpCtlQueueHold))
    static let verb = "hold"
    @OptionGroup var options: GlobalOptions
    @Argument(help: "Application id or short reference (K7M2-QX4G).") var id: String
    @Option(help: ArgumentHelp(QueueReasonHelp.code)) var reason: String
    @Option(help: ArgumentHelp(SecretField.note.argumentHelp(QueueReasonHelp.note))) var note: String?
    @Option(help: ArgumentHelp(SecretField.note.fileHelp)) var noteFile: String?
    func body() throws -> QueueActionRequest? {
        QueueActionRequest(reason: reason, note: try options.secret(.note, note, file: noteFile))
    }
}

struct QueueRelease: QueueAction {
    static let configuration = CommandConfiguration(
        commandName: "release", abstract: HelpText.text(.helpCtlQueueRelease))
    static let verb = "release"
    @OptionGroup var options: GlobalOptions
    @Argument(help: "Application id or short reference (K7M2-QX4G).") var id: String
    func body() -> QueueActionRequest? { nil }
}

struct QueueCancel: QueueAction {
    static let configuration = CommandConfiguration(
        commandName: "cancel", abstract: HelpText.text(.helpCtlQueueCancel))
    static let verb = "cancel"
    @OptionGroup var options: GlobalOptions
    @Argument(help: "Application id or short reference (K7M2-QX4G).") var id: String
    @Option(help: ArgumentHelp(QueueReasonHelp.code)) var reason: String
    @Option(help: ArgumentHelp(SecretField.note.argumentHelp(QueueReasonHelp.note))) var note: String?
    @Option(help: ArgumentHelp(SecretField.note.fileHelp)) var noteFile: String?
    func body() throws -> QueueActionRequest? {
        QueueActionRequest(reason: reason, note: try options.secret(.note, note, file: noteFile))
    }
}

struct QueueRetry: QueueAction {
    static let configuration = CommandConfiguration(
        commandName: "retry", abstract: HelpText.text(.helpCtlQueueRetry))
    static let verb = "retry"
    @OptionGroup var options: GlobalOptions
    @Argument(help: "Application id or short reference (K7M2-QX4G).") var id: String
    func body() -> QueueActionRequest? { nil }
}

/// An application named on the command line, as a path segment: its id or its short reference as the officer typed
/// it (spaces dropped, the rest percent-encoded); the daemon resolves it and names a mistyped reference's fault.
enum QueuePath {
    static func segment(_ typed: String) -> String {
        let compact = typed.filter { !$0.isWhitespace }
        return compact.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(["-"])) ?? compact
    }
}
