import Intake

/// Why the intake coordinator refused a step. `IntakeRoutes` answers each with its stable code and message; the
/// device and store modules' own errors (`ChipIDError`, `SmartCardError`, `BiometricError`) pass through as they
/// are and are mapped there too.
enum IntakeFailure: Error, Sendable, Equatable {
    /// Another client controls the session.
    case busy
    /// The session is busy with another step of the same client.
    case stepInProgress
    /// No such session (never started, or ended long ago).
    case noSession
    /// No card on any reader.
    case noCard
    /// No fingerprint scanner (the fingerprint layer could not be opened).
    case noScanner
    /// The machine refused the step in its current state.
    case refused(IntakeSession.Refusal)
    /// The commit could not be stored; the store's stable code.
    case persistFailed(code: String)
    /// The session stays as it was and tells the officer what to do (a pulled card, another citizen's card, an
    /// exception without a supervisor, a read-back that no longer matches).
    case notice(IntakeSession.Notice)
    /// A refusal was asked for before any card was read in the session: there is no citizen to record.
    case refusalNeedsCard
}
