import Foundation

/// Which browser origins may call the TCP listener (`listener.cors_origins`), and the answer to each: a pure
/// value, tested without sockets.
///
/// A request without `Origin` is not a browser's cross-origin call: it passes (a token still decides). A request
/// from an allowed origin gets `Access-Control-Allow-Origin` with that origin; a preflight (`OPTIONS` with
/// `Access-Control-Request-Method`) from it is answered 204 with the methods and headers the API uses. Any other
/// origin is refused 403 `listener.origin_not_allowed`, the preflight included, and gets no CORS headers.
public struct CORSPolicy: Sendable, Hashable {
    /// Allowed origins, normalized (`scheme://host[:port]`, lower-case, default ports dropped).
    public let origins: Set<String>

    /// Methods a browser may use.
    public static let methods = "GET, POST, DELETE, OPTIONS"
    /// Request headers a browser may send.
    public static let headers = "Authorization, Content-Type, Accept, Accept-Language"
    /// How long a browser may cache a preflight answer (seconds).
    public static let maxAge = "600"

    /// What to do with a request.
    public enum Decision: Sendable, Hashable {
        /// Not a cross-origin request: go on without CORS headers.
        case noOrigin
        /// Allowed: go on, answer with these headers.
        case allowed(origin: String)
        /// A preflight from an allowed origin: answer 204 at once with the CORS headers.
        case preflight(origin: String)
        /// An origin not in the list: 403.
        case refused
    }

    /// A policy over the configured origins.
    public init(origins: [String]) {
        self.origins = Set(origins.compactMap(Self.normalizedOrigin))
    }

    /// The decision for a request's method, `Origin` and `Access-Control-Request-Method`.
    public func decide(method: String, origin: String?, requestMethod: String?) -> Decision {
        guard let origin else { return .noOrigin }
        guard let normalized = Self.normalizedOrigin(origin), origins.contains(normalized) else { return .refused }
        if method == "OPTIONS", requestMethod != nil { return .preflight(origin: origin) }
        return .allowed(origin: origin)
    }

    /// `scheme://host[:port]` lower-cased with the scheme's default port dropped, or nil when the text is not an
    /// http(s) origin (a path, a query, user info or `null` is not an origin).
    public static func normalizedOrigin(_ text: String) -> String? {
        guard let components = URLComponents(string: text), let scheme = components.scheme?.lowercased(),
            scheme == "http" || scheme == "https", let host = components.host?.lowercased(), !host.isEmpty,
            components.path.isEmpty || components.path == "/", components.query == nil,
            components.fragment == nil, components.user == nil, components.password == nil
        else { return nil }
        let defaultPort = scheme == "https" ? 443 : 80
        let port = components.port.flatMap { $0 == defaultPort ? nil : $0 }
        let shownHost = host.contains(":") && !host.hasPrefix("[") ? "[\(host)]" : host
        return "\(scheme)://\(shownHost)" + (port.map { ":\($0)" } ?? "")
    }
}
