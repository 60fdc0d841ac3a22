import Foundation
import GRDB
import Intake

/// One Vietnamese day of the station's work: applications taken that day, and activations the central reported
/// that day (activations count on the day they are reported, not the day of capture).
public struct DayFigures: Sendable, Hashable {
    /// The day.
    public let day: CalendarDate
    /// Applications taken (not cancelled).
    public let captured: Int
    /// Activations reported by C06.
    public let activated: Int
}

extension ApplicationQueue {
    /// The `days` days ending on `through`, oldest first, every day present (zeros where nothing happened): the
    /// supervisor's trend chart.
    public func dailyTrend(through: CalendarDate, days: Int = 14) throws(QueueError) -> [DayFigures] {
        let from = through.adding(days: -(max(1, days) - 1))
        let (taken, reported) = try read { db in
            (
                try Row.fetchAll(
                    db,
                    sql: """
                        SELECT captured_day AS day, COUNT(*) AS n FROM application
                        WHERE captured_day BETWEEN ? AND ? AND local_state <> 'cancelled' GROUP BY captured_day
                        """, arguments: [from.iso, through.iso]),
                try Row.fetchAll(
                    db,
                    sql: """
                        SELECT day, COUNT(*) AS n FROM central_outcome
                        WHERE state = 'activated' AND day BETWEEN ? AND ? GROUP BY day
                        """, arguments: [from.iso, through.iso])
            )
        }
        let counts = { (rows: [Row]) -> [String: Int] in
            Dictionary(uniqueKeysWithValues: rows.map { row -> (String, Int) in (row["day"], row["n"]) })
        }
        let captured = counts(taken)
        let activated = counts(reported)
        return (0..<max(1, days)).map { offset in
            let day = from.adding(days: offset)
            return DayFigures(day: day, captured: captured[day.iso] ?? 0, activated: activated[day.iso] ?? 0)
        }
    }
}
