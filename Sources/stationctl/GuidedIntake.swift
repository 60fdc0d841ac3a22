import ArgumentParser
import ControlAPI
import Foundation
import Messages
import SecretInput

/// One guided intake session driven step by step over its connection (`stationctl intake`). Interactive (a
/// terminal, no `--yes`), a fixable problem is said and its step asked again, the session kept: a wrong CAN, a card
/// pulled out (the session pauses; the card put back resumes it), a poor finger, a
/// portrait that cannot be used, a phone that does not pass, a read-back that went stale. Non-interactive, the
/// first problem ends the command with its exit code.
struct GuidedIntake {
    let command: IntakeCommand
    let client: ControlClient
    var session: IntakeSessionWire
    let interactive: Bool
    /// The access key that read the card: a pulled card put back is read again with it.
    private var cardRequest: CardReadRequest?
    /// The details as last sent (a phone asked again is sent with the rest unchanged).
    private var details = DetailsRequest()
    /// Whether a pulled card was already said while the officer was at a prompt.
    private let pauseNotice = PauseNotice()

    init(command: IntakeCommand, client: ControlClient, session: IntakeSessionWire, interactive: Bool) {
        self.command = command
        self.client = client
        self.session = session
        self.interactive = interactive
    }

    private var options: GlobalOptions { command.options }
    private var base: String { "\(ControlPaths.intake)/\(session.id)" }

    // MARK: - Steps

    /// Reads the card; a wrong CAN is asked again (interactive).
    mutating func readCard(can given: String?, mrz: String?) throws {
        var can = given
        while true {
            let canValue = try whileWaiting {
                try can ?? (mrz == nil ? options.secret(.can, nil, file: nil, prompt: true) : nil)
            }
            progress(options.say(.ctlIntakeReadingChip))
            let request = CardReadRequest(can: canValue, mrz: mrz, reader: command.reader)
            guard let problem = try perform("POST", "/card", json: request, resumable: false) else {
                cardRequest = request
                break
            }
            guard interactive else { throw options.report(problem) }
            // A wrong CAN is asked again; no card at all ends the command as before (exit 5, `smartcard.no_card`).
            guard problem.error?.code == "chip.access_denied", mrz == nil else { throw options.report(problem) }
            options.explain(problem)
            can = nil
        }
        if session.state != "turnedAway" {
            progress(
                options.say(
                    .ctlIntakeCardRead,
                    [
                        "id": session.maskedIDNumber ?? "?",
                        "authenticity": session.authenticity.map { options.name(.authenticity, $0) } ?? "?",
                    ]))
            suggestPriority()
        }
    }

    /// A citizen without a card: the identity typed stands for the card read. A value the daemon refuses (422
    /// naming the field) is asked again on a terminal, all four on prompts; otherwise it ends the command (exit 7).
    mutating func typeIdentity(_ given: TypedIdentityRequest) throws {
        var identity = given
        while true {
            guard let problem = try perform("POST", "/identity", json: identity, resumable: false) else { break }
            guard interactive, problem.status == 422 else { throw refused(problem) }
            options.explain(problem)
            identity = try whileWaiting {
                func value(_ field: SecretField) throws -> String {
                    try options.secret(field, nil, file: nil, prompt: true) ?? ""
                }
                return TypedIdentityRequest(
                    idNumber: try value(.idNumber), fullName: try value(.citizenName),
                    dateOfBirth: try value(.birthDate), sex: try value(.sex))
            }
        }
        if session.state != "turnedAway" {
            progress(options.say(.ctlIntakeIdentityTyped, ["id": session.maskedIDNumber ?? "?"]))
            suggestPriority()
        }
    }

