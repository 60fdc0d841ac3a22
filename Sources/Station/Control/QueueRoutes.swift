import ControlAPI
import Foundation
import Hummingbird
import Intake
import Messages
import Queue

/// `/v1/queue`: list with filters and paging, show, the receipt, hold, release, cancel, retry. An application is
/// named by its id or its short reference.
struct QueueRoutes {
    let core: StationCore

    func add(to router: Router<StationRequestContext>) {
        router.get("/v1/queue") { request, context in try await list(request, context) }
        router.get("/v1/queue/:id") { request, context in try await show(request, context) }
        router.get("/v1/queue/:id/receipt") { _, context in
            try context.require(.operator)
            let id = try await resolve(context)
            let actor = Self.actor(context)
            let receipt = try await storeCall { try $0.receipt(id, as: actor) }
            return JSONResponse.make(
                ApplicationReceiptWire(
                    id: receipt.id.text, reference: receipt.reference.description, fullName: receipt.fullName,
                    capturedAt: receipt.capturedAt, bundle: receipt.bundle, placeName: receipt.placeName,
                    communeCode: receipt.communeCode, printer: core.configuration.receiptPrinter))
        }
        router.post("/v1/queue/:id/hold") { request, context in
            try context.require(.supervisor)
            let body = try await Body.decode(QueueActionRequest.self, request, core)
            let reason = try Self.reason(body)
            return try await act(context) { queue, id, actor in
                try queue.hold(id, by: actor, reason: reason, note: body.note)
            }
        }
        router.post("/v1/queue/:id/release") { _, context in
            try context.require(.operator)
            return try await act(context) { queue, id, actor in try queue.release(id, by: actor) }
        }
        router.post("/v1/queue/:id/cancel") { request, context in
            try context.require(.supervisor)
            let body = try await Body.decode(QueueActionRequest.self, request, core)
            let reason = try Self.reason(body)
            return try await act(context) { queue, id, actor in
                try queue.cancel(id, by: actor, reason: reason, note: body.note)
            }
        }
        router.post("/v1/queue/:id/retry") { _, context in
            try context.require(.operator)
            return try await act(context) { queue, id, actor in try queue.retry(id, by: actor) }
        }
    }

    /// The reason code of a hold or cancel: required, one of `OperatorReason` (422 otherwise, naming the codes;
    /// the text given is never echoed back or kept in clear).
    static func reason(_ body: QueueActionRequest) throws(APIError) -> OperatorReason {
        let codes = OperatorReason.allCases.map(\.rawValue).joined(separator: ", ")
        guard let code = body.reason, !code.trimmingCharacters(in: .whitespaces).isEmpty else {
            throw APIError(
                .unprocessableContent, moduleCode: QueueError.Code.reasonRequired.rawValue,
                Message(.controlReasonRequired, ["codes": codes]))
        }
        do {
            return try OperatorReason(code: code)
        } catch {
            throw APIError(
                .unprocessableContent, moduleCode: QueueError.Code.unknownReason.rawValue,
                Message(.controlUnknownReason, ["codes": codes]))
        }
    }

    private func list(_ request: Request, _ context: StationRequestContext) async throws -> Response {
        try context.require(.operator)
        let query = request.uri.queryParameters
        var filter = QueueFilter()
        if let states = query.get("state") {
            for name in states.split(separator: ",") {
                guard let state = LocalState(rawValue: String(name)) else {
                    throw APIError(.badRequest, Message(.controlUnknownState, ["name": String(name)]))
                }
                filter.localStates.insert(state)
            }
        }
        if let states = query.get("central") {
            for name in states.split(separator: ",") {
                guard let state = CentralState.Kind(rawValue: String(name)) else {
                    throw APIError(.badRequest, Message(.controlUnknownState, ["name": String(name)]))
                }
                filter.centralStates.insert(state)
            }
        }
        filter.communeCode = query.get("commune")
        filter.operatorID = query.get("operator")
        if let from = query.get("from") { filter.from = try Self.date(from, "from") }
        if let until = query.get("until") { filter.until = try Self.date(until, "until") }
        var limit = 50
        if let text = query.get("limit") {
            guard let value = Int(text), (1...500).contains(value) else {
                throw APIError(.badRequest, Message(.controlLimitInvalid))
            }
            limit = value
        }
        var cursor: QueueCursor?
        if let token = query.get("after") {
            guard let found = core.cursors.cursor(token) else {
                // Well-formed but not (or no longer) known: not found, not a malformed request.
                throw APIError(.notFound, Message(.controlCursorExpired))
            }
            cursor = found
        }
        let chosenFilter = filter
        let chosenLimit = limit
        let chosenCursor = cursor
        let page = try await storeCall {
            try $0.list(chosenFilter, limit: chosenLimit, after: chosenCursor)
        }
        return JSONResponse.make(
            QueuePageWire(items: page.items.map(Self.wire), next: core.cursors.token(for: page.next)))
    }

