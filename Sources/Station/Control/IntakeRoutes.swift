import ControlAPI
import Foundation
import Hummingbird
import Intake
import Messages
import NIOCore
import Uplink

/// `/v1/intake`: one session, controlled by the connection that started it.
struct IntakeRoutes {
    let core: StationCore

    func add(to router: Router<StationRequestContext>) {
        router.post("/v1/intake") { request, context in
            try guardProfile(context)
            let body = try await Body.decode(IntakeStartRequest.self, request, core, emptyOK: true)
            let (operatorID, onBehalfBy) = try Self.operatorOfRecord(claimed: body.operatorID, context)
            let place = try IntakeRequests.place(
                commune: body.commune, hamlet: body.hamlet, in: core.configuration.serviceArea)
            try await OperatorGate.refuseIfDisabled(operatorID, core)
            let intake = core.intake
            let connection = context.connection
            let active = await intake.summary.active
            if !active, let rule = await core.upload.freezeViolations().first {
                throw FreezeRefusal.error(rule)
            }
            let session = try await intake.start(
                owner: connection, pid: context.peer?.pid ?? 0, uid: context.peer?.uid, operatorID: operatorID,
                onBehalfBy: onBehalfBy, place: place)
            // A session started on a connection belongs to it: when it closes, the session is abandoned. A console
            // officer's stays until committed or ended (their browser uses several connections).
            if connection.endsWithConnection {
                context.channel.closeFuture.whenComplete { _ in
                    Task { await intake.connectionClosed(connection) }
                }
            }
            return JSONResponse.make(.created, session)
        }
        router.get("/v1/places") { _, context in
            try context.require(.operator)
            let area = core.configuration.serviceArea
            return JSONResponse.make(
                PlacesWire(
                    defaultCommune: area.defaultCommune,
                    communes: area.communes.map { PlacesWire.Commune(code: $0.code, hamlets: $0.hamlets) }))
        }
        router.put("/v1/intake/:session/place") { request, context in
            try guardProfile(context)
            let body = try await Body.decode(IntakePlaceRequest.self, request, core)
            try await core.intake.checkControl(session(context), owner: context.connection)
            let place = try IntakeRequests.place(
                commune: body.commune, hamlet: body.hamlet, in: core.configuration.serviceArea)
            return JSONResponse.make(
                try await core.intake.choosePlace(session(context), owner: context.connection, place: place))
        }
        router.get("/v1/intake/:session") { _, context in
            try guardProfile(context)
            return JSONResponse.make(try await core.intake.get(session(context)))
        }
        router.post("/v1/intake/:session/card") { request, context in
            try guardProfile(context)
            let body = try await Body.decode(CardReadRequest.self, request, core)
            try await core.intake.checkControl(session(context), owner: context.connection)
            let key = try IntakeRequests.accessKey(body)
            return JSONResponse.make(
                try await core.intake.readCard(
                    session(context), owner: context.connection, key: key, reader: body.reader))
        }
        router.post("/v1/intake/:session/identity") { request, context in
            try guardProfile(context)
            let body = try await Body.decode(TypedIdentityRequest.self, request, core)
            try await core.intake.checkControl(session(context), owner: context.connection)
            let identity = try IntakeRequests.identity(body, today: CalendarDate(vietnamDayOf: Date()))
            return JSONResponse.make(
                try await core.intake.typeIdentity(session(context), owner: context.connection, identity: identity))
        }
        router.get("/v1/banks") { _, context in
            try context.require(.operator)
            return JSONResponse.make(IntakeRequests.banks)
        }
        router.post("/v1/intake/:session/fingers") { request, context in
            try guardProfile(context)
            let body = try await Body.decode(FingerRequest.self, request, core)
            try await core.intake.checkControl(session(context), owner: context.connection)
            let (finger, exception) = try IntakeRequests.finger(body)
            if let exception {
                let supervisor = context.role >= .supervisor ? context.peer?.userName : nil
                if let approval = IntakeRequests.exceptionApproval(body, supervisor: supervisor) {
                    return JSONResponse.make(
                        try await core.intake.recordFingerException(
                            session(context), owner: context.connection, finger: finger, reason: exception,
                            approval: approval))
                }
                // The officer's request waits for a supervisor at another screen (`/v1/exceptions`): 202.
                try ExceptionRoutes.checkLength(body.exceptionReason ?? "")
                return ExceptionRoutes.awaitingSupervisor(
                    try await core.intake.requestFingerException(
                        session(context), owner: context.connection, finger: finger, reason: exception,
                        note: body.exceptionReason ?? ""),
                    context)
            }
            return JSONResponse.make(
                try await core.intake.captureFinger(
                    session(context), owner: context.connection, finger: finger, scanner: body.scanner))
        }
        router.delete("/v1/intake/:session/exceptions/:finger") { _, context in
            try guardProfile(context)
            try await core.intake.checkControl(session(context), owner: context.connection)
            let finger = try ExceptionRoutes.finger(context)
            return JSONResponse.make(
                try await core.intake.withdrawFingerException(
                    session(context), owner: context.connection, finger: finger))
        }
        router.put("/v1/intake/:session/portrait") { request, context in
            try guardProfile(context)
            let photo = try await Body.collect(request, core, limit: core.configuration.maxPortraitBytes)
            try await core.intake.checkControl(session(context), owner: context.connection)
            let portrait = try await IntakeRequests.portrait(photo)
            return JSONResponse.make(
                try await core.intake.attachPortrait(session(context), owner: context.connection, portrait: portrait))
        }
        router.put("/v1/intake/:session/details") { request, context in
            try guardProfile(context)
            let body = try await Body.decode(DetailsRequest.self, request, core)
            let supervisor = context.role >= .supervisor ? context.peer?.userName : nil
            try await core.intake.checkControl(session(context), owner: context.connection)
            let details = try IntakeRequests.details(
                body, supervisor: supervisor, withoutCard: await core.intake.isWithoutCard(session(context)))
            return JSONResponse.make(
                try await core.intake.setDetails(session(context), owner: context.connection, details: details))
        }
        router.post("/v1/intake/:session/refusal") { request, context in
            try guardProfile(context)
            let body = try await Body.decode(RefusalRequest.self, request, core)
            let (eligibility, note, confirmed) = try IntakeRequests.refusal(body)
            return JSONResponse.make(
                try await core.intake.recordRefusal(
                    session(context), owner: context.connection, eligibility: eligibility, note: note,
                    confirmed: confirmed))
        }
        router.post("/v1/intake/:session/review") { _, context in
            try guardProfile(context)
            return JSONResponse.make(
                try await core.intake.review(session(context), owner: context.connection))
        }
        router.post("/v1/intake/:session/commit") { request, context in
            try guardProfile(context)
            let body = try await Body.decode(IntakeCommitRequest.self, request, core, emptyOK: true)
            var answer = try await core.intake.commit(
                session(context), owner: context.connection, readBack: body.readBackRevision)
            // The receipt's short reference, given by the queue in the commit's transaction.
            if answer.state == "committed", let id = answer.applicationID.flatMap({ ApplicationID($0) }) {
                answer.reference = try? await core.store.run { try $0.reference(of: id) }?.description
            }
            return JSONResponse.make(answer)
        }
        router.delete("/v1/intake/:session") { _, context in
            try guardProfile(context)
            let id = session(context)
            do {
                return JSONResponse.make(try await core.intake.abandon(id, owner: context.connection))
            } catch IntakeFailure.busy where context.role >= .supervisor {
                // Another client holds it: a supervisor (or root) may end it, audited.
                let name = context.peer?.userName ?? "unknown"
                return JSONResponse.make(
                    try await core.intake.endHeldSession(id, supervisor: name, uid: context.peer?.uid))
            }
        }
    }

