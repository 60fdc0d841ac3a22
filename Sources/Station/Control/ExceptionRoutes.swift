import ControlAPI
import Foundation
import Hummingbird
import Intake
import Messages

/// `/v1/exceptions`: the finger exceptions officers asked for, waiting for a supervisor (MOSIP: skipping a finger is
/// never the officer's decision alone). A supervisor at any screen or terminal lists them and confirms or declines
/// one with a reason; the supervisor is the authenticated caller, never a name in the body. Operators: 403.
struct ExceptionRoutes {
    let core: StationCore

    func add(to router: Router<StationRequestContext>) {
        router.get("/v1/exceptions") { _, context in
            try guardSupervisor(context)
            let language: Language = context.english ? .english : .vietnamese
            let items = await core.intake.pendingFingerExceptions.map { entry in
                var item = FingerExceptionWire(entry.request)
                item.session = entry.session
                item.fingerName = entry.request.finger.name.text(language)
                item.exceptionName = Term.fingerException.name(entry.request.exception.rawValue, language)
                item.maskedIDNumber = entry.identity.idNumber.masked
                item.initials = Self.initials(entry.identity.fullName)
                return item
            }
            return JSONResponse.make(items)
        }
        for (verb, confirm) in [("confirm", true), ("decline", false)] {
            router.post("/v1/exceptions/:session/:finger/\(verb)") { request, context in
                try guardSupervisor(context)
                let body = try await Body.decode(ExceptionDecisionRequest.self, request, core)
                let finger = try Self.finger(context)
                let reason = body.reason.trimmingCharacters(in: .whitespacesAndNewlines)
                guard !reason.isEmpty else { throw APIError(IntakeFailure.refused(.exceptionReasonMissing)) }
                try Self.checkLength(reason)
                let supervisor = context.peer?.userName ?? "unknown"
                return JSONResponse.make(
                    try await core.intake.decideFingerException(
                        context.parameters.get("session") ?? "", finger: finger, confirm: confirm,
                        approval: SupervisorOverride(supervisor: OperatorID(supervisor), reason: reason),
                        uid: context.peer?.uid))
            }
        }
    }

    private func guardSupervisor(_ context: StationRequestContext) throws(APIError) {
        try context.require(.supervisor)
        guard core.configuration.profile == .intake else {
            throw APIError(.unavailable, Message(.controlHealthProfile))
        }
    }

    /// The finger of the path (ISO position 1...10); 400 `control.bad_request` otherwise.
    static func finger(_ context: StationRequestContext) throws(APIError) -> FingerPosition {
        guard let position = context.parameters.get("finger").flatMap(Int.init).flatMap(FingerPosition.init) else {
            throw APIError(.badRequest, Message(.controlFingerInvalid))
        }
        return position
    }

    /// The officer's answer to an exception request: 202, the session as it goes on, and what to tell the officer.
    static func awaitingSupervisor(_ session: IntakeSessionWire, _ context: StationRequestContext) -> Response {
        var answer = session
        let notice = IntakeSession.Notice.exceptionAwaitsSupervisor
        answer.notice = ValidationProblem(
            code: "intake.notice.\(notice.rawValue)",
            message: notice.message.text(context.english ? .english : .vietnamese))
        return JSONResponse.make(.accepted, answer)
    }

    /// The longest note or reason taken (characters).
    static let maximumText = 500

    /// A note or reason longer than `maximumText`: 400 `intake.exception_text_too_long`.
    static func checkLength(_ text: String) throws(APIError) {
        guard text.count <= maximumText else {
            throw APIError(
                .badRequest, moduleCode: MessageKey.intakeExceptionTextTooLong.rawValue,
                Message(.intakeExceptionTextTooLong))
        }
    }

    /// A name's initials ("Nguyễn Văn An" → "N.V.A."): enough for a supervisor to know the citizen at the desk.
    static func initials(_ fullName: String) -> String {
        fullName.split(separator: " ").compactMap { $0.first.map { "\($0)." } }.joined()
    }
}

extension FingerExceptionWire {
    /// A request as its session shows it (the officer's view: status and the supervisor's reason once decided).
    init(_ request: IntakeSession.ExceptionRequest) {
        let status = request.decision.map { $0.confirmed ? "confirmed" : "declined" } ?? "pending"
        self.init(
            finger: request.finger.rawValue, exception: request.exception.rawValue, note: request.note,
            requestedBy: request.requestedBy.rawValue, requestedAt: request.requestedAt, status: status)
        decidedBy = request.decision?.by.supervisor.rawValue
        decisionReason = request.decision?.by.reason
        decidedAt = request.decision?.at
    }
}
