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
                    SELECT commune_code,
                        COUNT(*) AS taken,
                        SUM(central_state IN ('unknown', 'received', 'resend')) AS pending,
                        SUM(central_state = 'accepted') AS accepted,
                        SUM(central_state = 'activated') AS activated,
                        SUM(central_state = 'rejected') AS rejected
                    FROM application
                    WHERE captured_day BETWEEN ? AND ? AND local_state <> 'cancelled'
                    GROUP BY commune_code ORDER BY commune_code
                    """, arguments: [from.iso, through.iso])
        }
        return rows.map { row in
            CommuneReportLine(
                communeCode: row["commune_code"], taken: row["taken"], pending: row["pending"],
                accepted: row["accepted"], activated: row["activated"], rejected: row["rejected"])
        }
    }
}