    /// Captures one finger; a failed capture may be retaken (interactive). While the scanner works, each attempt
    /// is said as the daemon decides it: the finger by name, the quality and the capture flow's advice ("ấn ngón
    /// tay mạnh hơn").
    mutating func capture(_ finger: Int) throws {
        while true {
            progress(options.say(.ctlIntakePlaceFinger, ["finger": fingerName(finger)]))
            let watch = attemptWatch()
            let answer: ControlClient.Response?
            do {
                answer = try perform("POST", "/fingers", json: FingerRequest(finger: finger))
                watch?.stop()
            } catch {
                watch?.stop()
                throw error
            }
            guard let problem = answer else { return }
            guard interactive, problem.error?.code.hasPrefix("biometric.") == true else {
                throw options.report(problem)
            }
            options.explain(problem)
            guard confirmed(options.say(.ctlIntakeRetakeFinger, ["finger": fingerName(finger)])) else {
                throw options.report(problem)
            }
        }
    }

    /// Asks for a finger exception (`kind`: missingFinger, injury, unreadable). An officer's request waits for a
    /// supervisor's word (the supervisor screen, or `stationctl exceptions confirm`); the intake goes on meanwhile
    /// and `awaitExceptionDecisions()` waits for it before the read-back. A refusal is never asked again.
    mutating func requestException(_ finger: Int, kind: String) throws {
        if let problem = try perform("POST", "/fingers", json: FingerRequest(finger: finger, exception: kind)) {
            throw options.report(problem)
        }
        if let notice = session.notice { progress(notice.message) }
    }

    /// Waits (polling the session every second, which also keeps its connection alive) until a supervisor has
    /// decided every exception still pending, and says each decision. A declined exception's finger is captured
    /// instead (interactive); without a terminal it ends the command (exit 7).
    mutating func awaitExceptionDecisions() throws {
        var said: Set<Int> = []
        while true {
            let pending = (session.exceptionRequests ?? []).filter { $0.status == "pending" }
            if pending.isEmpty { break }
            for request in pending where said.insert(request.finger).inserted {
                progress(options.say(.ctlIntakeExceptionWaiting, ["finger": fingerName(request.finger)]))
            }
            Thread.sleep(forTimeInterval: 1)
            let now = try options.send(client, "GET", base)
            guard now.status == 200 else { throw options.report(now) }
            session = try decode(now)
        }
        for request in session.exceptionRequests ?? [] where said.contains(request.finger) {
            let words = [
                "finger": fingerName(request.finger), "by": request.decidedBy ?? "?",
                "reason": request.decisionReason ?? "",
            ]
            if request.status == "confirmed" {
                progress(options.say(.ctlIntakeExceptionConfirmed, words))
            } else if request.status == "declined" {
                progress(options.say(.ctlIntakeExceptionDeclined, words))
                guard interactive else { throw ExitCode(Exit.problems) }
                try capture(request.finger)
            }
        }
    }

    /// Attaches the portrait from `given` or a path asked for; an unreadable or unusable file is asked again
    /// (interactive).
    mutating func attachPortrait(_ given: String?) throws {
        var path = given
        while true {
            let file = path ?? ask(options.say(.ctlIntakePortraitFile))
            let jpeg: Data
            do {
                jpeg = try Data(contentsOf: URL(fileURLWithPath: file))
            } catch {
                guard interactive else { throw error }
                FileHandle.standardError.write(
                    Data((options.say(.ctlIntakePortraitUnreadable, ["path": file]) + "\n").utf8))
                path = nil
                continue
            }
            guard
                let problem = try perform("PUT", "/portrait", body: jpeg, contentType: "image/jpeg")
            else { return }
            guard interactive, [400, 422].contains(problem.status) else { throw options.report(problem) }
            options.explain(problem)
            path = nil
        }
    }

    /// Sends the details (the phone asked for on the terminal when not given); a phone that does not pass is
    /// asked again (interactive). Any other refused value (a bundle's bank or consent) ends the command (exit 7).
    mutating func enterDetails(_ request: DetailsRequest) throws {
        details = request
        try sendDetails(askPhone: request.phone == nil)
    }

