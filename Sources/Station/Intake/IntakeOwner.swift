/// Who controls the intake session: the control connection that started it (the CLI and API clients: closing it
/// abandons the session), or a web-console officer (a browser spreads its requests over several connections, so
/// the session belongs to the logged-in account; it outlives the console session and its connections, and the
/// same officer resumes it after logging in again).
public enum IntakeOwner: Hashable, Sendable {
    /// A control connection (its channel's identity).
    case connection(ObjectIdentifier)
    /// A web-console officer, by account.
    case console(account: String)

    /// Whether closing the connection ends the session.
    var endsWithConnection: Bool {
        if case .connection = self { return true }
        return false
    }
}
