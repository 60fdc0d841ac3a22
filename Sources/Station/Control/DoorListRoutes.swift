import ControlAPI
import Foundation
import Hummingbird
import Intake
import Messages
import NIOCore
import Queue

/// The door-to-door lists (issue 22, item 5) and the invitation lists they are matched against: supervisors only.
struct DoorListRoutes {
    let core: StationCore

    func add(to router: Router<StationRequestContext>) {
        router.get("/v1/lists/:list") { request, context in
            try context.require(.supervisor)
            return try await list(request, context)
        }
        router.post(RouterPath(ControlPaths.invitations)) { request, context in
            try context.require(.supervisor)
            return try await importInvitations(request, context)
        }
    }

    /// `GET /v1/lists/{list}`: the list as JSON, or as CSV for Excel with `format=csv`; the view is audited.
    private func list(_ request: Request, _ context: StationRequestContext) async throws -> Response {
        let name = context.parameters.get("list") ?? ""
        guard let list = DoorToDoorList(rawValue: name), let columns = DoorListText.columns[name] else {
            throw APIError(.notFound, Message(.listsUnknown, ["lists": DoorListText.lists.joined(separator: ", ")]))
        }
        let query = request.uri.queryParameters
        let format = query.get("format") ?? "json"
        guard format == "json" || format == "csv" else {
            throw APIError(.badRequest, Message(.listsBadFormat))
        }
        let filter = DoorToDoorFilter(communeCode: query.get("commune"), hamlet: query.get("hamlet"))
        let actor = QueueRoutes.actor(context)
        let rows: [[String]]
        switch list {
        case .refusals:
            rows = try await core.store.run { try $0.refusalList(filter, by: actor) }.map { entry in
                [
                    entry.communeCode, entry.hamlet ?? "", entry.idNumber, entry.fullName ?? "",
                    entry.eligibilityClass, entry.reason, entry.confirmed ? "true" : "false", entry.recordedOn.iso,
                    entry.note,
                ]
            }
        case .awaitingActivation:
            rows = try await core.store.run { try $0.awaitingActivationList(filter, by: actor) }.map { entry in
                [
                    entry.communeCode, entry.hamlet ?? "", entry.applicationID, entry.idNumber ?? "",
                    entry.fullName ?? "", entry.phone ?? "", entry.approvedOn.iso, "\(entry.daysWaiting)",
                ]
            }
        case .absent:
            rows = try await core.store.run { try $0.absentList(filter, by: actor) }.map { entry in
                [entry.communeCode, entry.hamlet, entry.idNumber, entry.fullName, entry.invitedOn.iso]
            }
        }
        let day = CalendarDate(vietnamDayOf: Date()).iso
        let wire = DoorListWire(list: name, day: day, columns: columns, rows: rows)
        guard format == "csv" else { return JSONResponse.make(wire) }
        var headers = HTTPFields()
        headers[.contentType] = "text/csv; charset=utf-8"
        headers[.contentDisposition] = "attachment; filename=\"\(name)-\(day).csv\""
        headers[.cacheControl] = "no-store"
        return Response(
            status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: DoorListText.csv(wire))))
    }

    /// `POST /v1/invitations`: an invitation CSV checked whole (refused with every line and column at fault,
    /// nothing imported), then stored in one transaction replacing the lists it names.
    private func importInvitations(_ request: Request, _ context: StationRequestContext) async throws -> Response {
        let data = try await Body.collect(request, core)
        let rows: [Invitation]
        do {
            rows = try InvitationCSV.parse(data)
        } catch {
            throw Self.fileRefused(
                .controlInvitationsRefused, code: InvitationImportError.code,
                issues: error.issues.map { ($0.line, $0.column, $0.code.rawValue, $0.message) })
        }
        let actor = QueueRoutes.actor(context)
        let outcome = try await core.store.run { try $0.importInvitations(rows, by: actor) }
        return JSONResponse.make(
            InvitationImportWire(citizens: outcome.citizens, lists: outcome.lists, replaced: outcome.replaced))
    }

    /// A file refused whole (400 with the file's code): the heading, then each problem by line and column (at most
    /// 20, then how many more).
    static func fileRefused(
        _ heading: MessageKey, code: String, issues: [(line: Int, column: Int, code: String, message: Message)]
    ) -> APIError {
        let shown = Array(issues.prefix(20))
        let more = issues.count - shown.count
        return APIError(
            .badRequest, moduleCode: code,
            text: { language in
                let lines = shown.map { issue in
                    Message(
                        .controlSurveyRefusedLine,
                        [
                            "line": "\(issue.line)", "column": "\(issue.column)", "code": issue.code,
                            "problem": issue.message.text(language),
                        ]
                    ).text(language)
                }
                let tail = more > 0 ? [Message(.controlSurveyRefusedMore, ["count": "\(more)"]).text(language)] : []
                return ([Message(heading).text(language)] + lines + tail).joined(separator: "\n")
            })
    }
}
