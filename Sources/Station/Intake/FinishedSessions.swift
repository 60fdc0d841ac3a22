import ControlAPI

/// The last intake sessions that ended, newest last, so that a client can still read how its session ended
/// (`GET /v1/intake/ID`) after the station moved on to the next citizen.
///
/// Kept in the order they ended and bounded: the oldest is dropped first, so the session that just ended is always
/// there. (A `Dictionary` with "evict any key" once lost the session that had just been committed: the commit
/// stored its row and the client was told `404 control.no_intake_session`.)
struct FinishedSessions: Sendable {
    /// How many ended sessions are remembered.
    let capacity: Int
    private var ended: [IntakeSessionWire] = []

    init(capacity: Int = 64) {
        precondition(capacity > 0)
        self.capacity = capacity
    }

    /// Remembers a session as it ended (replacing an earlier record of the same id).
    mutating func record(_ session: IntakeSessionWire) {
        ended.removeAll { $0.id == session.id }
        ended.append(session)
        if ended.count > capacity { ended.removeFirst(ended.count - capacity) }
    }

    /// How the session `id` ended, if it is still remembered.
    subscript(id: String) -> IntakeSessionWire? {
        ended.last { $0.id == id }
    }

    /// How many are remembered.
    var count: Int { ended.count }
}
