import ControlAPI
import Foundation
import HTTPTypes
import Hummingbird
import Messages
import NIOCore

/// `GET /v1/reports/{period}/html`: the report of `GET /v1/reports/{period}` drawn as the one self-contained page
/// `stationctl report --format html` writes (`ReportHTML`), for the console's supervisor screen to show in a
/// sandboxed frame. The page has no script and loads nothing (`default-src 'none'`); it may be framed only by the
/// station's own pages (`frame-ancestors 'self'`). `lang=en|vi` chooses its language (a frame cannot send
/// `Accept-Language`); without it, the caller's `Accept-Language`.
struct ReportPageRoute {
    let core: StationCore

    /// The report page's Content-Security-Policy: nothing loaded, inline styles only, framed by the station alone.
    static let contentSecurityPolicy = "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'self'"

    func add(to router: Router<StationRequestContext>) {
        let core = core
        router.get(RouterPath("\(ControlPaths.reports)/:period/html")) { request, context -> Response in
            try context.require(.operator)
            let language: Language
            switch request.uri.queryParameters.get("lang") {
            case nil: language = context.english ? .english : .vietnamese
            case "en": language = .english
            case "vi": language = .vietnamese
            default:
                throw APIError(.badRequest, code: ControlErrorCode.badRequest, Message(.controlBadRequest))
            }
            let report = try await StationRoutes(core: core).report(request, context)
            let page = ReportHTML.page(
                report, station: core.configuration.uplinkStationID ?? ProcessInfo.processInfo.hostName,
                madeAt: Date(), language: language)
            let headers: HTTPFields = [
                .contentType: "text/html; charset=utf-8", .contentSecurityPolicy: Self.contentSecurityPolicy,
                .xContentTypeOptions: "nosniff", .cacheControl: "no-store",
                HTTPField.Name("Referrer-Policy")!: "no-referrer",
            ]
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: page)))
        }
    }
}
