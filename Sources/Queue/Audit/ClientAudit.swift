import Foundation

extension ApplicationQueue {
    /// Audits a change to the TCP listener's client tokens (`client_added`, `client_revoked`) in the hash-chained
    /// log: the supervisor, the client's name and its scopes, never the token. Supervisors only.
    public func auditClientChange(_ action: ClientAuditAction, client: String, scopes: [String], by actor: QueueActor)
        throws(QueueError)
    {
        guard actor.role != .officer else {
            throw QueueError(.notPermitted, "client tokens are issued and revoked by a supervisor")
        }
        let now = nowMilliseconds
        try write(expectedBytes: 512) { db in
            try AuditLog.append(
                db, at: now, actor: actor.id, action: action.rawValue, applicationID: nil, from: nil,
                to: "client:\(client) scopes:\(scopes.joined(separator: ","))", reasonCode: nil, actorUID: actor.uid)
        }
    }
}

/// What happened to a client token.
public enum ClientAuditAction: String, Sendable {
    /// A supervisor issued a token.
    case added = "client_added"
    /// A supervisor revoked a token.
    case revoked = "client_revoked"
}
