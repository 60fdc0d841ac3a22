import Foundation
import GRDB
import Intake

/// What operators filter the queue by. Empty fields do not filter.
public struct QueueFilter: Sendable, Hashable {
    /// Local states to include (empty: all).
    public var localStates: Set<LocalState>
    /// Central states to include (empty: all).
    public var centralStates: Set<CentralState.Kind>
    /// Captured at or after.
    public var from: Date?
    /// Captured before.
    public var until: Date?
    /// Only this commune.
    public var communeCode: String?
    /// Only this operator.
    public var operatorID: String?

    /// Creates a filter.
    public init(
        localStates: Set<LocalState> = [], centralStates: Set<CentralState.Kind> = [], from: Date? = nil,
        until: Date? = nil, communeCode: String? = nil, operatorID: String? = nil
    ) {
        self.localStates = localStates
        self.centralStates = centralStates
        self.from = from
        self.until = until
        self.communeCode = communeCode
        self.operatorID = operatorID
    }

    func sql() -> (String, StatementArguments) {
        var clauses: [String] = []
        var arguments: StatementArguments = []
        if !localStates.isEmpty {
            clauses.append("local_state IN (\(localStates.map { _ in "?" }.joined(separator: ",")))")
            for state in localStates.sorted(by: { $0.rawValue < $1.rawValue }) { arguments += [state.rawValue] }
        }
        if !centralStates.isEmpty {
            clauses.append("central_state IN (\(centralStates.map { _ in "?" }.joined(separator: ",")))")
            for state in centralStates.sorted(by: { $0.rawValue < $1.rawValue }) { arguments += [state.rawValue] }
        }
        if let from {
            clauses.append("captured_at >= ?")
            arguments += [Int64((from.timeIntervalSince1970 * 1000).rounded())]
        }
        if let until {
            clauses.append("captured_at < ?")
            arguments += [Int64((until.timeIntervalSince1970 * 1000).rounded())]
        }
        if let communeCode {
            clauses.append("commune_code = ?")
            arguments += [communeCode]
        }
        if let operatorID {
            clauses.append("operator_id = ?")
            arguments += [operatorID]
        }
        return (clauses.isEmpty ? "1" : clauses.joined(separator: " AND "), arguments)
    }
}

/// One line of a queue listing: no personal data.
public struct QueueItem: Sendable, Hashable {
    /// The application.
    public let id: ApplicationID
    /// Its status.
    public let status: ApplicationStatus
    /// When it was taken.
    public let capturedAt: Date
    /// Commune code.
    public let communeCode: String
    /// Operator who took it.
    public let operatorID: String
    /// Bundle kind (`utility`, `2in1`, `3in1`, `4in1`).
    public let bundle: String
    /// Upload attempts retried after `needsAttention`.
    public let attempts: Int
    /// The payload was purged after acceptance; only this receipt remains.
    public let purged: Bool
    /// The short reference on the citizen's receipt.
    public let reference: ShortReference?
}

/// A page of a listing; pass `next` back as `after` for the following page.
public struct QueuePage: Sendable, Hashable {
    /// The items, newest first.
    public let items: [QueueItem]
    /// Cursor for the next page, nil at the end.
    public let next: QueueCursor?
}

/// Keyset cursor (captured time, id): stable while rows are added.
public struct QueueCursor: Sendable, Hashable {
    let capturedAt: Int64
    let id: String
}

/// Counts by status, for the status page and reports.
public struct StatusSummary: Sendable, Hashable {
    /// Count per (local, central kind).
    public let counts: [String: Int]
    /// All applications counted.
    public var total: Int { counts.values.reduce(0, +) }
    /// Count with this local state.
    public func count(_ local: LocalState) -> Int {
        counts.filter { $0.key.hasPrefix(local.rawValue + "/") }.values.reduce(0, +)
    }
    /// Count with this central state.
    public func count(_ central: CentralState.Kind) -> Int {
        counts.filter { $0.key.hasSuffix("/" + central.rawValue) }.values.reduce(0, +)
    }
}

extension ApplicationQueue {
    static func item(_ row: Row) -> QueueItem {
        QueueItem(
            id: ApplicationID(row["id"] as String)!, status: status(row),
            capturedAt: Date(timeIntervalSince1970: Double(row["captured_at"] as Int64) / 1000),
            communeCode: row["commune_code"], operatorID: row["operator_id"], bundle: row["bundle"],
            attempts: row["attempts"], purged: (row["purged_at"] as Int64?) != nil,
            reference: (row["reference"] as String?).flatMap(ShortReference.init(parsing:)))
    }

    static let itemColumns =
        "id, local_state, central_state, central_reason, captured_at, commune_code, operator_id, bundle, attempts, "
        + "purged_at, "
        + "(SELECT reference FROM application_reference r WHERE r.application_id = application.id) AS reference"

    /// Lists applications matching `filter`, newest first, `limit` per page.
    public func list(_ filter: QueueFilter, limit: Int = 50, after cursor: QueueCursor? = nil) throws(QueueError)
        -> QueuePage
    {
        var (whereSQL, arguments) = filter.sql()
        if let cursor {
            whereSQL += " AND (captured_at < ? OR (captured_at = ? AND id < ?))"
            arguments += [cursor.capturedAt, cursor.capturedAt, cursor.id]
        }
        arguments += [limit + 1]
        let rows = try read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT \(Self.itemColumns) FROM application WHERE \(whereSQL)
                    ORDER BY captured_at DESC, id DESC LIMIT ?
                    """, arguments: arguments)
        }
        let items = rows.prefix(limit).map(Self.item)
        let next = rows.count > limit ? rows[limit - 1] : nil
        return QueuePage(
            items: Array(items), next: next.map { QueueCursor(capturedAt: $0["captured_at"], id: $0["id"]) })
    }

    /// Counts by status (optionally filtered). Unfiltered, it reads the trigger-maintained `status_count`
    /// table; filtered, it counts through the indexes.
    public func summary(_ filter: QueueFilter = QueueFilter()) throws(QueueError) -> StatusSummary {
        if filter == QueueFilter() {
            let rows = try read { db in
                try Row.fetchAll(db, sql: "SELECT local_state, central_state, n FROM status_count WHERE n > 0")
            }
            return Self.summary(rows)
        }
        return try countedSummary(filter)
    }

    /// Counts by status by scanning (the reference the counters are checked against).
    public func countedSummary(_ filter: QueueFilter = QueueFilter()) throws(QueueError) -> StatusSummary {
        let (whereSQL, arguments) = filter.sql()
        let rows = try read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT local_state, central_state, COUNT(*) AS n FROM application WHERE \(whereSQL)
                    GROUP BY local_state, central_state
                    """, arguments: arguments)
        }
        return Self.summary(rows)
    }

    static func summary(_ rows: [Row]) -> StatusSummary {
        var counts: [String: Int] = [:]
        for row in rows { counts["\(row["local_state"] as String)/\(row["central_state"] as String)"] = row["n"] }
        return StatusSummary(counts: counts)
    }
}