    /// Reviews until validation passes, fixing what the officer can fix on the way (interactive), then prints the
    /// read-back and asks whether it was read to the citizen. False when the officer said no (session abandoned).
    mutating func reviewUntilValid() throws -> Bool {
        if let problem = try perform("POST", "/review", body: Data()) { throw options.report(problem) }
        while let problems = session.problems, !problems.isEmpty {
            if options.json && !interactive { printLine(encode(session)) }
            for problem in problems {
                FileHandle.standardError.write(Data("✗ \(problem.message) [\(problem.code)]\n".utf8))
            }
            let codes = problems.map(\.code)
            let fixable = codes.filter {
                $0.hasPrefix("intake.phone") || $0.hasPrefix("intake.portrait") || $0.hasPrefix("intake.fingerprint")
            }
            guard interactive, fixable.count == codes.count else {
                _ = try? client.request("DELETE", base)
                throw ExitCode(Exit.problems)
            }
            let fingerProblems = problems.filter { $0.code.hasPrefix("intake.fingerprint") }.map(\.message)
            if !fingerProblems.isEmpty {
                // Only the fingers the problems name (each message names its finger, in this command's language);
                // every captured finger when none is recognised. Declining every retake leaves the problem: stop.
                let named = (1...10).filter { position in fingerProblems.contains { $0.contains(fingerName(position)) }
                }
                let captured = (session.readBack?.fingers ?? []).filter { $0.exception == nil }.map(\.position)
                var retaken = false
                for position in named.isEmpty ? captured : named
                where confirmed(options.say(.ctlIntakeRetakeFinger, ["finger": fingerName(position)])) {
                    try capture(position)
                    retaken = true
                }
                guard retaken else {
                    _ = try? client.request("DELETE", base)
                    throw ExitCode(Exit.problems)
                }
            }
            if codes.contains(where: { $0.hasPrefix("intake.portrait") }) { try attachPortrait(nil) }
            if codes.contains(where: { $0.hasPrefix("intake.phone") }) {
                details.phone = nil
                try sendDetails(askPhone: true)
            }
            if let problem = try perform("POST", "/review", body: Data()) { throw options.report(problem) }
        }
        if !options.json { printReadBack() }
        if !command.yes {
            guard confirmed(options.say(.ctlIntakeConfirmCommit)) else {
                session = try decode(options.call(client, "DELETE", base))
                progress(options.say(.ctlIntakeAbandoned))
                return false
            }
        }
        return true
    }

    /// Commits the revision that was read back; a read-back gone stale is read again (interactive).
    mutating func commit() throws {
        while true {
            let request = IntakeCommitRequest(readBackRevision: session.readBack?.revision)
            guard let problem = try perform("POST", "/commit", json: request) else { break }
            guard interactive, problem.error?.code == "intake.notice.readBackStale" else {
                throw options.report(problem)
            }
            options.explain(problem)
            guard try reviewUntilValid() else { return }
        }
        if options.json {
            printLine(encode(session))
        } else {
            // The short reference the officer reads aloud and the citizen's receipt carries, never the UUID.
            let reference = session.reference ?? session.applicationID ?? "?"
            printLine(options.say(.ctlIntakeCommitted, ["reference": reference]))
        }
    }

    /// The citizen was turned away at the card read: says why, then records the refusal on the eligibility list
    /// (`--refuse`, or asked on the terminal). Exit 7 when nothing is recorded.
    mutating func turnedAway(note given: String?) throws {
        if options.json && command.refuse == nil { printLine(encode(session)) }
        for problem in session.problems ?? [] {
            FileHandle.standardError.write(Data("✗ \(problem.message) [\(problem.code)]\n".utf8))
        }
        var request: RefusalRequest
        if let reason = command.refuse {
            request = RefusalRequest(
                reason: reason, confirmedByLocalAuthority: command.confirmedByLocalAuthority, note: given)
        } else {
            guard interactive, confirmed(options.say(.ctlIntakeRefusalOffer)) else {
                throw ExitCode(Exit.problems)
            }
            request = RefusalRequest(reason: chooseReason())
            if Self.ineligible.contains(request.reason) {
                request.confirmedByLocalAuthority = confirmed(options.say(.ctlIntakeRefusalAuthority))
            }
            let note = given ?? ask(options.say(.ctlIntakeRefusalNote))
            request.note = note.isEmpty ? nil : note
        }
        if let problem = try perform("POST", "/refusal", json: request, resumable: false) {
            throw options.report(problem)
        }
        if options.json {
            printLine(encode(session))
        } else {
            printLine(
                options.say(
                    .ctlIntakeRefusalRecorded, ["reason": options.name(.refusalReason, request.reason)]))
        }
    }

