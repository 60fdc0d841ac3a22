import Foundation
import GRDB
import Intake

/// One line of a breakdown: the applications taken in the period with one value (a bundle, a priority group, a
/// kind of registration point), and the activations the central reported in the period for applications with it.
public struct BreakdownLine: Sendable, Hashable {
    /// The value, as the wire names it (`utility`, `students`, `mobile`…; `none` for no priority group).
    public let key: String
    /// Applications taken in the period, by their state now.
    public let counts: IntakeCounts
    /// Activations C06 reported on the period's days, whatever the day of capture (only these count).
    public let activatedReported: Int
}

/// A count under a key: rejections by C06's reason, applications on hold or needing attention by state.
public struct KeyedCount: Sendable, Hashable {
    /// The key (C06's reason code; `held` or `needsAttention`).
    public let key: String
    /// How many.
    public let count: Int
}

/// One line of the breakdown by hamlet: the applications taken in the period in one hamlet of one commune (or with
/// no hamlet recorded), and the activations C06 reported in the period for applications taken there.
public struct HamletLine: Sendable, Hashable {
    /// The commune's code.
    public let communeCode: String
    /// The hamlet chosen for the intake session; nil when none was recorded.
    public let hamlet: String?
    /// Applications taken in the period, by their state now.
    public let counts: IntakeCounts
    /// Of those, sent to the central (uploaded or exported) or already answered by it.
    public let uploaded: Int
    /// Activations C06 reported on the period's days, whatever the day of capture.
    public let activatedReported: Int
}

/// One line of the refusals list: citizens recorded in the period as not yet eligible or ineligible, by reason.
public struct RefusalFigures: Sendable, Hashable {
    /// `notYetEligible` or `ineligible`.
    public let eligibilityClass: String
    /// The reason (a `NotYetEligibleReason` or `IneligibleReason` raw value).
    public let reason: String
    /// Citizens (each counted once, by their latest record of the period).
    public let citizens: Int
    /// Of those, confirmed by the local authority.
    public let confirmed: Int
}

/// The breakdowns of a report period (issue #22 item 2).
public struct ReportBreakdowns: Sendable, Hashable {
    /// By service bundle.
    public var bundles: [BreakdownLine]
    /// By campaign priority group (`none`: no group, or taken before the station recorded groups in clear).
    public var priorityGroups: [BreakdownLine]
    /// By kind of registration point (`fixed`, `mobile`).
    public var points: [BreakdownLine]
    /// Rejections C06 reported on the period's days, by its reason code (most first).
    public var rejections: [KeyedCount]
    /// Applications taken on or before the period's last day that are on hold or need attention now.
    public var attention: [KeyedCount]
    /// The refusals and eligibility list of the period by class and reason.
    public var refusals: [RefusalFigures]
    /// By commune and hamlet (`application_hamlet`), the applications without a hamlet last in each commune.
    public var hamlets: [HamletLine] = []
}

extension ApplicationQueue {
    /// The breakdowns for the Vietnamese days `from...through`: counts by bundle, priority group and point for the
    /// applications taken in the period (activations counted on the day C06 reported them), C06's rejections by
    /// reason on the days it reported them, what is on hold or needs attention, and the citizens refused.
    public func reportBreakdowns(from: CalendarDate, through: CalendarDate) throws(QueueError) -> ReportBreakdowns {
        let days: StatementArguments = [from.iso, through.iso]
        let (bundles, groups, points, rejections, attention, refusals, hamlets) = try read { db in
            let reported = try ReportKey.activationsReported(db, days)
            let bundles = try Self.breakdown(db, .bundle, days, reported)
            let groups = try Self.breakdown(db, .priorityGroup, days, reported)
            let points = try Self.breakdown(db, .point, days, reported)
            let rejections = try Row.fetchAll(
                db,
                sql: """
                    SELECT COALESCE(NULLIF(a.central_reason, ''), '?') AS k, COUNT(*) AS n
                    FROM central_outcome o
                    JOIN application a INDEXED BY application_id_report ON a.id = o.application_id
                    WHERE o.state = 'rejected' AND o.day BETWEEN ? AND ? AND a.central_state = 'rejected'
                    GROUP BY k ORDER BY n DESC, k
                    """, arguments: days)
            let attention = try Row.fetchAll(
                db,
                sql: """
                    SELECT local_state AS k, COUNT(*) AS n FROM application
                    WHERE local_state IN ('held', 'needsAttention') AND captured_day <= ?
                    GROUP BY local_state ORDER BY local_state
                    """, arguments: [through.iso])
            let refusals = try Row.fetchAll(
                db,
                sql: """
                    SELECT e.key_id, e.payload, e.confirmed FROM eligibility e
                    WHERE e.recorded_day BETWEEN ? AND ? AND e.class <> 'eligible'
                        AND e.seq = (SELECT MAX(seq) FROM eligibility
                            WHERE id_hmac = e.id_hmac AND recorded_day BETWEEN ? AND ?)
                    """, arguments: [from.iso, through.iso, from.iso, through.iso])
            let hamlets = try Self.hamletLines(db, days, reported)
            return (bundles, groups, points, rejections, attention, refusals, hamlets)
        }
        let keyed = { (rows: [Row]) in rows.map { KeyedCount(key: $0["k"], count: $0["n"]) } }
        // The reason is sealed (it may be health data): opened here, only the counts leave.
        var tally: [String: (citizens: Int, confirmed: Int)] = [:]
        for row in refusals {
            let plaintext = try sealer.open(row["payload"], keyID: row["key_id"], context: "eligibility")
            guard let record = try? PropertyListDecoder().decode(EligibilityRecord.self, from: plaintext) else {
                throw QueueError(.corruptPayload, "eligibility record does not decode")
            }
            let key: String
            switch record.eligibility {
            case .notYetEligible(let reason): key = "notYetEligible\u{0}" + reason.rawValue
            case .ineligible(let reason): key = "ineligible\u{0}" + reason.rawValue
            case .eligibleLevel1, .eligibleLevel2: continue
            }
            let confirmed: Bool = row["confirmed"]
            tally[key, default: (0, 0)].citizens += 1
            tally[key, default: (0, 0)].confirmed += confirmed ? 1 : 0
        }
        let refusalLines = tally.sorted { $0.key < $1.key }.map { entry in
            let parts = entry.key.split(separator: "\u{0}").map(String.init)
            return RefusalFigures(
                eligibilityClass: parts[0], reason: parts[1], citizens: entry.value.citizens,
                confirmed: entry.value.confirmed)
        }
        return ReportBreakdowns(
            bundles: bundles, priorityGroups: groups, points: points, rejections: keyed(rejections),
            attention: keyed(attention), refusals: refusalLines, hamlets: hamlets)
    }

