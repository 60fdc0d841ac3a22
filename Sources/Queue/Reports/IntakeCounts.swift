import Foundation
import GRDB

/// The five intake counts of the applications taken in a period (not cancelled), as every report line counts them:
/// the commune lines, the officers and teams, the bundles, the priority groups and the registration points.
public struct IntakeCounts: Sendable, Hashable {
    /// Applications taken.
    public var taken = 0
    /// Of those, still pending at C06 or on the station.
    public var pending = 0
    /// Accepted (approved, not yet activated).
    public var accepted = 0
    /// Activated.
    public var activated = 0
    /// Returned by C06.
    public var rejected = 0

    /// Zero counts.
    public init() {}

    mutating func add(_ other: IntakeCounts) {
        taken += other.taken
        pending += other.pending
        accepted += other.accepted
        activated += other.activated
        rejected += other.rejected
    }

    /// The one SQL fragment that counts them over `application` rows (aliased `a`), to put after `SELECT key,`
    /// with a `GROUP BY`; `IntakeCounts(row:)` reads the columns it names.
    static let columns = """
        COUNT(*) AS taken,
        SUM(a.central_state IN ('unknown', 'received', 'resend')) AS pending,
        SUM(a.central_state = 'accepted') AS accepted,
        SUM(a.central_state = 'activated') AS activated,
        SUM(a.central_state = 'rejected') AS rejected
        """

    /// The applications counted: taken on the days `?…?` (Vietnamese, inclusive) and not cancelled.
    static let takenFilter = "a.captured_day BETWEEN ? AND ? AND a.local_state <> 'cancelled'"

    /// Reads the columns of `columns` from a row.
    init(row: Row) {
        taken = row["taken"] ?? 0
        pending = row["pending"] ?? 0
        accepted = row["accepted"] ?? 0
        activated = row["activated"] ?? 0
        rejected = row["rejected"] ?? 0
    }
}