    // MARK: - Helpers

    /// Reasons of the ineligible class: complete only once the local authority confirms (README).
    private static let ineligible: Set<String> = ["illness", "mentalDisability", "noCivilCapacity"]

    private mutating func sendDetails(askPhone: Bool) throws {
        var ask = askPhone
        while true {
            if ask || details.phone == nil {
                details.phone = try whileWaiting { try options.secret(.phone, nil, file: nil, prompt: true) }
            }
            guard let problem = try perform("PUT", "/details", json: details) else { return }
            guard interactive, problem.error?.code.hasPrefix("intake.phone") == true else {
                throw refused(problem)
            }
            options.explain(problem)
            ask = true
        }
    }

    /// The reasons, numbered, and the officer's choice.
    private func chooseReason() -> String {
        let reasons = Term.refusalReason.values
        for (index, reason) in reasons.enumerated() {
            FileHandle.standardError.write(
                Data("  \(index + 1). \(options.name(.refusalReason, reason))\n".utf8))
        }
        while true {
            let answer = ask(options.say(.ctlIntakeRefusalChoose, ["count": "\(reasons.count)"]))
            if let number = Int(answer), reasons.indices.contains(number - 1) { return reasons[number - 1] }
        }
    }

    private func printReadBack() {
        guard let readBack = session.readBack else { return }
        let yes = options.say(.ctlIntakeYes)
        let none = options.say(.ctlIntakeNo)
        var lines = [options.say(.ctlIntakeReadbackTitle)]
        let fields: [(MessageKey, String)] = [
            (.ctlIntakeReadbackName, readBack.fullName),
            (.ctlIntakeReadbackDob, localDate(readBack.dateOfBirth)),
            (.ctlIntakeReadbackId, readBack.maskedIDNumber),
            (.ctlIntakeReadbackPhone, readBack.phone ?? none),
            (.ctlIntakeReadbackBundle, options.name(.bundle, readBack.bundle)),
            (.ctlIntakeReadbackPriority, readBack.priorityGroup.map { options.name(.priorityGroup, $0) } ?? none),
            (.ctlIntakeReadbackCommune, readBack.communeCode),
        ]
        // Only what this application has: a bank (3-in-1, 4-in-1), benefits (4-in-1), a hamlet.
        let optional: [(MessageKey, String?)] = [
            (.ctlIntakeReadbackBank, readBack.bankCode),
            (.ctlIntakeReadbackBenefits, readBack.benefits.map { $0.map(benefitName).joined(separator: ", ") }),
            (.ctlIntakeReadbackHamlet, readBack.hamlet),
        ]
        lines += fields.map { "  " + options.say($0.0, ["value": $0.1]) }
        lines += optional.compactMap { key, value in value.map { "  " + options.say(key, ["value": $0]) } }
        for finger in readBack.fingers {
            let name = fingerName(finger.position)
            if let exception = finger.exception {
                lines.append(
                    "  " + options.say(.ctlIntakeReadbackFingerException, ["finger": name, "reason": exception]))
            } else {
                lines.append(
                    "  "
                        + options.say(
                            .ctlIntakeReadbackFinger,
                            ["finger": name, "quality": finger.quality.map { "\($0)" } ?? "?"]
                        ))
            }
        }
        lines.append("  " + options.say(.ctlIntakeReadbackPortrait, ["value": readBack.portraitPresent ? yes : none]))
        printLine(lines.joined(separator: "\n"))
    }