    /// The operator recorded on the application: always the authenticated caller (SO_PEERCRED's uid, its user
    /// name). A client may name another operator only as a supervisor taking the intake on that operator's behalf;
    /// the commit is then audited as `intake_on_behalf` by the supervisor. Anyone else naming someone else: 400
    /// `control.operator_not_caller`.
    static func operatorOfRecord(claimed: String?, _ context: StationRequestContext) throws(APIError)
        -> (operatorID: String, onBehalfBy: String?)
    {
        let caller = context.peer?.userName ?? "unknown"
        guard let claimed, !claimed.isEmpty, claimed != caller else { return (caller, nil) }
        guard context.role >= .supervisor else {
            throw APIError(
                .badRequest, code: ControlErrorCode.operatorNotCaller,
                Message(.controlOperatorNotCaller, ["caller": caller]))
        }
        let allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-@")
        guard claimed.count <= 64, claimed.allSatisfy({ allowed.contains($0) }) else {
            throw APIError(.badRequest, Message(.controlOperatorIdInvalid))
        }
        return (claimed, caller)
    }

    private func guardProfile(_ context: StationRequestContext) throws(APIError) {
        try context.require(.operator)
        guard core.configuration.profile == .intake else {
            throw APIError(.unavailable, Message(.controlHealthProfile))
        }
    }

    private func session(_ context: StationRequestContext) -> String {
        context.parameters.get("session") ?? ""
    }
}

/// A broken freeze rule as a control error: 409 with the rule's stable code (`freeze.no_sync`,
/// `freeze.too_many_pending`, `freeze.low_disk`) and its message from the catalog.
enum FreezeRefusal {
    static func error(_ rule: FreezeRules.Violation) -> APIError {
        APIError(.conflict, moduleCode: rule.code, text: { rule.message($0) })
    }
}
