import ArgumentParser
import ControlAPI
import Foundation
import Messages
import SecretInput

/// The guided intake: one connection from start to commit (the session belongs to it).
struct IntakeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "intake",
        abstract: HelpText.text(.helpCtlIntake),
        discussion: """
            Missing values are asked for on the terminal (the CAN without echo). Non-interactive: give
            --can-file (or --mrz-file), --phone-file, --portrait and --yes; '-' reads standard input, one line
            per value in this order: CAN or MRZ (the MRZ takes the rest of the input), phone, override reason.
            The argument forms (--can, --phone, …) are for scripts only: other local users can read them via /proc.
            Exit 7 when validation problems remain, 64 when a value cannot be read.
            """)
    @OptionGroup var options: GlobalOptions
    @Option(help: ArgumentHelp(SecretField.can.argumentHelp("CAN (6 digits)."))) var can: String?
    @Option(help: ArgumentHelp(SecretField.can.fileHelp)) var canFile: String?
    @Option(help: ArgumentHelp(SecretField.mrz.argumentHelp("MRZ text."))) var mrz: String?
    @Option(help: ArgumentHelp(SecretField.mrz.fileHelp)) var mrzFile: String?
    @Option(help: "Reader name (default: the first with a card).") var reader: String?
    @Option(help: "Fingers to capture (ISO positions), comma-separated.") var fingers: String = "2,7"
    @Option(help: "Finger exceptions, e.g. 7=injury.") var exception: [String] = []
    @Option(help: "Live portrait photo file (JPEG or PNG, any common size).") var portrait: String?
    @Option(help: ArgumentHelp(SecretField.phone.argumentHelp("Mobile number."))) var phone: String?
    @Option(help: ArgumentHelp(SecretField.phone.fileHelp)) var phoneFile: String?
    @Option(help: "Bundle: utility or 2in1.") var bundle: String = "utility"
    @Option(help: "Priority group.") var priority: String?
    @Option(help: "Operator id (default: your user name).") var operatorID: String?
    @Option(
        help: ArgumentHelp(
            SecretField.overrideReason.argumentHelp(
                "Supervisors: accept an overridable authenticity verdict, with this reason (stored sealed).")))
    var overrideReason: String?
    @Option(help: ArgumentHelp(SecretField.overrideReason.fileHelp)) var overrideReasonFile: String?
    @Option(help: "Commune code of this session (default: the point's; GET /v1/places lists the allowed ones).")
    var commune: String?
    @Option(help: "Hamlet of this session, one of the commune's (default: none).") var hamlet: String?
    @Flag(help: "Commit without asking when validation passes.") var yes = false

    func run() throws {
        // Values from files or standard input are read before the session starts, in the documented order;
        // what is still missing is asked for on the terminal at its step (or the command stops here without one).
        let mrzValue = try options.secret(.mrz, mrz, file: mrzFile)
        let givenCAN = try options.secret(.can, can, file: canFile)
        let givenPhone = try options.secret(.phone, phone, file: phoneFile)
        let overrideValue = try options.secret(.overrideReason, overrideReason, file: overrideReasonFile)
        if !SecretInput.isTerminal {
            if givenCAN == nil && mrzValue == nil { throw options.failure(SecretInput.missing(.can)) }
            if givenPhone == nil { throw options.failure(SecretInput.missing(.phone)) }
        }
        let client = options.client()
        let started = try options.call(
            client, "POST", ControlPaths.intake,
            json: IntakeStartRequest(operatorID: operatorID, commune: commune, hamlet: hamlet))
        var session = try started.decode(IntakeSessionWire.self)
        let base = "\(ControlPaths.intake)/\(session.id)"
        do {
            let canValue =
                try whileWaiting(client) {
                    try givenCAN ?? (mrzValue == nil ? options.secret(.can, nil, file: nil, prompt: true) : nil)
                }
            progress(options.say(.ctlIntakeReadingChip))
            session = try step(
                client, "POST", "\(base)/card", CardReadRequest(can: canValue, mrz: mrzValue, reader: reader))
            if session.state == "turnedAway" {
                // Under 14, an expired card, an application already taken: said at once, before any finger.
                if options.json { printLine(encode(session)) }
                for problem in session.problems ?? [] {
                    FileHandle.standardError.write(Data("✗ \(problem.message) [\(problem.code)]\n".utf8))
                }
                throw ExitCode(Exit.problems)
            }
            progress(
                options.say(
                    .ctlIntakeCardRead,
                    [
                        "id": session.maskedIDNumber ?? "?",
                        "authenticity": session.authenticity.map { options.name(.authenticity, $0) } ?? "?",
                    ]))
            let excused = Dictionary(
                uniqueKeysWithValues: exception.compactMap { item -> (Int, String)? in
                    let parts = item.split(separator: "=")
                    guard parts.count == 2, let finger = Int(parts[0]) else { return nil }
                    return (finger, String(parts[1]))
                })
            for finger in fingers.split(separator: ",").compactMap({ Int($0) }) {
                if let reason = excused[finger] {
                    session = try step(
                        client, "POST", "\(base)/fingers", FingerRequest(finger: finger, exception: reason))
                    continue
                }
                progress(options.say(.ctlIntakePlaceFinger, ["finger": "\(finger)"]))
                session = try step(client, "POST", "\(base)/fingers", FingerRequest(finger: finger))
            }
            let portraitPath =
                portrait ?? ask(client, options.say(.ctlIntakePortraitFile))
            let jpeg = try Data(contentsOf: URL(fileURLWithPath: portraitPath))
            session = try decode(
                options.call(client, "PUT", "\(base)/portrait", body: jpeg, contentType: "image/jpeg"))
            let phoneValue = try whileWaiting(client) {
                try givenPhone ?? options.secret(.phone, nil, file: nil, prompt: true)
            }
            session = try step(
                client, "PUT", "\(base)/details",
                DetailsRequest(
                    phone: phoneValue, bundle: bundle, priorityGroup: priority,
                    overrideReason: overrideValue))
            session = try decode(options.call(client, "POST", "\(base)/review", body: Data()))
            if let problems = session.problems, !problems.isEmpty {
                if options.json { printLine(encode(session)) }
                for problem in problems {
                    FileHandle.standardError.write(Data("✗ \(problem.message) [\(problem.code)]\n".utf8))
                }
                _ = try? client.request("DELETE", base)
                throw ExitCode(Exit.problems)
            }
            if !yes {
                let answer = ask(client, options.say(.ctlIntakeConfirmCommit))
                guard ["c", "y", "có", "yes"].contains(answer.lowercased()) else {
                    session = try decode(options.call(client, "DELETE", base))
                    progress(options.say(.ctlIntakeAbandoned))
                    return
                }
            }
            session = try decode(options.call(client, "POST", "\(base)/commit", body: Data()))
            if options.json {
                printLine(encode(session))
            } else {
                printLine(options.say(.ctlIntakeCommitted, ["id": session.applicationID ?? "?"]))
            }
        } catch let exit as ExitCode {
            throw exit
        } catch {
            FileHandle.standardError.write(Data("\(error)\n".utf8))
            throw ExitCode(Exit.daemonError)
        }
    }

    private func step<T: Encodable>(
        _ client: ControlClient, _ method: String, _ path: String, _ body: T
    ) throws
        -> IntakeSessionWire
    {
        try decode(options.call(client, method, path, json: body))
    }

    private func decode(_ response: ControlClient.Response) throws -> IntakeSessionWire {
        try response.decode(IntakeSessionWire.self)
    }

    private func encode(_ session: IntakeSessionWire) -> String {
        (try? ControlJSON.encoder().encode(session)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
    }

    private func progress(_ text: String) {
        if !options.json { FileHandle.standardError.write(Data((text + "\n").utf8)) }
    }

    /// Asks on the terminal; meanwhile a heartbeat keeps the connection (and so the session) alive.
    /// Runs `body` (which may wait for the officer at a prompt) with the session's connection kept alive.
    private func whileWaiting<T>(_ client: ControlClient, _ body: () throws -> T) rethrows -> T {
        let heartbeat = client.heartbeat()
        defer { heartbeat.stop() }
        return try body()
    }

    private func ask(_ client: ControlClient, _ prompt: String) -> String {
        FileHandle.standardError.write(Data("\(prompt): ".utf8))
        let heartbeat = client.heartbeat()
        defer { heartbeat.stop() }
        return readLine()?.trimmingCharacters(in: .whitespaces) ?? ""
    }
}