    /// The lines by commune and hamlet: `breakdown`'s counts and reported activations keyed by both (the key is
    /// `commune US hamlet`, US the unit separator, the hamlet empty when none was recorded), with the applications
    /// sent to the central; by commune, then hamlet, the applications without a hamlet last.
    static func hamletLines(_ db: Database, _ days: StatementArguments, _ reported: [ReportKey.Activations])
        throws -> [HamletLine]
    {
        let (key, join) = (ReportKey.place.expression, ReportKey.place.join)
        let lines = try breakdown(db, .place, days, reported)
        let sent = try Row.fetchAll(
            db,
            sql: """
                SELECT \(key) AS k, COUNT(*) AS n FROM application a \(join)
                WHERE \(IntakeCounts.takenFilter)
                    AND (a.local_state IN ('uploaded', 'exported') OR a.central_state <> 'unknown')
                GROUP BY k
                """, arguments: days)
        var uploaded: [String: Int] = [:]
        for row in sent { uploaded[row["k"]] = row["n"] }
        func order(_ line: HamletLine) -> (String, Int, String) {
            (line.communeCode, line.hamlet == nil ? 1 : 0, line.hamlet ?? "")
        }
        return lines.map { line -> HamletLine in
            let parts = line.key.split(separator: "\u{1F}", omittingEmptySubsequences: false).map(String.init)
            let hamlet = parts.count > 1 && !parts[1].isEmpty ? parts[1] : nil
            return HamletLine(
                communeCode: parts[0], hamlet: hamlet, counts: line.counts, uploaded: uploaded[line.key] ?? 0,
                activatedReported: line.activatedReported)
        }
        .sorted { order($0) < order($1) }
    }

    /// Intake counts and reported activations grouped by `key`, one line per value seen in either, ordered by
    /// value; the activations from `reported` (`ReportKey.activationsReported`, fetched once for every key).
    static func breakdown(
        _ db: Database, _ reportKey: ReportKey, _ days: StatementArguments, _ reported: [ReportKey.Activations]
    ) throws -> [BreakdownLine] {
        let (key, join) = (reportKey.expression, reportKey.join)
        let taken = try Row.fetchAll(
            db,
            sql: """
                SELECT \(key) AS k, \(IntakeCounts.columns) FROM application a \(join)
                WHERE \(IntakeCounts.takenFilter) GROUP BY k
                """, arguments: days)
        var counts: [String: IntakeCounts] = [:]
        for row in taken { counts[row["k"]] = IntakeCounts(row: row) }
        var activations: [String: Int] = [:]
        for row in reported { activations[row.keys[reportKey.rawValue], default: 0] += row.count }
        return Set(counts.keys).union(activations.keys).sorted().map { key in
            BreakdownLine(
                key: key, counts: counts[key] ?? IntakeCounts(), activatedReported: activations[key] ?? 0)
        }
    }
}

/// What a breakdown groups by: an SQL expression over `application a` and the side table it needs.
enum ReportKey: Int, CaseIterable {
    case bundle, point, priorityGroup, place

    var expression: String {
        switch self {
        case .bundle: "a.bundle"
        case .point: "a.point_kind"
        case .priorityGroup: "COALESCE(p.priority_group, 'none')"
        // Commune and hamlet in one key (unit separator between them).
        case .place: "a.commune_code || char(31) || COALESCE(h.hamlet, '')"
        }
    }

    var join: String {
        switch self {
        case .bundle, .point: ""
        case .priorityGroup: "LEFT JOIN application_priority p ON p.application_id = a.id"
        case .place: "LEFT JOIN application_hamlet h ON h.application_id = a.id"
        }
    }

    /// Activations C06 reported for one combination of every key's value.
    struct Activations {
        /// The values, indexed by `ReportKey.rawValue`.
        let keys: [String]
        let count: Int
    }

    /// The activations C06 reported on the days `?…?`, counted per combination of every key's value in one pass
    /// over them (each breakdown then sums its own key), their applications read through a covering index.
    static func activationsReported(_ db: Database, _ days: StatementArguments) throws -> [Activations] {
        let keys = allCases.map(\.expression).joined(separator: ", ")
        let joins = allCases.map(\.join).filter { !$0.isEmpty }.joined(separator: " ")
        return try Row.fetchAll(
            db,
            sql: """
                SELECT \(keys), COUNT(*) AS n
                FROM central_outcome o
                JOIN application a INDEXED BY application_id_report ON a.id = o.application_id \(joins)
                WHERE o.state = 'activated' AND o.day BETWEEN ? AND ?
                GROUP BY \((1...allCases.count).map(String.init).joined(separator: ", "))
                """, arguments: days
        ).map { row in
            Activations(keys: allCases.indices.map { row[$0] }, count: row["n"])
        }
    }
}
