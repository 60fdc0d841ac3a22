import ControlAPI
import Dispatch
import Hummingbird
import Logging
import Messages
import Queue

/// Identifies the caller (SO_PEERCRED), refuses callers without a role, accounts the request body's memory
/// (`BodyReservation`, returned when the handler has answered), turns every error into the JSON error body in
/// the caller's language (`AcceptLanguage`; a known path with a wrong method is 405 with `Allow`), and counts
/// requests (`StationMetric.Name.httpRequests`, by route template).
struct ControlMiddleware: RouterMiddleware {
    typealias Context = StationRequestContext
    let authorization: Authorization
    let admission: ControlAdmission
    let routes: RouteMethods
    let logger: Logger
    /// The TCP listener's CORS allow-list and client tokens (nil: the Unix socket, callers by SO_PEERCRED).
    var listener: ListenerGate? = nil

    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        let started = DispatchTime.now().uptimeNanoseconds
        var context = context
        context.english = AcceptLanguage.prefersEnglish(request.headers[.acceptLanguage])
        var response: Response
        var allowedOrigin: String?
        do {
            if let listener {
                switch listener.cors.decide(
                    method: "\(request.method)", origin: listener.crossOrigin(request),
                    requestMethod: request.headers[.accessControlRequestMethod])
                {
                case .refused: throw ListenerGate.originRefused
                case .preflight(let origin): return ListenerGate.preflight(origin: origin)
                case .allowed(let origin): allowedOrigin = origin
                case .noOrigin: break
                }
                context.admissionKey = ListenerGate.admissionKey(context.channel.remoteAddress)
                try listener.authenticate(request, &context)
            } else {
                let peer = try await PeerCredentials.of(context.channel)
                context.peer = peer
                context.admissionKey = peer.uid
                context.role = authorization.role(of: peer)
                if context.role == .none {
                    logger.notice(
                        "refused caller", metadata: ["uid": "\(peer.uid)", "path": "\(request.uri.path)"])
                    throw APIError(.forbidden, Message(.controlForbiddenGroup, ["uid": "\(peer.uid)"]))
                }
            }
            let reservation = BodyReservation(admission: admission, uid: context.admissionKey)
            defer { reservation.releaseAll() }
            response = try await BodyReservation.$current.withValue(reservation) {
                try await next(request, context)
            }
        } catch let error as APIError {
            response = error.response(english: context.english)
        } catch let error as HTTPError {
            let allowed = error.status.code == 404 ? routes.allowed(on: request.uri.path) : []
            if allowed.isEmpty {
                response = Self.map(error).response(english: context.english)
            } else {
                response = Self.map(HTTPError(.methodNotAllowed)).response(english: context.english)
                response.headers[.allow] = allowed.joined(separator: ", ")
            }
        } catch {
            let mapped = Self.map(error)
            if APIError.known(error) == nil {  // a chip or intake refusal is an answer, not a failure of the station
                logger.error("request failed", metadata: ["code": "\(mapped.code)", "type": "\(type(of: error))"])
            }
            response = mapped.response(english: context.english)
        }
        if response.status == .tooManyRequests || response.status == .serviceUnavailable {
            response.headers[.retryAfter] = "2"
        }
        if response.status == .unauthorized { response.headers[.wwwAuthenticate] = #"Bearer realm="stationd""# }
        if let allowedOrigin { ListenerGate.decorate(&response, origin: allowedOrigin) }
        // The route template (never the path itself: ids stay out of the labels).
        StationMetric.request(
            route: context.endpointPath ?? "NotFound", method: "\(request.method)", status: response.status.code,
            nanoseconds: DispatchTime.now().uptimeNanoseconds - started)
        return response
    }

    /// Any other error a route let through: a module error keeps its stable code (a damaged store answers
    /// `queue.store_damaged`, not a bare 500 `control.internal`; a chip, reader, scanner or intake error its own,
    /// see `APIError.known`).
    static func map(_ error: any Error) -> APIError {
        if let known = APIError.known(error) { return known }
        if let error = error as? QueueError { return QueueRoutes.map(error) }
        return APIError(.internal, Message(.controlInternal))
    }

    static func map(_ error: HTTPError) -> APIError {
        switch error.status.code {
        case 404:
            APIError(.notFound, Message(.controlNotFound))
        case 405:
            APIError(.methodNotAllowed, code: ControlErrorCode.methodNotAllowed, Message(.controlMethodNotAllowed))
        case 413:
            APIError(.tooLarge, Message(.controlBodyTooLarge))
        default:
            APIError(
                error.status, moduleCode: ControlErrorCode.badRequest.rawValue, Message(.controlBadRequest),
                detail: error.status.reasonPhrase)
        }
    }
}
