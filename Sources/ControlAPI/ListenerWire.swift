import Foundation

extension ControlPaths {
    /// `GET` the client tokens, `POST` a new one (supervisors, on the Unix socket only).
    public static let clients = "/v1/clients"
    /// `GET`: the TCP listener's address, TLS and the station certificate's fingerprints (operators).
    public static let listener = "/v1/listener"
}

/// The codes the TCP listener answers with besides the control socket's own.
public struct ListenerErrorCode: ControlAPICode {
    /// The closed set behind the codes (private, as swift-certificates does).
    private enum Backing: String, Sendable, CaseIterable {
        case unauthorized = "listener.unauthorized"
        case outOfScope = "listener.out_of_scope"
        case originNotAllowed = "listener.origin_not_allowed"
        case invalidClient = "listener.invalid_client"
        case clientExists = "listener.client_exists"
        case clientNotFound = "listener.client_not_found"
    }

    private let backing: Backing
    private init(_ backing: Backing) { self.backing = backing }

    /// The code text.
    public var rawValue: String { backing.rawValue }
    /// Every code.
    public static var allCases: [ListenerErrorCode] { Backing.allCases.map { ListenerErrorCode($0) } }

    /// No bearer token, an unknown one or a revoked one (HTTP 401, `WWW-Authenticate: Bearer`).
    public static let unauthorized = ListenerErrorCode(.unauthorized)
    /// The token's scope does not include this route (HTTP 403).
    public static let outOfScope = ListenerErrorCode(.outOfScope)
    /// The request's `Origin` is not in `listener.cors_origins` (HTTP 403).
    public static let originNotAllowed = ListenerErrorCode(.originNotAllowed)
    /// A client name that is empty, too long or not `[a-z0-9._-]`, or an unknown scope (HTTP 400).
    public static let invalidClient = ListenerErrorCode(.invalidClient)
    /// A client of that name already holds a live token (HTTP 409): revoke it first.
    public static let clientExists = ListenerErrorCode(.clientExists)
    /// No live client of that name (HTTP 404).
    public static let clientNotFound = ListenerErrorCode(.clientNotFound)
}

/// `POST /v1/clients` body.
public struct ClientCreateRequest: Codable, Sendable, Hashable {
    /// The client's name: its identity in the audit (`[a-z0-9._-]`, 1–64 characters).
    public var name: String
    /// Scopes, e.g. `["health:verify"]`.
    public var scopes: [String]
    /// Creates a request.
    public init(name: String, scopes: [String]) {
        self.name = name
        self.scopes = scopes
    }
}

/// One client as listed (never its token: only a hash of it is kept).
public struct ClientWire: Codable, Sendable, Hashable {
    /// Name.
    public var name: String
    /// Scopes.
    public var scopes: [String]
    /// When the token was issued (UTC).
    public var createdAt: Date
    /// Who issued it (the supervisor's user name).
    public var createdBy: String
    /// When it was revoked (nil: live).
    public var revokedAt: Date?
    /// Who revoked it.
    public var revokedBy: String?
    /// The token's last 4 characters, so a supervisor can tell two tokens apart.
    public var tokenHint: String
    /// Creates a value.
    public init(
        name: String, scopes: [String], createdAt: Date, createdBy: String, revokedAt: Date?, revokedBy: String?,
        tokenHint: String
    ) {
        self.name = name
        self.scopes = scopes
        self.createdAt = createdAt
        self.createdBy = createdBy
        self.revokedAt = revokedAt
        self.revokedBy = revokedBy
        self.tokenHint = tokenHint
    }
}

/// `POST /v1/clients` answer: the token, shown this once.
public struct ClientCreated: Codable, Sendable, Hashable {
    /// The client.
    public var client: ClientWire
    /// The bearer token (`Authorization: Bearer …`); the station keeps only its SHA-256.
    public var token: String
    /// Creates a value.
    public init(client: ClientWire, token: String) {
        self.client = client
        self.token = token
    }
}

/// `GET /v1/listener`: where HIS clients connect and what to pin.
public struct ListenerWire: Codable, Sendable, Hashable {
    /// Whether the TCP listener runs.
    public var enabled: Bool
    /// Address it is bound to.
    public var address: String
    /// Port it is bound to (the real one when configured 0).
    public var port: Int
    /// Whether it speaks TLS.
    public var tls: Bool
    /// SHA-256 of the station certificate (DER), hex pairs separated by colons (nil without TLS).
    public var certificateSHA256: String?
    /// SHA-256 of the certificate's public key (SPKI), base64: `curl --pinnedpubkey sha256//…`.
    public var publicKeySHA256: String?
    /// The certificate file (PEM) to hand to the HIS.
    public var certificatePath: String?
    /// Browser origins allowed (CORS).
    public var corsOrigins: [String]
    /// Creates a value.
    public init(
        enabled: Bool, address: String, port: Int, tls: Bool, certificateSHA256: String?, publicKeySHA256: String?,
        certificatePath: String?, corsOrigins: [String]
    ) {
        self.enabled = enabled
        self.address = address
        self.port = port
        self.tls = tls
        self.certificateSHA256 = certificateSHA256
        self.publicKeySHA256 = publicKeySHA256
        self.certificatePath = certificatePath
        self.corsOrigins = corsOrigins
    }
}
