import ControlAPI
import Crypto
import Foundation
import Messages
import Queue

/// What a client token may reach: a closed set of scopes, each a closed list of routes. The TCP listener
/// checks the route against the token's scopes before anything else runs; the Unix socket never looks at scopes
/// (its callers have SO_PEERCRED roles).
public enum ClientScope: String, Sendable, CaseIterable, Codable {
    /// The health desk: verify a card, follow the desk's events. Never the queue, intake or client management.
    case healthVerify = "health:verify"

    /// The routes (method, exact path) the scope opens.
    public var routes: Set<String> {
        switch self {
        case .healthVerify:
            ["POST \(ControlPaths.verify)", "GET \(ControlPaths.events)", "GET \(ControlPaths.eventsSocket)"]
        }
    }

    /// The event types the scope's clients receive on `/v1/events` (the desk sees no queue or intake events).
    public var eventTypes: Set<String> {
        switch self {
        case .healthVerify:
            [
                "card.inserted", "card.removed", "reader.added", "reader.removed", "pcsc.lost", "pcsc.restored",
                "verify.done", "patient.verified",
            ]
        }
    }
}

extension ControlPaths {
    /// `GET` with `Upgrade: websocket`: the events of `/v1/events` as WebSocket text messages.
    public static let eventsSocket = "/v1/events/ws"
}

/// One issued client token as kept on disk: never the token itself, only its SHA-256.
public struct ClientRecord: Codable, Sendable, Hashable {
    /// The client's name (its identity in the audit).
    public var name: String
    /// Its scopes.
    public var scopes: [ClientScope]
    /// SHA-256 of the token, hex.
    public var tokenSHA256: String
    /// The token's last 4 characters.
    public var tokenHint: String
    /// Issued at.
    public var createdAt: Date
    /// Issued by (user name).
    public var createdBy: String
    /// Revoked at (nil: live).
    public var revokedAt: Date?
    /// Revoked by.
    public var revokedBy: String?

    /// Whether the token is still accepted.
    public var isLive: Bool { revokedAt == nil }

    var wire: ClientWire {
        ClientWire(
            name: name, scopes: scopes.map(\.rawValue), createdAt: createdAt, createdBy: createdBy,
            revokedAt: revokedAt, revokedBy: revokedBy, tokenHint: tokenHint)
    }
}

/// The client tokens a supervisor issued (`stationctl client add|ls|revoke`), kept in one 0600 JSON file
/// (`listener.clients_file`) written whole with `KeyFile` (temporary file, fsync, rename). A token is 32 random
/// bytes (base64url, prefixed `stn_`), shown once; the file holds its SHA-256, so a copy of the file lets nobody
/// in. Revoked clients stay listed (who revoked, when); a revoked name may be issued again.
final class ClientRegistry: Sendable {
    /// The file.
    let path: String
    private let records: Mutex<[ClientRecord]>

    /// Loads the file (absent: no clients yet).
    init(path: String) throws {
        self.path = path
        if let data = FileManager.default.contents(atPath: path) {
            records = Mutex(try ControlJSON.decoder().decode([ClientRecord].self, from: data))
            chmod(path, 0o600)
        } else {
            records = Mutex([])
        }
    }

    /// Every client, live and revoked, by name.
    var all: [ClientRecord] { records.withLock { $0 }.sorted { $0.name < $1.name } }

    /// Issues a token for a new client; returns the record and the token (shown once).
    func add(name: String, scopes: [String], by issuer: String) throws(APIError) -> (ClientRecord, String) {
        guard Self.isValidName(name) else {
            throw APIError(.badRequest, code: ListenerErrorCode.invalidClient, Message(.listenerInvalidClientName))
        }
        let parsed = scopes.compactMap(ClientScope.init(rawValue:))
        guard !scopes.isEmpty, parsed.count == scopes.count else {
            let known = ClientScope.allCases.map(\.rawValue).joined(separator: ", ")
            throw APIError(
                .badRequest, code: ListenerErrorCode.invalidClient,
                Message(.listenerInvalidClientScope, ["scopes": known]))
        }
        var bytes = [UInt8](repeating: 0, count: 32)
        var generator = SystemRandomNumberGenerator()
        for index in bytes.indices { bytes[index] = generator.next() }
        let token =
            "stn_"
            + Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
        let record = ClientRecord(
            name: name, scopes: parsed, tokenSHA256: Self.hash(token), tokenHint: String(token.suffix(4)),
            createdAt: Date(), createdBy: issuer, revokedAt: nil, revokedBy: nil)
        try update { records throws(APIError) in
            if records.contains(where: { $0.name == name && $0.isLive }) {
                throw APIError(
                    .conflict, code: ListenerErrorCode.clientExists, Message(.listenerClientExists, ["name": name]))
            }
            records.removeAll { $0.name == name }
            records.append(record)
        }
        return (record, token)
    }

    /// Revokes a live client's token at once (its next request is 401).
    func revoke(name: String, by revoker: String) throws(APIError) -> ClientRecord {
        var revoked: ClientRecord?
        try update { records throws(APIError) in
            guard let index = records.firstIndex(where: { $0.name == name && $0.isLive }) else {
                throw APIError(
                    .notFound, code: ListenerErrorCode.clientNotFound, Message(.listenerClientNotFound, ["name": name]))
            }
            records[index].revokedAt = Date()
            records[index].revokedBy = revoker
            revoked = records[index]
        }
        return revoked!
    }

    /// The live client holding `token`, or nil (unknown or revoked).
    func authenticate(token: String) -> ClientRecord? {
        let digest = Self.hash(token)
        return records.withLock { records in records.first { $0.tokenSHA256 == digest && $0.isLive } }
    }

    /// Changes the records and writes the file; nothing changes when the write fails.
    private func update(_ change: (inout [ClientRecord]) throws(APIError) -> Void) throws(APIError) {
        let result: Result<Void, APIError> = records.withLock { records in
            var copy = records
            do throws(APIError) {
                try change(&copy)
            } catch {
                return .failure(error)
            }
            do {
                let data = try ControlJSON.encoder().encode(copy)
                try FileManager.default.createDirectory(
                    atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
                try KeyFile.write(data, to: path, replacing: true, what: "listener.clients_file")
            } catch {
                return .failure(
                    APIError(.internal, Message(.listenerTokenFile, ["path": path])))
            }
            records = copy
            return .success(())
        }
        try result.get()
    }

    static func hash(_ token: String) -> String {
        SHA256.hash(data: Data(token.utf8)).map { String(format: "%02x", $0) }.joined()
    }

    static func isValidName(_ name: String) -> Bool {
        (1...64).contains(name.utf8.count)
            && name.utf8.allSatisfy { byte in
                (97...122).contains(byte) || (48...57).contains(byte) || byte == 46 || byte == 95 || byte == 45
            }
    }
}
