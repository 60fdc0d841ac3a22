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
            per value in this order: CAN or MRZ (the MRZ takes the rest of the input), phone, override reason,
            account number. A citizen without a chip card (2-in-1 without a card): --no-card with --id-file,
            --citizen-name-file, --birth-date-file (YYYY-MM-DD) and --sex-file (M or F), read in that order in place
            of the CAN. 3-in-1 and 4-in-1: --bank CODE (GET /v1/banks), --account-consent once the citizen agreed,
            --loan, --benefits (4-in-1), --account-number-file to link an existing account.
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
    @Option(help: "Bundle: utility, 2in1, 3in1 or 4in1 (default: utility; 2in1 with --no-card).") var bundle: String?
    @Option(help: "3in1/4in1: the bank's code (GET /v1/banks).") var bank: String?
    @Flag(help: "3in1/4in1: the citizen agreed that the bank opens or links the account.") var accountConsent = false
    @Flag(help: "3in1/4in1: the citizen also applies for a preferential loan.") var loan = false
    @Option(help: "4in1: benefits, comma-separated (pension, socialAllowance, meritAllowance, …).")
    var benefits: String?
    @Option(help: ArgumentHelp(SecretField.accountNumber.argumentHelp("3in1/4in1: an existing account to link.")))
    var accountNumber: String?
    @Option(help: ArgumentHelp(SecretField.accountNumber.fileHelp)) var accountNumberFile: String?
    @Flag(help: "A citizen without a chip card (2-in-1): type the identity instead of reading a card.")
    var noCard = false
    @Option(help: ArgumentHelp(SecretField.idNumber.argumentHelp("--no-card: the 12-digit personal number.")))
    var id: String?
    @Option(help: ArgumentHelp(SecretField.idNumber.fileHelp)) var idFile: String?
    @Option(help: ArgumentHelp(SecretField.citizenName.argumentHelp("--no-card: the citizen's full name.")))
    var citizenName: String?
    @Option(help: ArgumentHelp(SecretField.citizenName.fileHelp)) var citizenNameFile: String?
    @Option(help: ArgumentHelp(SecretField.birthDate.argumentHelp("--no-card: date of birth, YYYY-MM-DD.")))
    var birthDate: String?
    @Option(help: ArgumentHelp(SecretField.birthDate.fileHelp)) var birthDateFile: String?
    @Option(help: ArgumentHelp(SecretField.sex.argumentHelp("--no-card: M or F."))) var sex: String?
    @Option(help: ArgumentHelp(SecretField.sex.fileHelp)) var sexFile: String?
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
        let typed = noCard ? try typedIdentity() : nil
        let mrzValue = noCard ? nil : try options.secret(.mrz, mrz, file: mrzFile)
        let givenCAN = noCard ? nil : try options.secret(.can, can, file: canFile)
        let givenPhone = try options.secret(.phone, phone, file: phoneFile)
        let overrideValue = try options.secret(.overrideReason, overrideReason, file: overrideReasonFile)
        let accountValue = try options.secret(.accountNumber, accountNumber, file: accountNumberFile)
        if !SecretInput.isTerminal {
            if !noCard && givenCAN == nil && mrzValue == nil { throw options.failure(SecretInput.missing(.can)) }
            if givenPhone == nil { throw options.failure(SecretInput.missing(.phone)) }
        }
        let client = options.client()
        let started = try options.call(
            client, "POST", ControlPaths.intake,
            json: IntakeStartRequest(operatorID: operatorID, commune: commune, hamlet: hamlet))
        var session = try started.decode(IntakeSessionWire.self)
        let base = "\(ControlPaths.intake)/\(session.id)"
        do {
            if let typed {
                // No card: the identity typed stands for the card read (checked by the daemon, 422 naming the field).
                session = try validatedStep(client, "POST", "\(base)/identity", typed)
            } else {
                let canValue =
                    try whileWaiting(client) {
                        try givenCAN ?? (mrzValue == nil ? options.secret(.can, nil, file: nil, prompt: true) : nil)
                    }
                progress(options.say(.ctlIntakeReadingChip))
                session = try step(
                    client, "POST", "\(base)/card", CardReadRequest(can: canValue, mrz: mrzValue, reader: reader))
            }
            if session.state == "turnedAway" {
                // Under 14, an expired card, an application already taken: said at once, before any finger.
                if options.json { printLine(encode(session)) }
                for problem in session.problems ?? [] {
                    FileHandle.standardError.write(Data("✗ \(problem.message) [\(problem.code)]\n".utf8))
                }
                throw ExitCode(Exit.problems)
            }
            if typed != nil {
                progress(options.say(.ctlIntakeIdentityTyped, ["id": session.maskedIDNumber ?? "?"]))
            } else {
                progress(
                    options.say(
                        .ctlIntakeCardRead,
                        [
                            "id": session.maskedIDNumber ?? "?",
                            "authenticity": session.authenticity.map { options.name(.authenticity, $0) } ?? "?",
                        ]))
            }
            // The priority group the date of birth suggests: said, never set without --priority.
            if priority == nil, let suggested = session.suggestedPriorityGroup {
                progress(
                    options.say(
                        .ctlIntakeSuggestedPriority,
                        ["group": options.name(.priorityGroup, suggested), "value": suggested]))
            }
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
            session = try validatedStep(
                client, "PUT", "\(base)/details",
                DetailsRequest(
                    phone: phoneValue, bundle: bundle, priorityGroup: priority,
                    overrideReason: overrideValue, bankCode: bank, accountNumber: accountValue,
                    accountConsent: accountConsent ? true : nil, preferentialLoan: loan ? true : nil,
                    benefits: benefits.map { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } }
                ))
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

    /// The identity of a citizen without a card, from files, standard input (in this order) or prompts.
    private func typedIdentity() throws -> TypedIdentityRequest {
        let prompt = SecretInput.isTerminal
        func value(_ field: SecretField, _ argument: String?, _ file: String?) throws -> String {
            guard let value = try options.secret(field, argument, file: file, prompt: prompt) else {
                throw options.failure(SecretInput.missing(field))
            }
            return value
        }
        return TypedIdentityRequest(
            idNumber: try value(.idNumber, id, idFile), fullName: try value(.citizenName, citizenName, citizenNameFile),
            dateOfBirth: try value(.birthDate, birthDate, birthDateFile), sex: try value(.sex, sex, sexFile))
    }

    /// A step whose values the daemon judges: a refused value (422: the identity, the phone, the bundle) is said
    /// with its code and ends the command with exit 7, as validation problems do.
    private func validatedStep<T: Encodable>(
        _ client: ControlClient, _ method: String, _ path: String, _ body: T
    ) throws -> IntakeSessionWire {
        let response = try client.request(method, path, body: try ControlJSON.encoder().encode(body))
        if (200..<300).contains(response.status) { return try decode(response) }
        if options.json {
            printLine(String(decoding: response.body, as: UTF8.self))
        } else {
            let detail = response.error
            let code = detail?.code ?? "http.\(response.status)"
            FileHandle.standardError.write(
                Data("✗ \(detail?.message ?? "HTTP \(response.status)") [\(code)]\n".utf8))
        }
        throw ExitCode(response.status == 422 ? Exit.problems : GlobalOptions.exitCode(response.status))
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

/// `stationctl banks`: the banks a 3-in-1 or 4-in-1 may name, with the code `stationctl intake --bank` takes
/// (`GET /v1/banks`).
struct BanksCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "banks", abstract: HelpText.text(.helpCtlBanks))
    @OptionGroup var options: GlobalOptions

    func run() throws {
        let response = try options.call(options.client(), "GET", ControlPaths.banks)
        if options.json { return options.printBody(response) }
        let banks = try response.decode(BanksWire.self).banks
        printLine(
            TextLayout.table(
                header: [options.say(.ctlBanksColumnCode), options.say(.ctlBanksColumnName)],
                rows: banks.map { [$0.code, "\($0.shortName) — \($0.name)"] }))
    }
}
