import Foundation
import GRDB
import Intake

/// One commune's line of the seed's table (seed 000's appendix) for a day: the latest survey on or before that day
/// plus the station's own level-2 results since the survey's date.
public struct SeedTableLine: Sendable, Hashable {
    /// Commune code.
    public let communeCode: String
    /// Commune name (from the survey import), nil when the commune was never imported.
    public let communeName: String?
    /// The survey used, nil when none (station figures only; population and level 1 unknown).
    public let surveyAsOf: CalendarDate?
    /// Tổng số công dân trên 14 tuổi (survey).
    public let citizens14Plus: Int?
    /// Số đã kích hoạt mức 1 (survey).
    public let level1Activated: Int?
    /// Số chờ kích hoạt mức 1 (survey).
    public let level1Pending: Int?
    /// Số đã kích hoạt mức 2: survey + the station's activations reported by C06 from the survey's day through
    /// the report's day.
    public let level2Activated: Int
    /// Số chờ kích hoạt mức 2: survey + the station's applications taken since the survey's day, not cancelled,
    /// not yet activated or rejected by the end of the report's day (approved-not-activated counts here).
    public let level2Pending: Int
    /// The station's own share of `level2Activated`.
    public let stationActivated: Int
    /// The station's own share of `level2Pending`.
    public let stationPending: Int
    /// Tổng số phải thực hiện trong ngày: from quotas; nil when none is configured.
    public let toDoToday: Int?

    /// Số còn lại phải vận động kích hoạt: population 14+ minus the four activated/pending columns, computed
    /// (negative when the station has registered more than the survey left: the survey is out of date).
    public var remaining: Int? {
        guard let citizens14Plus, let level1Activated, let level1Pending else { return nil }
        return citizens14Plus - level1Activated - level1Pending - level2Activated - level2Pending
    }
}

/// What an import did.
public struct SurveyImportOutcome: Sendable, Hashable {
    /// Communes in the file.
    public let communes: Int
    /// Of those, communes the station did not know before.
    public let newCommunes: Int
    /// Survey rows that replaced an earlier import for the same commune and day.
    public let replaced: Int
}

extension ApplicationQueue {
    /// Imports checked survey rows in one transaction (all or nothing): registers or renames the communes they
    /// name, stores each row under (commune, as_of), replacing an earlier import for the same day, audited.
    @discardableResult
    public func importSurvey(_ rows: [CommuneSurvey], by actor: QueueActor) throws(QueueError)
        -> SurveyImportOutcome
    {
        guard actor.role != .officer else {
            throw QueueError(.notPermitted, "a survey is imported by a supervisor")
        }
        let now = nowMilliseconds
        return try write(expectedBytes: 256 * max(1, rows.count)) { db in
            var newCommunes = 0
            var replaced = 0
            for row in rows {
                let known = try Bool.fetchOne(
                    db, sql: "SELECT EXISTS (SELECT 1 FROM commune WHERE code = ?)", arguments: [row.communeCode])
                if known == true {
                    try db.execute(
                        sql: "UPDATE commune SET name = ? WHERE code = ?",
                        arguments: [row.communeName, row.communeCode])
                } else {
                    newCommunes += 1
                    try db.execute(
                        sql: "INSERT INTO commune (code, name, registered_at) VALUES (?, ?, ?)",
                        arguments: [row.communeCode, row.communeName, now])
                }
                let exists = try Bool.fetchOne(
                    db, sql: "SELECT EXISTS (SELECT 1 FROM commune_survey WHERE commune_code = ? AND as_of = ?)",
                    arguments: [row.communeCode, row.asOf.iso])
                if exists == true { replaced += 1 }
                try db.execute(
                    sql: """
                        INSERT OR REPLACE INTO commune_survey (commune_code, as_of, citizens_14_plus,
                            level1_activated, level1_pending, level2_activated, level2_pending, imported_at,
                            imported_by)
                        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                        """,
                    arguments: [
                        row.communeCode, row.asOf.iso, row.citizens14Plus, row.level1Activated, row.level1Pending,
                        row.level2Activated, row.level2Pending, now, actor.id,
                    ])
            }
            let days = Set(rows.map(\.asOf.iso)).sorted()
            try AuditLog.append(
                db, at: now, actor: actor.id, action: "survey_import", applicationID: nil, from: nil,
                to: "\(rows.count) communes as of \(days.joined(separator: ","))", reasonCode: nil)
            return SurveyImportOutcome(communes: rows.count, newCommunes: newCommunes, replaced: replaced)
        }
    }