    /// A 4-in-1 benefit by the name the console shows (its wire value when the catalog has none).
    private func benefitName(_ value: String) -> String {
        let ids = [
            "pension": "benefitPension", "socialAllowance": "benefitSocialAllowance",
            "meritAllowance": "benefitMeritAllowance", "unemploymentInsurance": "benefitUnemployment",
            "other": "benefitOther",
        ]
        return ids[value].map { options.name(.consoleText, $0) } ?? value
    }

    /// The priority group the date of birth suggests: said, never set without `--priority`.
    private func suggestPriority() {
        guard command.priority == nil, let suggested = session.suggestedPriorityGroup else { return }
        progress(
            options.say(
                .ctlIntakeSuggestedPriority, ["group": options.name(.priorityGroup, suggested), "value": suggested]))
    }

    /// A value the daemon refused: 422 (the identity, the phone, the bundle) is said as `✗ message [code]` and
    /// ends the command with exit 7, as validation problems do; any other status as `report` says it.
    private func refused(_ problem: ControlClient.Response) -> ExitCode {
        guard problem.status == 422 else { return options.report(problem) }
        if options.json {
            printLine(String(decoding: problem.body, as: UTF8.self))
        } else {
            let code = problem.error?.code ?? "http.422"
            FileHandle.standardError.write(Data("✗ \(problem.error?.message ?? "HTTP 422") [\(code)]\n".utf8))
        }
        return ExitCode(Exit.problems)
    }

    /// `YYYY-MM-DD` as people write it in Vietnam (`DD/MM/YYYY`); English keeps ISO 8601.
    private func localDate(_ iso: String) -> String {
        let parts = iso.split(separator: "-")
        guard options.language != .english, parts.count == 3 else { return iso }
        return "\(parts[2])/\(parts[1])/\(parts[0])"
    }

    /// The finger's name ("ngón trỏ tay phải"), never its ISO number (the number for one the catalog lacks).
    private func fingerName(_ position: Int) -> String {
        let names: [MessageKey] = [
            .fingerRightThumb, .fingerRightIndex, .fingerRightMiddle, .fingerRightRing, .fingerRightLittle,
            .fingerLeftThumb, .fingerLeftIndex, .fingerLeftMiddle, .fingerLeftRing, .fingerLeftLittle,
        ]
        return names.indices.contains(position - 1) ? options.say(names[position - 1]) : "\(position)"
    }

    /// Sends one step. On success the session is updated and nil answered; otherwise the error answer. A card
    /// pulled out meanwhile (the session paused) is waited for, read again and the step sent again (interactive,
    /// when `resumable`).
    private mutating func perform(
        _ method: String, _ path: String, body: Data, contentType: String = "application/json",
        resumable: Bool = true
    ) throws -> ControlClient.Response? {
        while true {
            let response = try options.send(client, method, base + path, body: body, contentType: contentType)
            if (200..<300).contains(response.status) {
                session = try decode(response)
                if interactive && resumable && session.state == "paused" { try resume() }
                return nil
            }
            guard interactive, resumable, try paused(response) else { return response }
            try resume()
        }
    }

    private mutating func perform<T: Encodable>(
        _ method: String, _ path: String, json value: T, resumable: Bool = true
    ) throws -> ControlClient.Response? {
        try perform(method, path, body: try ControlJSON.encoder().encode(value), resumable: resumable)
    }

    /// Whether the session is paused for a pulled card (the step's refusal says so, or the session does).
    private mutating func paused(_ response: ControlClient.Response) throws -> Bool {
        if response.error?.code == "intake.notice.cardPulled" { return true }
        guard let now = try? options.send(client, "GET", base), now.status == 200,
            let current = try? decode(now)
        else { return false }
        if current.state == "paused" {
            session = current
            return true
        }
        return false
    }

