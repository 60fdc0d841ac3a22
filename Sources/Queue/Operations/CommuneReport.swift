import Foundation
import GRDB
import Intake

/// One commune's line in the daily or weekly progress report (level-2 columns of the campaign tables).
public struct CommuneReportLine: Sendable, Hashable {
    /// Commune code.
    public let communeCode: String
    /// Applications taken in the period (not cancelled).
    public let taken: Int
    /// Of those, still pending at C06 or on the station.
    public let pending: Int
    /// Accepted (approved, not yet activated).
    public let accepted: Int
    /// Activated: the figure that counts.
    public let activated: Int
    /// Returned by C06.
    public let rejected: Int
}

extension ApplicationQueue {
    /// Per-commune report for applications taken on the Vietnamese calendar days `from...through` (one day for
    /// the daily report before 17:00, Monday–Friday for the weekly one).
    public func communeReport(from: CalendarDate, through: CalendarDate) throws(QueueError) -> [CommuneReportLine] {
        let rows = try read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT a.commune_code, \(IntakeCounts.columns)
                    FROM application a WHERE \(IntakeCounts.takenFilter) GROUP BY a.commune_code ORDER BY a.commune_code
                    """, arguments: [from.iso, through.iso])
        }
        return rows.map { row in
            let counts = IntakeCounts(row: row)
            return CommuneReportLine(
                communeCode: row["commune_code"], taken: counts.taken, pending: counts.pending,
                accepted: counts.accepted, activated: counts.activated, rejected: counts.rejected)
        }
    }
}