    private func show(_ request: Request, _ context: StationRequestContext) async throws -> Response {
        try context.require(.operator)
        let id = try await resolve(context)
        let unmasked = request.uri.queryParameters.get("unmasked") == "true"
        if unmasked { try context.require(.supervisor) }
        let actor = Self.actor(context)
        let (view, history) = try await storeCall { queue in
            let view = try queue.show(id, as: actor, unmasked: unmasked)
            return (view, try queue.history(id, as: actor, withNotes: unmasked))
        }
        return JSONResponse.make(
            ApplicationDetailWire(
                item: Self.wire(view.item), unmasked: view.unmasked, idNumber: view.idNumber,
                fullName: view.fullName, dateOfBirth: view.dateOfBirth, phone: view.phone,
                fingerprints: view.fingerprints, authenticity: view.authenticity.rawValue,
                priorityGroup: view.priorityGroup?.rawValue, placeName: view.placeName,
                history: history.map {
                    HistoryLineWire(
                        at: $0.at, actor: $0.actor, action: $0.action, from: $0.from, to: $0.to,
                        reason: $0.reasonCode, hasNote: $0.hasNote, note: $0.note)
                }))
    }

    private func act(
        _ context: StationRequestContext,
        _ body:
            @escaping @Sendable (ApplicationQueue, ApplicationID, QueueActor) throws -> ApplicationStatus
    ) async throws -> Response {
        let id = try await resolve(context)
        let actor = Self.actor(context)
        let status = try await storeCall { try body($0, id, actor) }
        core.hub.publish(
            StationEvent(
                type: "queue.changed", state: status.local.rawValue, applicationID: id.text, at: Date()))
        return JSONResponse.make(
            QueueActionResult(
                id: id.text, local: status.local.rawValue, central: status.central.kind.rawValue))
    }

    /// Runs a queue call, mapping its errors to HTTP.
    func storeCall<T: Sendable>(_ body: @escaping @Sendable (ApplicationQueue) throws -> T)
        async throws -> T
    {
        do {
            return try await core.store.run(body)
        } catch let error as QueueError {
            throw Self.map(error)
        }
    }

    static func map(_ error: QueueError) -> APIError {
        let status: HTTPResponse.Status =
            switch error.code {
            case .notFound: .notFound
            case .illegalTransition, .duplicate, .purged: .conflict
            case .notPermitted: .forbidden
            case .reasonRequired, .unknownReason: .unprocessableContent
            case .diskFull: HTTPResponse.Status(code: 507, reasonPhrase: "Insufficient Storage")
            case .storeDamaged, .storeMissing: .serviceUnavailable
            default: .internalServerError
            }
        let message: Message =
            switch error.code {
            case .notFound: Message(.queueNotFound)
            case .illegalTransition: Message(.queueIllegalTransition)
            case .duplicate: Message(.queueDuplicate)
            case .purged: Message(.queuePurged)
            case .notPermitted: Message(.queueNotPermitted)
            case .reasonRequired: Message(.queueReasonRequired)
            case .unknownReason: Message(.queueUnknownReason)
            case .diskFull:
                if let short = error.shortfall {
                    Message(
                        .queueDiskFull,
                        [
                            "directory": short.directory, "free": "\(short.freeBytes >> 20)",
                            "needed": "\((short.neededBytes + (1 << 20) - 1) >> 20)",
                            "missing": "\((short.neededBytes - short.freeBytes + (1 << 20) - 1) >> 20)",
                        ])
                } else {
                    Message(.queueDiskFullUnmeasured)
                }
            case .storeDamaged: Message(.queueStoreDamaged)
            default: Message(.queueStorage)
            }
        // The store's own reason goes to the technician as the detail; the text is the catalog's.
        return APIError(status, moduleCode: error.code.rawValue, message, detail: error.reason)
    }

