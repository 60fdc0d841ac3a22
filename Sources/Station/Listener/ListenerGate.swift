import ControlAPI
import Foundation
import Hummingbird
import Messages
import NIOCore

/// How the TCP listener lets a request in: the CORS allow-list first (a browser's preflight carries no token),
/// then the client's bearer token (`Authorization: Bearer stn_…`), then the token's scopes against the route.
/// No token, an unknown or a revoked one → 401 `listener.unauthorized` with `WWW-Authenticate: Bearer`; a route
/// outside the scopes → 403 `listener.out_of_scope` (the queue, intake and client management are never in a
/// token's scope). The token never reaches a log line or a metric: only the client's name does.
struct ListenerGate: Sendable {
    let clients: ClientRegistry
    let cors: CORSPolicy
    /// The web console's sessions (a request with the console's cookie and no bearer token is its officer's).
    var console: ConsoleLogin? = nil
    /// The host names the console's own page is served under (the listen address, `localhost`, `127.0.0.1`,
    /// `[::1]`): a request whose `Origin` is the listener itself under one of them is same-origin, not CORS.
    var consoleHosts: Set<String> = []

    /// The request's `Origin` when it is another site's (CORS applies), nil when absent or the console's own page.
    /// Only the station's own names count, so a DNS-rebinding page (its own host name) stays cross-origin.
    func crossOrigin(_ request: Request) -> String? {
        guard let origin = request.headers[.origin] else { return nil }
        guard console != nil, let authority = request.head.authority else { return origin }
        let host =
            authority.hasPrefix("[")
            ? String(authority.prefix { $0 != "]" }) + "]"
            : String(authority.prefix { $0 != ":" })
        guard consoleHosts.contains(host) else { return origin }
        let scheme = console?.secure == true ? "https" : "http"
        return origin == "\(scheme)://\(authority)" ? nil : origin
    }

    /// The client for this request, or the refusal. Sets the context's client, its role (operator: the routes
    /// in scope check at least that) and the event types it may see.
    func authenticate(_ request: Request, _ context: inout StationRequestContext) throws(APIError) {
        if let console, request.headers[.authorization] == nil {
            if ConsoleRoutes.isPublic(request) { return }
            if let session = ConsoleCookie.sessionID(from: request.headers[.cookie]) {
                try console.admit(sessionID: session, request, &context)
                return
            }
            if request.uri.path.hasPrefix("/console/") { throw ConsoleLogin.expired }
        }
        guard let header = request.headers[.authorization], header.count > 7,
            header.prefix(7).lowercased() == "bearer ",
            let client = clients.authenticate(token: header.dropFirst(7).trimmingCharacters(in: .whitespaces))
        else {
            throw APIError(.unauthorized, code: ListenerErrorCode.unauthorized, Message(.listenerUnauthorized))
        }
        let route = "\(request.method) \(request.uri.path)"
        guard client.scopes.contains(where: { $0.routes.contains(route) }) else {
            throw APIError(
                .forbidden, code: ListenerErrorCode.outOfScope, Message(.listenerOutOfScope, ["client": client.name]))
        }
        context.client = client.name
        context.role = .operator
        context.eventTypes = client.scopes.reduce(into: Set<String>()) { $0.formUnion($1.eventTypes) }
    }

    /// The CORS answer to a refused origin.
    static let originRefused = APIError(
        .forbidden, code: ListenerErrorCode.originNotAllowed, Message(.listenerOriginNotAllowed))

    /// 204 to an allowed preflight.
    static func preflight(origin: String) -> Response {
        var headers = HTTPFields()
        headers[.accessControlAllowMethods] = CORSPolicy.methods
        headers[.accessControlAllowHeaders] = CORSPolicy.headers
        headers[.accessControlMaxAge] = CORSPolicy.maxAge
        var response = Response(status: .noContent, headers: headers)
        decorate(&response, origin: origin)
        return response
    }

    /// Adds the CORS headers for an allowed origin.
    static func decorate(_ response: inout Response, origin: String) {
        response.headers[.accessControlAllowOrigin] = origin
        response.headers[.vary] = "Origin"
    }

    /// The key the connection ledger counts a TCP caller under (its address, in place of a uid).
    static func admissionKey(_ address: SocketAddress?) -> UInt32 {
        switch address {
        case .v4(let v4):
            return UInt32(bigEndian: v4.address.sin_addr.s_addr)
        case .v6(let v6):
            var hasher = Hasher()
            withUnsafeBytes(of: v6.address.sin6_addr) { hasher.combine(bytes: $0) }
            return UInt32(truncatingIfNeeded: hasher.finalize()) | 0x8000_0000
        default:
            return UInt32.max
        }
    }
}
