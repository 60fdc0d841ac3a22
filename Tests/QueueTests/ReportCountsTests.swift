import Foundation
import GRDB
import Intake
import Testing

@testable import Queue

/// The seed table's counts per commune and day, kept by triggers (migration v12), must always equal a count of the
/// rows they summarise: after any mix of commits, cancellations and C06's words, and after an upgrade that builds
/// them from an existing store.
@Suite struct ReportCountsTests {
    /// Counts kept and counts recomputed from the rows, as comparable lines.
    struct Tallies: Equatable {
        var taken: [String]
        var decided: [String]
        var outcomes: [String]
    }

    static func kept(_ path: String) throws -> Tallies {
        let db = try DatabaseQueue(path: path)
        defer { try? db.close() }
        return try db.read { db in
            Tallies(
                taken: try String.fetchAll(
                    db,
                    sql: """
                        SELECT commune_code || ' ' || captured_day || ' ' || taken FROM commune_day_taken
                        WHERE taken <> 0 ORDER BY 1
                        """),
                decided: try String.fetchAll(
                    db,
                    sql: """
                        SELECT commune_code || ' ' || captured_day || ' ' || day || ' ' || decided || ' ' || activated
                        FROM commune_day_decided WHERE decided <> 0 OR activated <> 0 ORDER BY 1
                        """),
                outcomes: try String.fetchAll(
                    db, sql: "SELECT application_id || ' ' || state FROM central_outcome ORDER BY 1"))
        }
    }

    static func recounted(_ path: String) throws -> Tallies {
        let db = try DatabaseQueue(path: path)
        defer { try? db.close() }
        return try db.read { db in
            Tallies(
                taken: try String.fetchAll(
                    db,
                    sql: """
                        SELECT commune_code || ' ' || captured_day || ' ' || COUNT(*) FROM application
                        WHERE local_state <> 'cancelled' GROUP BY commune_code, captured_day ORDER BY 1
                        """),
                decided: try String.fetchAll(
                    db,
                    sql: """
                        SELECT commune_code || ' ' || captured_day || ' ' || day || ' ' || COUNT(*) || ' '
                            || SUM(state = 'activated')
                        FROM central_outcome GROUP BY commune_code, captured_day, day ORDER BY 1
                        """),
                outcomes: try String.fetchAll(
                    db,
                    sql: """
                        SELECT id || ' ' || central_state FROM application
                        WHERE central_state IN ('activated', 'rejected') ORDER BY 1
                        """))
        }
    }

    /// 90 applications over three communes and five days, each on a path chosen by its index: cancelled at once or
    /// after a hold, left pending, accepted, activated on a later day, or rejected.
    static func randomWalk(_ queue: ApplicationQueue, clock: HandClock, start: Date) throws {
        var accepted: [ApplicationID] = []
        for index in 0..<90 {
            clock.now = start + Double(index / 18) * 86_400 + Double(index % 18) * 600
            let commune = ["01234", "05678", "09999"][(index * 7 + index / 5) % 3]
            let application = sampleApplication(commune: commune, capturedAt: clock.now, printBytes: 100)
            try queue.commit(application, by: officer)
            let id = application.id
            switch (index * 5 + index / 3) % 6 {
            case 0:
                try queue.transition(id, to: .s(.cancelled), by: supervisor)
            case 1:
                try queue.transition(id, to: .s(.held), by: supervisor)
                try queue.transition(id, to: .s(.cancelled), by: supervisor)
            case 2:
                try queue.transition(id, to: .s(.ready), by: .system)
            default:
                for step: ApplicationStatus in [.s(.ready), .s(.batched), .s(.uploaded)] {
                    try queue.transition(id, to: step, by: .system)
                }
                if index % 4 != 1 {
                    try queue.transition(id, to: .s(.uploaded, .accepted), by: .system)
                    accepted.append(id)
                } else {
                    try queue.transition(id, to: .s(.uploaded, .rejected(reason: "X")), by: .system)
                }
            }
            // Some earlier acceptances are activated now: a later day than their capture.
            if index % 7 == 6, let first = accepted.first {
                accepted.removeFirst()
                clock.now += 3 * 3600
                try queue.transition(first, to: .s(.uploaded, .activated), by: .system)
            }
        }
    }

    @Test func theCountsEqualARecountAfterEveryKindOfChange() throws {
        // 2026-11-23 09:00 in Hà Nội.
        let monday = Date(timeIntervalSince1970: 1_795_399_200)
        let clock = HandClock(monday)
        let dir = TemporaryDirectory()
        let queue = try openQueue(dir, now: { clock.now })
        try Self.randomWalk(queue, clock: clock, start: monday)
        let kept = try Self.kept(dir.database)
        #expect(kept.taken.count >= 10 && kept.decided.count >= 5)
        #expect(kept == (try Self.recounted(dir.database)))
    }

    @Test func anUpgradeBuildsTheCountsFromTheStoreItFinds() throws {
        let monday = Date(timeIntervalSince1970: 1_795_399_200)
        let clock = HandClock(monday)
        let dir = TemporaryDirectory()
        var queue: ApplicationQueue? = try openQueue(dir, now: { clock.now })
        try Self.randomWalk(queue!, clock: clock, start: monday)
        let before = try #require(try queue?.seedTable(on: CalendarDate(iso: "2026-11-28")!))
        queue = nil
        // Back to a store from before v12: no counts, and v11's triggers.
        let db = try DatabaseQueue(path: dir.database)
        try db.write { db in
            for trigger in [
                "commune_day_taken_insert", "commune_day_taken_delete", "commune_day_taken_update",
                "commune_day_decided_insert", "commune_day_decided_delete", "commune_day_decided_update",
            ] {
                try db.execute(sql: "DROP TRIGGER \(trigger)")
            }
            for table in ["commune_day_taken", "commune_day_decided"] { try db.execute(sql: "DROP TABLE \(table)") }
            try db.execute(sql: "DELETE FROM grdb_migrations WHERE identifier = 'v12-report-counts'")
        }
        try db.close()
        let upgraded = try openQueue(dir, now: { clock.now })
        #expect(try Self.kept(dir.database) == (try Self.recounted(dir.database)))
        #expect(try upgraded.seedTable(on: CalendarDate(iso: "2026-11-28")!) == before)
        // And the triggers keep them from then on.
        clock.now = monday + 6 * 86_400
        let late = sampleApplication(commune: "05678", capturedAt: clock.now, printBytes: 100)
        try upgraded.commit(late, by: officer)
        #expect(try Self.kept(dir.database) == (try Self.recounted(dir.database)))
    }
}
