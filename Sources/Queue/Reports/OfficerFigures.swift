import Foundation
import GRDB
import Intake

/// One official's line: the applications recorded under the account (the authenticated operator of each), with
/// the officer's record when there is one.
public struct OfficerFigures: Sendable, Hashable {
    /// The account (`operator_id` of the applications).
    public let account: String
    /// The officer's record; nil for an account with no record (counted under `OfficerFigures.unregistered`).
    public let record: OperatorRecord?
    /// The counts.
    public let counts: IntakeCounts

    /// The label of accounts with no officer record.
    public static let unregistered = "(chưa đăng ký)"
}

/// One team's line: its officers' applications summed. Accounts with no record form the team
/// `OfficerFigures.unregistered` (unit nil).
public struct TeamFigures: Sendable, Hashable {
    /// The unit of the team's officers (nil for the unregistered).
    public let unit: String?
    /// The team.
    public let team: String
    /// Accounts counted (registered officers of the team, active or with applications; unregistered accounts).
    public let officers: Int
    /// The counts.
    public let counts: IntakeCounts

    /// Sums officers' lines per (unit, team), ordered by unit then team, the unregistered last.
    public static func of(_ officers: [OfficerFigures]) -> [TeamFigures] {
        var groups: [String: (unit: String?, team: String, officers: Int, counts: IntakeCounts)] = [:]
        for line in officers {
            let unit = line.record?.unit
            let team = line.record?.team ?? OfficerFigures.unregistered
            let key = line.record == nil ? "\u{10FFFF}" : "\(unit ?? "")\u{0}\(team)"
            var group = groups[key] ?? (unit, team, 0, IntakeCounts())
            group.officers += 1
            group.counts.add(line.counts)
            groups[key] = group
        }
        return groups.sorted { $0.key < $1.key }.map {
            TeamFigures(unit: $0.value.unit, team: $0.value.team, officers: $0.value.officers, counts: $0.value.counts)
        }
    }
}

extension ApplicationQueue {
    /// Figures per official for applications taken on the Vietnamese days `from...through`: one line per account
    /// that has applications in the period, plus every active officer record without any (a zero line), ordered by
    /// account. Applications count under the authenticated operator recorded on them (`operator_id`).
    public func officerFigures(from: CalendarDate, through: CalendarDate) throws(QueueError) -> [OfficerFigures] {
        let rows = try read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT a.operator_id, \(IntakeCounts.columns)
                    FROM application a WHERE \(IntakeCounts.takenFilter) GROUP BY a.operator_id
                    """, arguments: [from.iso, through.iso])
        }
        var counts: [String: IntakeCounts] = [:]
        for row in rows { counts[row["operator_id"]] = IntakeCounts(row: row) }
        var records: [String: OperatorRecord] = [:]
        for record in try operators() { records[record.account] = record }
        let accounts = Set(counts.keys).union(records.values.filter { !$0.isDisabled }.map(\.account))
        return accounts.sorted().map { account in
            OfficerFigures(account: account, record: records[account], counts: counts[account] ?? IntakeCounts())
        }
    }
}
