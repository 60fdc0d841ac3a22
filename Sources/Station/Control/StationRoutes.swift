import ControlAPI
import Foundation
import Hummingbird
import Intake
import NIOCore

/// Status, devices, upload, export, reports, verify, events and metrics.
struct StationRoutes {
    let core: StationCore

    func add(to router: Router<StationRequestContext>) {
        router.get("/v1/status") { _, context in
            try context.require(.operator)
            return JSONResponse.make(try await core.status())
        }
        router.get("/v1/readers") { _, context in
            try context.require(.operator)
            return JSONResponse.make(core.devices.readers)
        }
        router.get("/v1/fingerprint") { _, context in
            try context.require(.operator)
            return JSONResponse.make(core.devices.scanners)
        }
        router.get("/v1/upload") { _, context in
            try context.require(.operator)
            return JSONResponse.make(await core.upload.status())
        }
        router.post("/v1/upload") { _, context in
            try context.require(.operator)
            let id = try await core.upload.startNow()
            return JSONResponse.make(.accepted, JobAccepted(id: id, poll: ControlPaths.upload))
        }
        router.post("/v1/export") { request, context -> Response in
            try context.require(.supervisor)
            let body = try await Body.decode(ExportRequest.self, request, core)
            return JSONResponse.make(try await core.upload.export(to: body.to ?? ""))
        }
        router.get("/v1/reports/:period") { request, context in
            try context.require(.operator)
            return try await report(request, context)
        }
        router.post("/v1/verify") { request, context in
            try context.require(.operator)
            let body = try await Body.decode(CardReadRequest.self, request, core)
            let key = try IntakeCoordinator.accessKey(body)
            if let named = body.reader, !core.devices.readers.contains(where: { $0.name == named }) {
                throw APIError(
                    .notFound, code: ControlErrorCode.unknownReader, vi: "Không có đầu đọc thẻ tên này.",
                    en: "No card reader of that name.")
            }
            guard let reader = body.reader ?? core.devices.firstReaderWithCard else {
                throw APIError(
                    .conflict, code: "smartcard.no_card", vi: "Chưa có thẻ trên đầu đọc.",
                    en: "No card on any reader.")
            }
            let card = try await IntakeCoordinator.read(
                reader: reader, key: key, timeout: core.configuration.cardTimeout,
                trustList: core.configuration.trustList, files: IntakeCoordinator.checkInFiles)
            let identity = card.identity
            let today = CalendarDate(vietnamDayOf: Date())
            let expired = identity.expiry.map { $0 < today } ?? false
            let accept = card.authenticity == .genuine && identity.consistency != .mismatch && !expired
            core.hub.publish(
                StationEvent(
                    type: "verify.done", reader: reader, state: accept ? "accept" : "refer", at: Date()))
            return JSONResponse.make(
                VerifyResult(
                    maskedIDNumber: identity.idNumber.masked,
                    initials: identity.fullName.split(separator: " ").compactMap { $0.first.map { "\($0)." } }
                        .joined(separator: " "),
                    yearOfBirth: identity.dateOfBirth.year, authenticity: card.authenticity.rawValue,
                    verdict: accept ? "accept" : "refer"))
        }
        router.get("/v1/events") { _, context in
            try context.require(.operator)
            return events()
        }
        router.get("/metrics") { _, context in
            try context.require(.operator)
            StationMetric.scrape(
                queue: try? await core.queueCounts().byState, subscribers: core.hub.subscriberCount,
                readers: core.devices.readers.count, scanners: core.devices.scanners.count,
                uptime: Date().timeIntervalSince(core.startedAt))
            var headers = HTTPFields()
            headers[.contentType] = "text/plain; version=0.0.4"
            return Response(
                status: .ok, headers: headers,
                body: ResponseBody(byteBuffer: ByteBuffer(string: core.metrics.render())))
        }
    }

    private func report(_ request: Request, _ context: StationRequestContext) async throws -> Response {
        let period = context.parameters.get("period") ?? ""
        let day: CalendarDate
        if let text = request.uri.queryParameters.get("date") {
            guard let parsed = CalendarDate(iso: text) else {
                throw APIError(
                    .badRequest, vi: "Ngày không hợp lệ (YYYY-MM-DD).", en: "date must be YYYY-MM-DD.")
            }
            day = parsed
        } else {
            day = CalendarDate(vietnamDayOf: Date())
        }
        let from: CalendarDate
        let through: CalendarDate
        switch period {
        case "daily":
            from = day
            through = day
        case "weekly":
            // 1970-01-01 was a Thursday: Monday-based weekday index = (days + 3) mod 7.
            let weekday = ((day.daysSinceEpoch + 3) % 7 + 7) % 7
            from = day.adding(days: -weekday)
            through = from.adding(days: 4)
        default:
            throw APIError(
                .notFound, vi: "Báo cáo: daily hoặc weekly.", en: "Report must be daily or weekly.")
        }
        let lines = try await core.store.run { try $0.communeReport(from: from, through: through) }
        return JSONResponse.make(
            ReportWire(
                period: period, from: from.iso, through: through.iso,
                lines: lines.map {
                    ReportLineWire(
                        communeCode: $0.communeCode, taken: $0.taken, pending: $0.pending,
                        accepted: $0.accepted,
                        activated: $0.activated, rejected: $0.rejected)
                }))
    }

    /// Server-Sent Events: station events as they happen, a comment every 15 s so dead clients are noticed.
    private func events() -> Response {
        let subscription = core.hub.subscribe()
        var headers = HTTPFields()
        headers[.contentType] = "text/event-stream"
        headers[.cacheControl] = "no-cache"
        return Response(
            status: .ok, headers: headers,
            body: ResponseBody { writer in
                let (lines, sink) = AsyncStream<String>.makeStream(bufferingPolicy: .bufferingNewest(512))
                let forward = Task {
                    for await event in subscription {
                        let data = (try? ControlJSON.encoder().encode(event)).map {
                            String(decoding: $0, as: UTF8.self)
                        }
                        sink.yield("event: \(event.type)\ndata: \(data ?? "{}")\n\n")
                    }
                    sink.finish()
                }
                let heartbeat = Task {
                    while !Task.isCancelled {
                        try? await Task.sleep(for: .seconds(15))
                        sink.yield(": keep-alive\n\n")
                    }
                }
                defer {
                    forward.cancel()
                    heartbeat.cancel()
                }
                try await writer.write(ByteBuffer(string: ": stationd events\n\n"))
                for await line in lines {
                    try await writer.write(ByteBuffer(string: line))
                }
                try await writer.finish(nil)
            })
    }
}

/// `POST /v1/export` body.
struct ExportRequest: Decodable, Sendable {
    /// Absolute target folder (the mounted removable medium); checked after the uplink is known configured.
    var to: String?
}