    /// The seed's table for a Vietnamese day: one line per commune that has a survey on or before `day` or
    /// station applications, ordered by commune code.
    public func seedTable(on day: CalendarDate) throws(QueueError) -> [SeedTableLine] {
        try read { db in
            let surveys = try Row.fetchAll(
                db,
                sql: """
                    SELECT s.*, c.name FROM commune_survey s JOIN commune c ON c.code = s.commune_code
                    WHERE s.as_of = (SELECT MAX(t.as_of) FROM commune_survey t
                                     WHERE t.commune_code = s.commune_code AND t.as_of <= ?)
                    """, arguments: [day.iso])
            var survey: [String: Row] = [:]
            for row in surveys { survey[row["commune_code"]] = row }
            let names = try Row.fetchAll(db, sql: "SELECT code, name FROM commune")
            var name: [String: String] = [:]
            for row in names { name[row["code"]] = row["name"] }
            // Station figures per commune, counted from the commune's survey day (or from the start), summed from
            // the counts per commune and day that triggers keep (migration v12): how many applications were taken,
            // and how many of those C06 had decided by the end of the day. Pending = taken − decided; activated =
            // decided as activated.
            let since = """
                WITH since AS (
                    SELECT commune_code, MAX(as_of) AS as_of FROM commune_survey WHERE as_of <= ?1
                    GROUP BY commune_code)
                """
            let taken = try Row.fetchAll(
                db,
                sql: """
                    \(since)
                    SELECT t.commune_code, SUM(t.taken) AS n
                    FROM commune_day_taken t LEFT JOIN since ON since.commune_code = t.commune_code
                    WHERE t.captured_day <= ?1 AND t.captured_day >= COALESCE(since.as_of, '')
                    GROUP BY t.commune_code HAVING n > 0
                    """, arguments: [day.iso])
            let decided = try Row.fetchAll(
                db,
                sql: """
                    \(since)
                    SELECT d.commune_code, SUM(d.activated) AS activated, SUM(d.decided) AS n
                    FROM commune_day_decided d LEFT JOIN since ON since.commune_code = d.commune_code
                    WHERE d.day <= ?1 AND d.captured_day <= ?1 AND d.captured_day >= COALESCE(since.as_of, '')
                    GROUP BY d.commune_code HAVING n > 0
                    """, arguments: [day.iso])
            var own: [String: (activated: Int, pending: Int)] = [:]
            for row in taken { own[row["commune_code"], default: (0, 0)].pending += row["n"] ?? 0 }
            for row in decided {
                let code: String = row["commune_code"]
                own[code, default: (0, 0)].activated += row["activated"] ?? 0
                own[code, default: (0, 0)].pending -= row["n"] ?? 0
            }
            let codes = Set(survey.keys).union(own.keys).sorted()
            return codes.map { code in
                let s = survey[code]
                let mine = own[code] ?? (0, 0)
                return SeedTableLine(
                    communeCode: code, communeName: name[code],
                    surveyAsOf: s.flatMap { CalendarDate(iso: $0["as_of"]) },
                    citizens14Plus: s?["citizens_14_plus"], level1Activated: s?["level1_activated"],
                    level1Pending: s?["level1_pending"],
                    level2Activated: (s?["level2_activated"] ?? 0) + mine.activated,
                    level2Pending: (s?["level2_pending"] ?? 0) + mine.pending,
                    stationActivated: mine.activated, stationPending: mine.pending, toDoToday: nil)
            }
        }
    }
}

extension ApplicationQueue {
    /// Activations C06 reported on the Vietnamese days `from...through` (inclusive): a campaign phase's progress.
    public func activationsReported(from: CalendarDate, through: CalendarDate) throws(QueueError) -> Int {
        try read { db in
            try Int.fetchOne(
                db,
                sql: "SELECT COUNT(*) FROM central_outcome WHERE state = 'activated' AND day BETWEEN ? AND ?",
                arguments: [from.iso, through.iso]) ?? 0
        }
    }
}
