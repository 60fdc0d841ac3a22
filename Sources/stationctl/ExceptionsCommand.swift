import ArgumentParser
import ControlAPI
import Foundation
import Messages
import SecretInput

/// `stationctl exceptions [ls|confirm|decline]`: the finger exceptions officers asked for, waiting for a supervisor
/// (`/v1/exceptions`). A supervisor at any terminal confirms or declines one with a reason; the supervisor is the
/// caller's account, never a name given here.
struct ExceptionsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "exceptions", abstract: HelpText.text(.helpCtlExceptions),
        discussion: """
            An officer who cannot capture a finger (missing, injured, unreadable) asks for an exception from the
            intake (the console, or POST /v1/intake/{session}/fingers with exception); it waits on the session
            until a supervisor confirms it (the exception is recorded in the application) or declines it (the
            officer captures the finger). Requests die with their session. Supervisors only.
            """,
        subcommands: [ExceptionsList.self, ExceptionsConfirm.self, ExceptionsDecline.self],
        defaultSubcommand: ExceptionsList.self)
}

/// A finger by its ISO position (1...10) or its English name (`right-index`, `left-thumb`), said by name.
enum FingerArgument {
    /// The names in ISO order: 1 right thumb … 10 left little finger.
    static let names: [(name: String, key: MessageKey)] = [
        ("right-thumb", .fingerRightThumb), ("right-index", .fingerRightIndex), ("right-middle", .fingerRightMiddle),
        ("right-ring", .fingerRightRing), ("right-little", .fingerRightLittle), ("left-thumb", .fingerLeftThumb),
        ("left-index", .fingerLeftIndex), ("left-middle", .fingerLeftMiddle), ("left-ring", .fingerLeftRing),
        ("left-little", .fingerLeftLittle),
    ]

    /// The ISO position of `text`, nil when it names no finger.
    static func position(_ text: String) -> Int? {
        let value = text.trimmingCharacters(in: .whitespaces).lowercased()
        if let number = Int(value), (1...10).contains(number) { return number }
        return names.firstIndex { $0.name == value }.map { $0 + 1 }
    }

    /// The finger's name in `options`' language ("ngón trỏ tay trái").
    static func name(_ position: Int, _ options: GlobalOptions) -> String {
        (1...10).contains(position) ? options.say(names[position - 1].key) : "\(position)"
    }
}

struct ExceptionsList: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ls", abstract: HelpText.text(.helpCtlExceptionsList))
    @OptionGroup var options: GlobalOptions

    func run() throws {
        let response = try options.call(options.client(), "GET", ControlPaths.exceptions)
        if options.json { return options.printBody(response) }
        let items = try response.decode([FingerExceptionWire].self)
        if items.isEmpty { return printLine(options.say(.ctlExceptionsNone)) }
        let header: [MessageKey] = [
            .ctlExceptionsColumnSession, .ctlExceptionsColumnOfficer, .ctlExceptionsColumnCitizen,
            .ctlExceptionsColumnFinger, .ctlExceptionsColumnKind, .ctlExceptionsColumnNote,
            .ctlExceptionsColumnRequested,
        ]
        let rows = items.map { item in
            [
                item.session ?? "", item.requestedBy,
                [item.maskedIDNumber, item.initials].compactMap { $0 }.joined(separator: " "),
                FingerArgument.name(item.finger, options), options.name(.fingerException, item.exception),
                item.note, TextLayout.localTime(item.requestedAt),
            ]
        }
        printLine(TextLayout.table(header: header.map { options.say($0) }, rows: rows))
    }
}

/// What confirm and decline share: the session, the finger and the supervisor's reason.
struct ExceptionDecision: ParsableArguments {
    @Argument(help: "The intake session (its id, from `stationctl exceptions ls`).") var session: String
    @Argument(help: "The finger: 1–10 or right-index, left-index, right-thumb, …") var finger: String
    @Option(help: ArgumentHelp(Self.reasonField.argumentHelp("Why (required; shown to the officer, never logged).")))
    var reason: String?
    @Option(help: ArgumentHelp(Self.reasonField.fileHelp)) var reasonFile: String?

    /// The reason may describe the citizen's hand: from a file, standard input or the prompt rather than argv.
    static let reasonField = SecretField(option: "reason", label: .inputFieldExceptionReason)

    /// Sends the decision; prints what was decided, by the finger's name.
    func send(_ verb: String, _ options: GlobalOptions, done: MessageKey) throws {
        guard let position = FingerArgument.position(finger) else {
            throw ValidationError(options.say(.ctlExceptionsUnknownFinger, ["finger": finger]))
        }
        guard let why = try options.secret(Self.reasonField, reason, file: reasonFile, prompt: true) else {
            throw options.failure(SecretInput.missing(Self.reasonField))
        }
        let path = "\(ControlPaths.exceptions)/\(session)/\(position)/\(verb)"
        let response = try options.call(
            options.client(), "POST", path, json: ExceptionDecisionRequest(reason: why))
        if options.json { return options.printBody(response) }
        let wire = try response.decode(IntakeSessionWire.self)
        let kind = wire.exceptionRequests?.first { $0.finger == position }?.exception ?? ""
        printLine(
            options.say(
                done,
                [
                    "finger": FingerArgument.name(position, options), "kind": options.name(.fingerException, kind),
                    "session": session,
                ]))
    }
}

struct ExceptionsConfirm: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "confirm", abstract: HelpText.text(.helpCtlExceptionsConfirm))
    @OptionGroup var options: GlobalOptions
    @OptionGroup var decision: ExceptionDecision

    func run() throws { try decision.send("confirm", options, done: .ctlExceptionsConfirmed) }
}

struct ExceptionsDecline: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "decline", abstract: HelpText.text(.helpCtlExceptionsDecline))
    @OptionGroup var options: GlobalOptions
    @OptionGroup var decision: ExceptionDecision

    func run() throws { try decision.send("decline", options, done: .ctlExceptionsDeclined) }
}