    /// The application the path names: by its id (a UUID) or by its short reference as people type it (any case,
    /// with or without the dash). A reference whose check character fails names no application: 404
    /// `reference.check` with what to check; a malformed one (length, characters): 400 with its code; a well-formed
    /// one no application here has: 404 `queue.not_found`.
    func resolve(_ context: StationRequestContext) async throws -> ApplicationID {
        guard let text = context.parameters.get("id")?.removingPercentEncoding, !text.isEmpty else {
            throw APIError(.badRequest, Message(.controlApplicationIdInvalid))
        }
        if let id = ApplicationID(text) { return id }
        let reference: ShortReference
        do throws(ShortReferenceError) {
            reference = try ShortReference.parse(text)
        } catch {
            // Eight valid characters whose check fails name no application (404); anything else is malformed (400).
            throw APIError(
                error.code == .check ? .notFound : .badRequest, moduleCode: error.code.rawValue, error.message)
        }
        return try await storeCall { try $0.applicationID(for: reference) }
    }

    static func actor(_ context: StationRequestContext) -> QueueActor {
        let name = context.peer?.userName ?? "unknown"
        return context.role >= .supervisor
            ? .supervisor(OperatorID(name), uid: context.peer?.uid) : .officer(OperatorID(name), uid: context.peer?.uid)
    }

    static func date(_ text: String, _ name: String) throws(APIError) -> Date {
        if let day = CalendarDate(iso: text) {
            return day.vietnamMidnight
        }
        if let date = ISO8601DateFormatter().date(from: text) { return date }
        throw APIError(.badRequest, Message(.controlDateFieldInvalid, ["name": name]))
    }

    static func wire(_ item: QueueItem) -> QueueItemWire {
        var reason: String?
        if case .rejected(let text) = item.status.central { reason = text }
        return QueueItemWire(
            id: item.id.text, local: item.status.local.rawValue,
            central: item.status.central.kind.rawValue,
            centralReason: reason, capturedAt: item.capturedAt, communeCode: item.communeCode,
            operatorID: item.operatorID, bundle: item.bundle, attempts: item.attempts, purged: item.purged,
            reference: item.reference?.description)
    }
}

/// Request bodies: collected with the configured limit, decoded with typed errors.
enum Body {
    /// The request's body, at most `limit` bytes (the configuration's `maxBodyBytes` unless given): 413 beyond.
    static func collect(_ request: Request, _ core: StationCore, limit: Int? = nil) async throws -> Data {
        let limit = limit ?? core.configuration.maxBodyBytes
        if let length = request.headers[.contentLength].flatMap(Int.init), length > limit {
            throw APIError(.tooLarge, Message(.controlBodyTooLarge))
        }
        // Counted against the body-memory budget as it arrives (503/429 when it does not fit).
        return try await BodyReservation.collect(
            request.body, declared: request.headers[.contentLength].flatMap(Int.init), limit: limit)
    }

    static func decode<T: Decodable>(
        _ type: T.Type, _ request: Request, _ core: StationCore, emptyOK: Bool = false
    )
        async throws -> T
    {
        let data = try await collect(request, core)
        let input = data.isEmpty && emptyOK ? Data("{}".utf8) : data
        do {
            return try ControlJSON.decoder().decode(type, from: input)
        } catch let error as DecodingError {
            let detail: String =
                switch error {
                case .typeMismatch(_, let c), .valueNotFound(_, let c):
                    "wrong type at \(c.codingPath.map(\.stringValue).joined(separator: "."))"
                case .keyNotFound(let key, _): "missing key \(key.stringValue)"
                case .dataCorrupted: "not valid JSON"
                @unknown default: "invalid body"
                }
            throw APIError(.badRequest, Message(.controlJsonInvalid, ["detail": detail]))
        }
    }
}
