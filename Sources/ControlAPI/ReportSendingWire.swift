import Foundation

/// Whether today's report left for the central (`GET /v1/status`, `reports`; absent without `uplink.url`).
public struct ReportSendingStatus: Codable, Sendable, Hashable {
    /// Where today's daily report is.
    public enum State: String, Codable, Sendable, Hashable, CaseIterable {
        /// Before `report.daily_at`: nothing to send yet.
        case notDue
        /// Produced (or due), not yet acknowledged by the central: it goes with the next upload cycle that reaches
        /// the central.
        case waiting
        /// The central acknowledged it.
        case sent
        /// The central refused it (`refused` has the code): it is not sent again.
        case refused
    }

    /// Today, `YYYY-MM-DD` (Vietnamese day).
    public var date: String
    /// When the daily report is due, `HH:MM` (`report.daily_at`).
    public var dailyAt: String
    /// Where today's report is.
    public var state: State
    /// When it was produced (frozen).
    public var producedAt: Date?
    /// When the central acknowledged it.
    public var sentAt: Date?
    /// The central's refusal code.
    public var refused: String?
    /// Reports of any day waiting to be sent (daily and weekly).
    public var waiting: Int

    /// Creates a value.
    public init(
        date: String, dailyAt: String, state: State, producedAt: Date? = nil, sentAt: Date? = nil,
        refused: String? = nil, waiting: Int = 0
    ) {
        self.date = date
        self.dailyAt = dailyAt
        self.state = state
        self.producedAt = producedAt
        self.sentAt = sentAt
        self.refused = refused
        self.waiting = waiting
    }
}