    /// Says the card was pulled out (unless it was said at a prompt already), waits for it and reads it again with
    /// the same key: the session resumes.
    private mutating func resume() throws {
        if !pauseNotice.take() { FileHandle.standardError.write(Data((options.say(.intakeCardPulled) + "\n").utf8)) }
        guard let cardRequest else { return }
        while true {
            waitForCard()
            let response = try options.send(
                client, "POST", base + "/card", body: try ControlJSON.encoder().encode(cardRequest))
            if (200..<300).contains(response.status) {
                session = try decode(response)
                return
            }
            let code = response.error?.code ?? ""
            guard response.status == 502 || code == "smartcard.no_card" else { throw options.report(response) }
            Thread.sleep(forTimeInterval: 0.5)
        }
    }

    /// Waits until a reader holds a card (the requests keep the session's connection alive).
    private func waitForCard() {
        progress(options.say(.ctlIntakePlaceCard))
        while true {
            if let readers = try? client.request("GET", "/v1/readers"),
                String(decoding: readers.body, as: UTF8.self).contains(#""cardPresent":true"#)
            {
                return
            }
            Thread.sleep(forTimeInterval: 0.3)
        }
    }

    private func decode(_ response: ControlClient.Response) throws -> IntakeSessionWire {
        try response.decode(IntakeSessionWire.self)
    }

    private func encode(_ session: IntakeSessionWire) -> String {
        (try? ControlJSON.encoder().encode(session)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
    }

    /// The capture attempts of this session, said live on standard error (none with `--json`).
    private func attemptWatch() -> EventWatch? {
        guard !options.json else { return nil }
        let (id, language) = (session.id, options.language)
        return EventWatch(client: options.client()) { _, event in
            guard event.session == id, let line = event.captureAttemptText(language) else { return }
            FileHandle.standardError.write(Data(("  " + line + "\n").utf8))
        }
    }

    private func progress(_ text: String) {
        if !options.json { FileHandle.standardError.write(Data((text + "\n").utf8)) }
    }

    /// Runs `body` (which may wait for the officer at a prompt) with the session watched: a request on its
    /// connection every half second keeps it alive, and a card pulled out meanwhile is said at once ("Thẻ đã bị rút
    /// ra: đặt lại thẻ để tiếp tục"), not only when the officer has answered. The session resumes after the answer.
    private func whileWaiting<T>(_ body: () throws -> T) rethrows -> T {
        guard interactive else {  // `--yes` on a terminal still asks for what is missing: keep the session alive
            let heartbeat = client.heartbeat()
            defer { heartbeat.stop() }
            return try body()
        }
        let notice = pauseNotice
        let text = options.say(.intakeCardPulled)
        let watch = client.heartbeat(path: base, every: 0.5) { answer in
            guard answer.status == 200, (try? answer.decode(IntakeSessionWire.self))?.state == "paused",
                notice.markSaid()
            else { return }
            FileHandle.standardError.write(Data("\n\(text)\n".utf8))
        }
        defer { watch.stop() }
        return try body()
    }

    /// Asks on the terminal; meanwhile a heartbeat keeps the connection (and so the session) alive.
    private func ask(_ prompt: String) -> String {
        FileHandle.standardError.write(Data("\(prompt): ".utf8))
        return whileWaiting { readLine()?.trimmingCharacters(in: .whitespaces) ?? "" }
    }

    /// A yes/no question: yes is `c`, `có`, `y` or `yes`.
    private func confirmed(_ prompt: String) -> Bool {
        ["c", "y", "có", "yes"].contains(ask(prompt).lowercased())
    }
}

/// Whether the officer was told at a prompt that the card was pulled out: said once per pause.
private final class PauseNotice: @unchecked Sendable {
    private let lock = NSLock()
    private var said = false

    /// Marks the pause as said; true the first time (say it then).
    func markSaid() -> Bool {
        lock.withLock {
            defer { said = true }
            return !said
        }
    }

    /// Whether it was said, and forgets it (the session resumes: a later pull is said again).
    func take() -> Bool {
        lock.withLock {
            defer { said = false }
            return said
        }
    }
}
