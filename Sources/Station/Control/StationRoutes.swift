import ChipID
import ControlAPI
import Foundation
import Hummingbird
import Intake
import Messages
import NIOCore
import Queue

/// Status, devices, upload, export, reports, verify, events and metrics.
struct StationRoutes {
    let core: StationCore

    func add(to router: Router<StationRequestContext>) {
        router.get("/v1/status") { _, context in
            try context.require(.operator)
            var status = try await core.status()
            status.uplink.stall = status.uplink.stall?.said(in: context.callerLanguage)
            return JSONResponse.make(status)
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
            var status = await core.upload.status()
            status.stall = status.stall?.said(in: context.callerLanguage)
            return JSONResponse.make(status)
        }
        router.get(RouterPath(ControlPaths.uploadProbe)) { _, context in
            try context.require(.operator)
            return JSONResponse.make(await core.upload.probe())
        }
        router.post("/v1/upload") { _, context in
            try context.require(.operator)
            let id = try await core.upload.startNow()
            return JSONResponse.make(.accepted, JobAccepted(id: id, poll: ControlPaths.upload))
        }
        router.post("/v1/export") { request, context -> Response in
            try context.require(.supervisor)
            let body = try await Body.decode(ExportRequest.self, request, core)
            let id = try await core.upload.startExport(to: body.to ?? "")
            return JSONResponse.make(.accepted, JobAccepted(id: id, poll: ControlPaths.export))
        }
        router.get("/v1/export") { _, context in
            try context.require(.operator)
            var status = await core.upload.exportStatus()
            if status.state == .failed {
                status.message = MessageKey.controlExportFailed.text(context.callerLanguage)
            }
            return JSONResponse.make(status)
        }
        router.get("/v1/reports/:period") { request, context in
            try context.require(.operator)
            return JSONResponse.make(try await report(request, context))
        }
        router.post("/v1/survey") { request, context in
            try context.require(.supervisor)
            return try await importSurvey(request, context)
        }
        router.post("/v1/verify") { request, context in
            try context.require(.operator)
            let body = try await Body.decode(DeskVerifyRequest.self, request, core)
            var desk = DeskVerification(core: core, insurance: core.desk.insurance, scanner: core.desk.scanner)
            desk.client = context.callerName
            let result = try await desk.verify(body)
            core.hub.publish(
                StationEvent(
                    type: "verify.done", reader: nil, state: result.verdict, at: Date()))
            core.hub.publish(StationEvent(type: "patient.verified", state: result.verdict, at: Date(), patient: result))
            return JSONResponse.make(result)
        }
        router.get("/v1/cleansing") { request, context in
            try context.require(.supervisor)
            return try await cleansing(request, context)
        }
        router.get("/v1/desk/stats") { request, context in
            try context.require(.operator)
            let day = try Self.day(request.uri.queryParameters.get("date"))
            let tally = try await core.store.run { try $0.deskTally(on: day) }
            return JSONResponse.make(
                DeskStatsWire(
                    date: day.iso, chipVerified: tally.counts[.chipVerified] ?? 0, qrOnly: tally.counts[.qrOnly] ?? 0,
                    typed: tally.counts[.typed] ?? 0, refused: tally.counts[.refused] ?? 0, total: tally.total,
                    percentByChip: tally.percentByChip))
        }
        router.get("/v1/events") { _, context in
            try context.require(.operator)
            return events(only: context.eventTypes)
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

    /// The report of `GET /v1/reports/{period}` (also drawn as HTML by `ReportPageRoute`).
    func report(_ request: Request, _ context: StationRequestContext) async throws -> ReportWire {
        let period = context.parameters.get("period") ?? ""
        let day: CalendarDate
        if let text = request.uri.queryParameters.get("date") {
            guard let parsed = CalendarDate(iso: text) else {
                throw APIError(.badRequest, Message(.controlDateInvalid))
            }
            day = parsed
        } else {
            day = CalendarDate(vietnamDayOf: Date())
        }
        return try await Self.reportWire(core: core, period: period, day: day)
    }

    /// The report of `period` (`daily`, `weekly`, `campaign`) for `day`, as `GET /v1/reports/{period}` answers it:
    /// also what the station freezes and sends to the central (`ReportSendingService`).
    static func reportWire(core: StationCore, period: String, day: CalendarDate) async throws -> ReportWire {
        guard let assembly = ReportAssembly(period: period, day: day, quotas: core.configuration.quotas) else {
            throw APIError(.notFound, Message(.controlReportPeriod))
        }
        return try await assembly.report(core)
    }

    /// `POST /v1/survey`: a commune survey CSV checked whole (refused with every line and column at fault, nothing
    /// imported) then stored in one transaction.
    /// A `YYYY-MM-DD` query value, else today in Vietnam.
    static func day(_ text: String?) throws -> CalendarDate {
        guard let text else { return CalendarDate(vietnamDayOf: Date()) }
        guard let parsed = CalendarDate(iso: text) else {
            throw APIError(.badRequest, Message(.controlDateInvalid))
        }
        return parsed
    }

    /// The cleansing list since a Vietnamese day (default today) as CSV, UTF-8 with BOM for Excel.
    private func cleansing(_ request: Request, _ context: StationRequestContext) async throws -> Response {
        let since: CalendarDate
        if let text = request.uri.queryParameters.get("since") {
            guard let parsed = CalendarDate(iso: text) else {
                throw APIError(.badRequest, Message(.controlSinceInvalid))
            }
            since = parsed
        } else {
            since = CalendarDate(vietnamDayOf: Date())
        }
        let actor = QueueRoutes.actor(context)
        let entries = try await core.store.run { try $0.cleansingEntries(since: since, by: actor) }
        var headers = HTTPFields()
        headers[.contentType] = "text/csv; charset=utf-8"
        headers[.contentDisposition] = "attachment; filename=\"cleansing-since-\(since.iso).csv\""
        let csv = CleansingCSV.render(entries)
        return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: csv)))
    }

    private func importSurvey(_ request: Request, _ context: StationRequestContext) async throws -> Response {
        let data = try await Body.collect(request, core)
        let rows: [CommuneSurvey]
        do {
            rows = try CommuneSurveyCSV.parse(data)
        } catch {
            throw DoorListRoutes.fileRefused(
                .controlSurveyRefused, code: SurveyImportError.code,
                issues: error.issues.map { ($0.line, $0.column, $0.code.rawValue, $0.message) })
        }
        let actor = QueueRoutes.actor(context)
        let outcome = try await core.store.run { try $0.importSurvey(rows, by: actor) }
        return JSONResponse.make(
            SurveyImportWire(
                communes: outcome.communes, newCommunes: outcome.newCommunes, replaced: outcome.replaced))
    }

    /// Server-Sent Events: station events as they happen (those of `types` when a token's scope narrows them), a
    /// comment every 15 s so dead clients are noticed.
    private func events(only types: Set<String>?) -> Response {
        let subscription = core.hub.subscribe()
        var headers = HTTPFields()
        headers[.contentType] = "text/event-stream"
        headers[.cacheControl] = "no-cache"
        return Response(
            status: .ok, headers: headers,
            body: ResponseBody { writer in
                let (lines, sink) = AsyncStream<String>.makeStream(bufferingPolicy: .bufferingNewest(512))
                let forward = Task {
                    for await event in subscription where types?.contains(event.type) ?? true {
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

extension StationRequestContext {
    /// The language the caller reads (`Accept-Language`).
    fileprivate var callerLanguage: Language { english ? .english : .vietnamese }
}

/// `POST /v1/export` body.
struct ExportRequest: Decodable, Sendable {
    /// Absolute target folder (the mounted removable medium); checked after the uplink is known configured.
    var to: String?
}
