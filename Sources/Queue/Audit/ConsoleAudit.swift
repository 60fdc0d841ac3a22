import Foundation

extension ApplicationQueue {
    /// Audits the console's logins and lockouts (who, from which address; never a password).
    public func auditConsole(_ action: ConsoleAuditAction, account: String, uid: UInt32?, address: String)
        throws(QueueError)
    {
        let now = nowMilliseconds
        try write(expectedBytes: 512) { db in
            try AuditLog.append(
                db, at: now, actor: account, action: action.rawValue, applicationID: nil, from: nil,
                to: "address:\(address)", reasonCode: nil, actorUID: uid)
        }
    }
}

/// What happened at the console's login.
public enum ConsoleAuditAction: String, Sendable {
    /// An officer logged in.
    case login = "console_login"
    /// Repeated failed logins locked an account out.
    case locked = "console_locked"
}
