import ArgumentParser
import ControlAPI
import Foundation
import Messages
import SecretInput

/// The guided intake: one connection from start to commit (the session belongs to it). On a terminal a fixable
/// problem sends the officer back to its step (the CAN, the phone, a finger, the portrait, a pulled card) with the
/// session kept; with `--yes` or without a terminal the first problem ends the command with its exit code.
struct IntakeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "intake",
        abstract: HelpText.text(.helpCtlIntake),
        discussion: """
            Missing values are asked for on the terminal (the CAN without echo); a wrong CAN, a phone that does
            not pass, a poor finger, a portrait that cannot be used or a pulled card is asked for again, with the
            session kept. Before the commit the read-back (name, date of birth, masked ID, phone, bundle, bank,
            priority group, commune, fingers, portrait) is printed and the officer confirms it was read to the
            citizen. Non-interactive: give --can-file (or --mrz-file), --phone-file, --portrait and --yes ('--yes'
            confirms the read-back); '-' reads standard input, one line per value in this order: CAN or MRZ (the
            MRZ takes the rest of the input), phone, override reason, account number, refusal note.
            Non-interactive, the first problem ends the command with its exit code.
            A citizen without a chip card (2-in-1 without a card): --no-card with --id-file,
            --citizen-name-file, --birth-date-file (YYYY-MM-DD) and --sex-file (M or F), read in that order in place
            of the CAN. 3-in-1 and 4-in-1: --bank CODE (GET /v1/banks), --account-consent once the citizen agreed,
            --loan, --benefits (4-in-1), --account-number-file to link an existing account.
            A citizen turned away (under 14, expired card, already registered) can be put on the eligibility
            list: asked on the terminal, or --refuse REASON [--confirmed-by-local-authority]
            [--refusal-note-file F]; exit 0 once recorded.
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
    @Option(
        help: """
            A citizen turned away: record them on the eligibility list with this reason (\
            \(Term.refusalReason.values.joined(separator: ", "))).
            """)
    var refuse: String?
    @Flag(help: "With --refuse: the local authority confirmed it (ineligible reasons).")
    var confirmedByLocalAuthority = false
    @Option(help: ArgumentHelp(SecretField.refusalNote.fileHelp)) var refusalNoteFile: String?
    @Flag(help: "Confirm the read-back and commit without asking when validation passes.") var yes = false

    func run() throws {
        // Values from files or standard input are read before the session starts, in the documented order;
        // what is still missing is asked for on the terminal at its step (or the command stops here without one).
        let typed = noCard ? try typedIdentity() : nil
        let mrzValue = noCard ? nil : try options.secret(.mrz, mrz, file: mrzFile)
        let givenCAN = noCard ? nil : try options.secret(.can, can, file: canFile)
        let givenPhone = try options.secret(.phone, phone, file: phoneFile)
        let overrideValue = try options.secret(.overrideReason, overrideReason, file: overrideReasonFile)
        let accountValue = try options.secret(.accountNumber, accountNumber, file: accountNumberFile)
        let refusalNote = try options.secret(.refusalNote, nil, file: refusalNoteFile)
        if let refuse, !Term.refusalReason.values.contains(refuse) {
            let reasons = Term.refusalReason.values.joined(separator: ", ")
            FileHandle.standardError.write(
                Data((options.say(.ctlIntakeRefuseUnknown, ["value": refuse, "reasons": reasons]) + "\n").utf8))
            throw ExitCode.validationFailure
        }
        if !SecretInput.isTerminal {
            if !noCard && givenCAN == nil && mrzValue == nil { throw options.failure(SecretInput.missing(.can)) }
            if givenPhone == nil && refuse == nil { throw options.failure(SecretInput.missing(.phone)) }
        }
        let client = options.client()
        let started = try options.call(
            client, "POST", ControlPaths.intake,
            json: IntakeStartRequest(operatorID: operatorID, commune: commune, hamlet: hamlet))
        var guided = GuidedIntake(
            command: self, client: client, session: try started.decode(IntakeSessionWire.self),
            interactive: !yes && SecretInput.isTerminal)
        do {
            if let typed {
                // No card: the identity typed stands for the card read (checked by the daemon, 422 naming the field).
                try guided.typeIdentity(typed)
            } else {
                try guided.readCard(can: givenCAN, mrz: mrzValue)
            }
            if guided.session.state == "turnedAway" {
                // Under 14, an expired card, an application already taken: said at once, before any finger.
                try guided.turnedAway(note: refusalNote)
                return
            }
            let excused = Dictionary(
                uniqueKeysWithValues: exception.compactMap { item -> (Int, String)? in
                    let parts = item.split(separator: "=")
                    guard parts.count == 2, let finger = Int(parts[0]) else { return nil }
                    return (finger, String(parts[1]))
                })
            for finger in fingers.split(separator: ",").compactMap({ Int($0) }) {
                if let reason = excused[finger] {
                    try guided.requestException(finger, kind: reason)
                } else {
                    try guided.capture(finger)
                }
            }
            try guided.attachPortrait(portrait)
            try guided.enterDetails(
                DetailsRequest(
                    phone: givenPhone, bundle: bundle, priorityGroup: priority,
                    overrideReason: overrideValue, bankCode: bank, accountNumber: accountValue,
                    accountConsent: accountConsent ? true : nil, preferentialLoan: loan ? true : nil,
                    benefits: benefits.map { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } }
                ))
            try guided.awaitExceptionDecisions()
            guard try guided.reviewUntilValid() else { return }
            try guided.commit()
        } catch let exit as ExitCode {
            throw exit
        } catch {
            FileHandle.standardError.write(Data("\(error)\n".utf8))
            throw ExitCode(Exit.daemonError)
        }
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
}

extension SecretField {
    /// The free-text note of a refusal recorded on the eligibility list (`--refusal-note-file`).
    static let refusalNote = SecretField(option: "refusal-note", label: .inputFieldNote)
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
