import ControlAPI
import Foundation
import Hummingbird
import Intake
import Queue

/// `/v1/queue`: list with filters and paging, show, hold, release, cancel, retry.
struct QueueRoutes {
    let core: StationCore

    func add(to router: Router<StationRequestContext>) {
        router.get("/v1/queue") { request, context in try await list(request, context) }
        router.get("/v1/queue/:id") { request, context in try await show(request, context) }
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
                .unprocessableContent, code: QueueError.Code.reasonRequired.rawValue,
                vi: "Cần ghi mã lý do (\(codes)).",
                en: "A reason code is required (\(codes)).")
        }
        do {
            return try OperatorReason(code: code)
        } catch {
            throw APIError(
                .unprocessableContent, code: QueueError.Code.unknownReason.rawValue,
                vi: "Mã lý do phải là một trong: \(codes). Ghi nội dung tự do vào \"note\" (được mã hóa).",
                en: "The reason code must be one of: \(codes). Free text goes in \"note\" (stored sealed).")
        }
    }

    private func list(_ request: Request, _ context: StationRequestContext) async throws -> Response {
        try context.require(.operator)
        let query = request.uri.queryParameters
        var filter = QueueFilter()
        if let states = query.get("state") {
            for name in states.split(separator: ",") {
                guard let state = LocalState(rawValue: String(name)) else {
                    throw APIError(
                        .badRequest, vi: "Trạng thái không hợp lệ: \(name).", en: "Unknown state: \(name).")
                }
                filter.localStates.insert(state)
            }
        }
        if let states = query.get("central") {
            for name in states.split(separator: ",") {
                guard let state = CentralState.Kind(rawValue: String(name)) else {
                    throw APIError(
                        .badRequest, vi: "Trạng thái không hợp lệ: \(name).", en: "Unknown state: \(name).")
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
                throw APIError(.badRequest, vi: "limit phải từ 1 đến 500.", en: "limit must be 1...500.")
            }
            limit = value
        }
        var cursor: QueueCursor?
        if let token = query.get("after") {
            guard let found = core.cursors.cursor(token) else {
                // Well-formed but not (or no longer) known: not found, not a malformed request.
                throw APIError(
                    .notFound, vi: "Con trỏ trang đã hết hạn.", en: "Unknown or expired cursor.")
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
        let id = try Self.id(context)
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
        let id = try Self.id(context)
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
    private func storeCall<T: Sendable>(_ body: @escaping @Sendable (ApplicationQueue) throws -> T)
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
        let vi: String =
            switch error.code {
            case .notFound: "Không tìm thấy hồ sơ."
            case .illegalTransition: "Không chuyển được trạng thái hồ sơ từ trạng thái hiện tại."
            case .duplicate: "Công dân đã có hồ sơ đang xử lý."
            case .purged: "Dữ liệu hồ sơ đã được xóa theo thời hạn lưu trữ."
            case .notPermitted: "Cần quyền cán bộ giám sát."
            case .reasonRequired: "Cần ghi mã lý do."
            case .unknownReason: "Mã lý do không hợp lệ."
            case .diskFull:
                if let short = error.shortfall {
                    "Ổ đĩa chứa kho hồ sơ (\(short.directory)) còn \(short.freeBytes >> 20) MiB, cần ít nhất "
                        + "\((short.neededBytes + (1 << 20) - 1) >> 20) MiB. Giải phóng "
                        + "\((short.neededBytes - short.freeBytes + (1 << 20) - 1) >> 20) MiB (xuất hồ sơ đã gửi, xóa "
                        + "tệp không cần) rồi thử lại; hồ sơ đã lưu không bị mất."
                } else {
                    "Ổ đĩa chứa kho hồ sơ đã đầy; không ghi được. Giải phóng dung lượng rồi thử lại; hồ sơ đã lưu không "
                        + "bị mất."
                }
            case .storeDamaged:
                "Kho hồ sơ của trạm bị hỏng. Ngừng tiếp nhận và báo kỹ thuật viên (stationd run sẽ từ chối khởi động)."
            default: "Lỗi kho dữ liệu của trạm."
            }
        return APIError(status, code: error.code.rawValue, vi: vi, en: error.reason)
    }

    static func id(_ context: StationRequestContext) throws(APIError) -> ApplicationID {
        guard let text = context.parameters.get("id"), let id = ApplicationID(text) else {
            throw APIError(
                .badRequest, vi: "Mã hồ sơ không hợp lệ.", en: "The application id is not a UUID.")
        }
        return id
    }

    static func actor(_ context: StationRequestContext) -> QueueActor {
        let name = context.peer?.userName ?? "unknown"
        return context.role >= .supervisor
            ? .supervisor(OperatorID(name), uid: context.peer?.uid) : .officer(OperatorID(name), uid: context.peer?.uid)
    }

    static func date(_ text: String, _ name: String) throws(APIError) -> Date {
        if let day = CalendarDate(iso: text) {
            // Midnight in Vietnam (UTC+7).
            return Date(timeIntervalSince1970: Double(day.daysSinceEpoch) * 86_400 - 7 * 3600)
        }
        if let date = ISO8601DateFormatter().date(from: text) { return date }
        throw APIError(
            .badRequest, vi: "\(name): ngày không hợp lệ.", en: "\(name): not a date (YYYY-MM-DD).")
    }

    static func wire(_ item: QueueItem) -> QueueItemWire {
        var reason: String?
        if case .rejected(let text) = item.status.central { reason = text }
        return QueueItemWire(
            id: item.id.text, local: item.status.local.rawValue,
            central: item.status.central.kind.rawValue,
            centralReason: reason, capturedAt: item.capturedAt, communeCode: item.communeCode,
            operatorID: item.operatorID, bundle: item.bundle, attempts: item.attempts, purged: item.purged
        )
    }
}

/// Request bodies: collected with the configured limit, decoded with typed errors.
enum Body {
    static func collect(_ request: Request, _ core: StationCore) async throws -> Data {
        let limit = core.configuration.maxBodyBytes
        if let length = request.headers[.contentLength].flatMap(Int.init), length > limit {
            throw APIError(
                .tooLarge, vi: "Dữ liệu gửi lên quá lớn.", en: "The request body is too large.")
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
            throw APIError(
                .badRequest, vi: "Dữ liệu JSON không hợp lệ (\(detail)).",
                en: "Invalid JSON body: \(detail).")
        }
    }
}
