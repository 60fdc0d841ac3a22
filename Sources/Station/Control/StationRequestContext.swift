import Hummingbird
import Messages
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
    /// The TCP listener's client (its name), when the caller came in with a token (set by `ListenerGate`).
    public var client: String?
    /// The event types the caller may receive (nil: all; a token's scopes narrow them).
    public var eventTypes: Set<String>?
    /// The ledger's key for this caller's connection and body memory: the uid on the Unix socket, an address-derived
    /// key on TCP (set by `ControlMiddleware`).
    var admissionKey: UInt32 = 0

    /// Who the caller is in the audit and logs: `client:NAME` for a token, else the peer's user name.
    public var callerName: String { client.map { "client:\($0)" } ?? peer?.userName ?? "unknown" }

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        channel = source.channel
    }

    /// Bodies are collected by the handlers with the configured limit; this is the hard ceiling.
    public var maxUploadSize: Int { 16 << 20 }

    /// The web console's officer (their account), when the caller came in with the console's session cookie (set
    /// by `ConsoleLogin.admit`).
    public var consoleAccount: String?

    /// The intake session's controlling client: the console's officer, else this connection.
    var connection: ConnectionID {
        consoleAccount.map { .console(account: $0) } ?? .connection(ObjectIdentifier(channel))
    }

    /// Throws 403 unless the caller has at least `role`.
    func require(_ needed: CallerRole) throws(APIError) {
        guard role >= needed else {
            throw APIError(.forbidden, Message(needed.refusal))
        }
    }
}

extension CallerRole {
    /// What a caller below this role is told.
    var refusal: MessageKey {
        switch self {
        case .none, .operator: .controlForbiddenNeedsOperator
        case .supervisor: .controlForbiddenNeedsSupervisor
        case .root: .controlForbiddenNeedsRoot
        }
    }
}
