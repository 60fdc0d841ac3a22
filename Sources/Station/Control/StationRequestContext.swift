import Hummingbird
import NIOCore

/// The request context of the control server: the connection (for peer credentials and the intake session's
/// controlling client), the caller's credentials and role once the middleware has checked them.
public struct StationRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The connection.
    public let channel: any Channel
    /// The caller (set by `ControlMiddleware`).
    public var peer: PeerCredentials?
    /// The caller's role (set by `ControlMiddleware`).
    public var role: CallerRole = .none
    /// The caller asked for English messages.
    public var english = false

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        channel = source.channel
    }

    /// Bodies are collected by the handlers with the configured limit; this is the hard ceiling.
    public var maxUploadSize: Int { 16 << 20 }

    /// The connection's identity (the intake session's controlling client).
    var connection: ConnectionID { ObjectIdentifier(channel) }

    /// Throws 403 unless the caller has at least `role`.
    func require(_ needed: CallerRole) throws(APIError) {
        guard role >= needed else {
            throw APIError(
                .forbidden,
                vi:
                    "Tài khoản của bạn không có quyền thực hiện thao tác này (cần quyền \(needed.vietnamese)).",
                en: "Your account may not do this (needs the \(needed) role).")
        }
    }
}

extension CallerRole {
    var vietnamese: String {
        switch self {
        case .none: "không"
        case .operator: "cán bộ tiếp nhận"
        case .supervisor: "cán bộ giám sát"
        case .root: "quản trị"
        }
    }
}
