import Crypto
import Foundation
import GRDB
import Intake

/// A report for the central, frozen in the queue when it was produced (the report route's JSON, the figures of
/// that moment), and where its sending is.
public struct OutboundReport: Sendable, Hashable {
    /// Where a report is.
    public enum State: String, Sendable, Hashable {
        /// Produced, not yet acknowledged by the central (offline, or the next upload cycle has not run).
        case waiting
        /// The central acknowledged it.
        case sent
        /// The central refused it (`refused` says why): it is not sent again.
        case refused
    }

    /// `daily-YYYY-MM-DD` or `weekly-YYYY-MM-DD` (the last day covered).
    public let id: String
    /// `daily` or `weekly`.
    public let kind: String
    /// First day covered.
    public let from: CalendarDate
    /// Last day covered.
    public let through: CalendarDate
    /// When it was produced (frozen).
    public let producedAt: Date
    /// Lower-case hex SHA-256 of the frozen JSON.
    public let contentSHA256: String
    /// Sending attempts that reached no answer or a refusal.
    public let attempts: Int
    /// The code of the last failed attempt (nil: none).
    public let lastError: String?
    /// When the central acknowledged it.
    public let sentAt: Date?
    /// The central's refusal code.
    public let refused: String?

    /// Where it is.
    public var state: State { sentAt != nil ? .sent : refused != nil ? .refused : .waiting }

    /// The columns `init(row:)` reads: everything but the sealed content, which only `reportContent` opens.
    static let columns =
        "id, kind, period_from, period_through, produced_at, content_sha256, attempts, last_error, sent_at, refused"

    init(row: Row) {
        id = row["id"]
        kind = row["kind"]
        from = CalendarDate(iso: row["period_from"]) ?? CalendarDate(daysSinceEpoch: 0)
        through = CalendarDate(iso: row["period_through"]) ?? CalendarDate(daysSinceEpoch: 0)
        producedAt = Date(timeIntervalSince1970: Double(row["produced_at"] as Int64) / 1000)
        contentSHA256 = row["content_sha256"]
        attempts = row["attempts"]
        lastError = row["last_error"]
        sentAt = (row["sent_at"] as Int64?).map { Date(timeIntervalSince1970: Double($0) / 1000) }
        refused = row["refused"]
    }
}

extension ApplicationQueue {
    /// Freezes a produced report under its stable `id`, sealed with the payload key, and audits
    /// `report_produced`. Returns false, changing nothing, when a report with this id exists: a report is
    /// produced once.
    @discardableResult
    public func freezeReport(
        id: String, kind: String, from: CalendarDate, through: CalendarDate, content: Data,
        by actor: QueueActor = .system
    ) throws(QueueError) -> Bool {
        let sealed = try sealer.seal(content, context: "report:" + id)
        let hash = SHA256.hash(data: content).map { String(format: "%02x", $0) }.joined()
        let now = nowMilliseconds
        return try write(expectedBytes: sealed.sealed.count + 512) { db in
            try db.execute(
                sql: """
                    INSERT OR IGNORE INTO outbound_report
                        (id, kind, period_from, period_through, produced_at, content_sha256, key_id, sealed)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [id, kind, from.iso, through.iso, now, hash, sealed.keyID, sealed.sealed])
            guard db.changesCount == 1 else { return false }
            try AuditLog.append(
                db, at: now, actor: actor.id, action: "report_produced", applicationID: nil, from: nil, to: nil,
                reasonCode: id, actorUID: actor.uid)
            return true
        }
    }

    /// Reports whose last day is `since` or later, or all with nil, oldest first.
    public func outboundReports(since: CalendarDate? = nil) throws(QueueError) -> [OutboundReport] {
        try read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT \(OutboundReport.columns) FROM outbound_report WHERE period_through >= ?
                    ORDER BY period_through, kind
                    """, arguments: [since?.iso ?? ""]
            ).map(OutboundReport.init(row:))
        }
    }

    /// The report with this id.
    public func outboundReport(_ id: String) throws(QueueError) -> OutboundReport? {
        try read { db in
            try Row.fetchOne(
                db, sql: "SELECT \(OutboundReport.columns) FROM outbound_report WHERE id = ?", arguments: [id]
            )
            .map(OutboundReport.init(row:))
        }
    }

    /// The first day any report covers up to (nil: none produced yet).
    public func firstReportDay() throws(QueueError) -> CalendarDate? {
        try read { db in
            try String.fetchOne(db, sql: "SELECT MIN(period_through) FROM outbound_report").flatMap {
                CalendarDate(iso: $0)
            }
        }
    }

    /// Reports still to send (neither acknowledged nor refused), oldest first.
    public func waitingReports(limit: Int = 100) throws(QueueError) -> [OutboundReport] {
        try read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT \(OutboundReport.columns) FROM outbound_report WHERE sent_at IS NULL AND refused IS NULL
                    ORDER BY period_through, kind LIMIT ?
                    """, arguments: [limit]
            ).map(OutboundReport.init(row:))
        }
    }

    /// How many reports are still to send (neither acknowledged nor refused).
    public func waitingReportCount() throws(QueueError) -> Int {
        try read { db in
            try Int.fetchOne(
                db, sql: "SELECT COUNT(*) FROM outbound_report WHERE sent_at IS NULL AND refused IS NULL") ?? 0
        }
    }

    /// The frozen JSON of a report, exactly as produced.
    public func reportContent(_ id: String) throws(QueueError) -> Data {
        let row = try read { db in
            try Row.fetchOne(db, sql: "SELECT key_id, sealed FROM outbound_report WHERE id = ?", arguments: [id])
        }
        guard let row else { throw QueueError(.notFound, "no report \(id)") }
        return try sealer.open(row["sealed"], keyID: row["key_id"], context: "report:" + id)
    }

    /// Records the central's acknowledgement (once; audited `report_sent`).
    public func markReportSent(_ id: String, by actor: QueueActor = .system) throws(QueueError) {
        let now = nowMilliseconds
        try write(expectedBytes: 256) { db in
            try db.execute(
                sql: "UPDATE outbound_report SET sent_at = ?, last_error = NULL WHERE id = ? AND sent_at IS NULL",
                arguments: [now, id])
            guard db.changesCount == 1 else { return }
            try AuditLog.append(
                db, at: now, actor: actor.id, action: "report_sent", applicationID: nil, from: nil, to: nil,
                reasonCode: id, actorUID: actor.uid)
        }
    }

    /// Records a failed attempt; with `refused`, the central's refusal, after which the report is not sent again
    /// (audited `report_refused`).
    public func markReportFailed(_ id: String, code: String, refused: Bool, by actor: QueueActor = .system)
        throws(QueueError)
    {
        let now = nowMilliseconds
        try write(expectedBytes: 256) { db in
            try db.execute(
                sql: """
                    UPDATE outbound_report SET attempts = attempts + 1, last_error = ?,
                        refused = CASE WHEN ? THEN ? ELSE refused END
                    WHERE id = ? AND sent_at IS NULL
                    """,
                arguments: [code, refused, code, id])
            guard refused, db.changesCount == 1 else { return }
            try AuditLog.append(
                db, at: now, actor: actor.id, action: "report_refused", applicationID: nil, from: nil, to: nil,
                reasonCode: code, actorUID: actor.uid)
        }
    }
}
