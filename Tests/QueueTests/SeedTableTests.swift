import Foundation
import GRDB
import Intake
import Queue
import Testing

/// A clock a test moves by hand.
final class HandClock: @unchecked Sendable {
    private let lock = NSLock()
    private var current: Date
    init(_ start: Date) { current = start }
    var now: Date {
        get { lock.withLock { current } }
        set { lock.withLock { current = newValue } }
    }
}

/// Seed 000's appendix rows (name, population 14+, four level columns, remaining), read from the seed file.
struct SeedAppendixRow {
    let name: String
    let figures: [Int]  // citizens 14+, L1 activated, L1 pending, L2 activated, L2 pending, remaining
}

func seedAppendix() -> [SeedAppendixRow]? {
    let folder = "../shared/seeds"
    guard let names = try? FileManager.default.contentsOfDirectory(atPath: folder),
        let file = names.first(where: { $0.hasPrefix("000_") }),
        let text = try? String(contentsOfFile: folder + "/" + file, encoding: .utf8)
    else { return nil }
    return text.split(separator: "\n").compactMap { line -> SeedAppendixRow? in
        let cells = line.split(separator: "\t", omittingEmptySubsequences: false).map {
            $0.trimmingCharacters(in: .whitespaces)
        }
        guard cells.count >= 8, Int(cells[0]) != nil else { return nil }
        let figures = cells[2...7].compactMap { Int($0) }
        guard figures.count == 6 else { return nil }
        return SeedAppendixRow(name: cells[1], figures: figures)
    }
}

func surveyCSV(_ rows: [String], bom: Bool = false, newline: String = "\n") -> Data {
    var data = bom ? Data([0xEF, 0xBB, 0xBF]) : Data()
    data.append(Data(([CommuneSurveyCSV.header] + rows).joined(separator: newline).utf8))
    return data
}

@Suite struct SeedTableTests {
    @Test func seedAppendixGivesTheSeedsRemainingForEveryCommune() throws {
        guard let appendix = seedAppendix() else {
            print("SKIPPED: ../shared/seeds/000_*.txt is absent; the seed table test needs seed 000's appendix")
            return
        }
        #expect(appendix.count == 29)
        let rows = appendix.enumerated().map { index, row in
            let code = String(format: "%05d", 16_000 + index)
            let f = row.figures
            return "\(code),\"\(row.name)\",2023-03-01,\(f[0]),\(f[1]),\(f[2]),\(f[3]),\(f[4])"
        }
        let parsed = try CommuneSurveyCSV.parse(surveyCSV(rows, bom: true, newline: "\r\n"))
        #expect(parsed.count == 29)
        let dir = TemporaryDirectory()
        let queue = try openQueue(dir)
        let outcome = try queue.importSurvey(parsed, by: supervisor)
        #expect(outcome.communes == 29 && outcome.newCommunes == 29)
        let table = try queue.seedTable(on: CalendarDate(iso: "2023-03-02")!)
        #expect(table.count == 29)
        for (line, row) in zip(table, appendix) {
            #expect(line.communeName == row.name)
            #expect(line.remaining == row.figures[5], "\(row.name)")
            #expect(line.level2Activated == row.figures[3] && line.level2Pending == row.figures[4])
            #expect(line.toDoToday == nil)
        }
        #expect(table.compactMap(\.remaining).reduce(0, +) == 149_009)  // the seed's Tổng
        // Before the survey's day there is nothing to report.
        #expect(try queue.seedTable(on: CalendarDate(iso: "2023-02-28")!).isEmpty)
    }

    @Test func stationResultsAreAddedFromTheSurveyDayAndActivationsCountOnTheDayReported() throws {
        // 2026-11-23 09:00 in Hà Nội = 02:00 UTC.
        let monday = Date(timeIntervalSince1970: 1_795_399_200)
        let clock = HandClock(monday)
        let dir = TemporaryDirectory()
        let queue = try openQueue(dir, now: { clock.now })
        try queue.importSurvey(
            CommuneSurveyCSV.parse(surveyCSV(["01234,Xã Cẩm Sơn,2026-11-23,4067,7,7,36,604"])), by: supervisor)
        func take(at: Date, commune: String = "01234") throws -> ApplicationID {
            clock.now = at
            let application = sampleApplication(commune: commune, capturedAt: at, printBytes: 100)
            try queue.commit(application, by: officer)
            for step: ApplicationStatus in [.s(.ready), .s(.batched), .s(.uploaded)] {
                try queue.transition(application.id, to: step, by: .system)
            }
            return application.id
        }
        let before = try take(at: monday - 86_400)  // the day before the survey: already in its figures
        let a = try take(at: monday)
        let b = try take(at: monday)
        let c = try take(at: monday)
        let other = try take(at: monday, commune: "05678")  // no survey: station figures only
        // Accepted on Monday; activation reported Wednesday 23:30 Hà Nội (16:30 UTC), i.e. still Wednesday.
        clock.now = monday + 3600
        try queue.transition(a, to: .s(.uploaded, .accepted), by: .system)
        try queue.transition(b, to: .s(.uploaded, .rejected(reason: "X")), by: .system)
        try queue.transition(before, to: .s(.uploaded, .accepted), by: .system)
        clock.now = monday + 2 * 86_400 + 14.5 * 3600
        try queue.transition(a, to: .s(.uploaded, .activated), by: .system)
        // c's activation is reported Thursday 00:30 Hà Nội (Wednesday 17:30 UTC): counts on Thursday.
        clock.now = monday + 2 * 86_400 + 15.5 * 3600
        try queue.transition(c, to: .s(.uploaded, .accepted), by: .system)
        try queue.transition(c, to: .s(.uploaded, .activated), by: .system)
        _ = other
        func line(_ day: String, _ commune: String = "01234") throws -> SeedTableLine? {
            try queue.seedTable(on: CalendarDate(iso: day)!).first { $0.communeCode == commune }
        }
        let monLine = try #require(try line("2026-11-23"))
        #expect(monLine.stationActivated == 0 && monLine.stationPending == 2)  // a (accepted), c; b rejected
        #expect(monLine.level2Pending == 606 && monLine.level2Activated == 36)
        #expect(monLine.remaining == 4067 - 7 - 7 - 36 - 606)
        let wedLine = try #require(try line("2026-11-25"))
        #expect(wedLine.stationActivated == 1 && wedLine.stationPending == 1)
        let thuLine = try #require(try line("2026-11-26"))
        #expect(thuLine.stationActivated == 2 && thuLine.stationPending == 0)
        #expect(thuLine.remaining == 4067 - 7 - 7 - 38 - 604)
        let otherLine = try #require(try line("2026-11-23", "05678"))
        #expect(otherLine.remaining == nil && otherLine.communeName == nil && otherLine.stationPending == 1)
        // A campaign phase's progress: activations by the day C06 reported them.
        let mon = CalendarDate(iso: "2026-11-23")!
        #expect(try queue.activationsReported(from: mon, through: mon.adding(days: 2)) == 1)
        #expect(try queue.activationsReported(from: mon, through: mon.adding(days: 3)) == 2)
        #expect(try queue.activationsReported(from: mon.adding(days: 3), through: mon.adding(days: 9)) == 1)
        // On Sunday before the survey, only the application of that day, without a survey.
        let sunday = try #require(try line("2026-11-22"))
        #expect(sunday.surveyAsOf == nil && sunday.stationPending == 1)
    }

    @Test func badSurveyFilesAreRefusedWithLineAndColumnAndNothingImported() throws {
        func issues(_ data: Data) -> [SurveyIssue] {
            do {
                _ = try CommuneSurveyCSV.parse(data)
                return []
            } catch { return error.issues }
        }
        let good = "01234,Xã Cẩm Sơn,2026-11-23,4067,7,7,36,604"
        // Wrong header (a column renamed).
        var data = Data("commune_code,commune_name,as_of,population,level1_activated,level1_pending,".utf8)
        data.append(Data("level2_activated,level2_pending\n\(good)\n".utf8))
        #expect(issues(data).map { [$0.line, $0.column] } == [[1, 4]])
        #expect(issues(data).first?.code == .header)
        // A non-number, a thousands separator, a 4-digit code, a bad date.
        let bad = issues(
            surveyCSV([
                good, "01235,Xã Tân Sơn,2026-11-23,6968,17,abc,91,1058", "01236,Xã A,2026-11-23,\"6.968\",1,1,1,1",
                "1237,Xã B,2026-11-23,10,1,1,1,1", "01238,Xã C,23/11/2026,10,1,1,1,1",
            ]))
        #expect(bad.map(\.code) == [.number, .number, .field, .field])
        #expect(bad.map { [$0.line, $0.column] } == [[3, 6], [4, 4], [5, 1], [6, 3]])
        // Duplicated commune; activated + pending above the population.
        let dup = issues(surveyCSV([good, "01240,Xã D,2026-11-23,10,5,5,1,0", good]))
        #expect(dup.map(\.code) == [.sum, .duplicate])
        #expect(dup.map { [$0.line, $0.column] } == [[3, 4], [4, 1]])
        #expect(dup.last?.english.contains("line 2") == true)
        // Windows-1258: "Xã" is 58 E3 there (E3 = ã), not UTF-8.
        var legacy = Data((CommuneSurveyCSV.header + "\n01234,X").utf8)
        legacy.append(contentsOf: [0xE3])
        legacy.append(Data(" Cam Son,2026-11-23,10,1,1,1,1\n".utf8))
        #expect(issues(legacy).map { [$0.line, $0.column] } == [[2, 8]])
        #expect(issues(legacy).first?.code == .encoding)
        // Too few columns; empty file; header only.
        #expect(issues(surveyCSV(["01234,Xã,2026-11-23,10"])).first?.code == .columns)
        #expect(issues(Data()).first?.code == .empty)
        #expect(issues(surveyCSV([])).first?.code == .empty)
        // Nothing half-imported: the store is untouched by a refused file (the import takes parsed rows only).
        let dir = TemporaryDirectory()
        let queue = try openQueue(dir)
        #expect(throws: SurveyImportError.self) {
            try queue.importSurvey(CommuneSurveyCSV.parse(surveyCSV([good, good])), by: supervisor)
        }
        #expect(try queue.seedTable(on: CalendarDate(iso: "2026-11-23")!).isEmpty)
        // Officers may not import.
        #expect(throws: QueueError.self) {
            try queue.importSurvey(CommuneSurveyCSV.parse(surveyCSV([good])), by: officer)
        }
        // A quoted name with a comma and a re-import for the same day replaces the row.
        try queue.importSurvey(
            CommuneSurveyCSV.parse(surveyCSV(["01234,\"Xã Cẩm Sơn, huyện Lục Ngạn\",2026-11-23,10,1,1,1,1"])),
            by: supervisor)
        let again = try queue.importSurvey(CommuneSurveyCSV.parse(surveyCSV([good])), by: supervisor)
        #expect(again.replaced == 1 && again.newCommunes == 0)
        let table = try queue.seedTable(on: CalendarDate(iso: "2026-11-23")!)
        #expect(table.map(\.remaining) == [4067 - 7 - 7 - 36 - 604])
        #expect(try queue.verifyAudit().isIntact)
    }
    @Test func upgradingAStoreDatesEarlierActivationsByTheirAuditedDay() throws {
        // 2026-11-23 09:00 in Hà Nội.
        let monday = Date(timeIntervalSince1970: 1_795_399_200)
        let clock = HandClock(monday)
        let dir = TemporaryDirectory()
        var queue: ApplicationQueue? = try openQueue(dir, now: { clock.now })
        let application = sampleApplication(capturedAt: monday, printBytes: 100)
        try queue?.commit(application, by: officer)
        for step: ApplicationStatus in [.s(.ready), .s(.batched), .s(.uploaded), .s(.uploaded, .accepted)] {
            try queue?.transition(application.id, to: step, by: .system)
        }
        clock.now = monday + 86_400
        try queue?.transition(application.id, to: .s(.uploaded, .activated), by: .system)
        queue = nil
        // Back to a store from before v3-survey (and so v11), whose row was touched again days later.
        let db = try DatabaseQueue(path: dir.database)
        try db.write { db in
            for trigger in ["central_outcome_update", "central_outcome_insert", "central_outcome_delete"] {
                try db.execute(sql: "DROP TRIGGER \(trigger)")
            }
            for table in ["central_outcome", "commune_survey", "commune"] { try db.execute(sql: "DROP TABLE \(table)") }
            try db.execute(sql: "DROP INDEX application_report")
            // v11's indexes on the application: a store from before v3 has not run v11 either.
            for index in ["application_day", "application_id_report", "application_state_day"] {
                try db.execute(sql: "DROP INDEX \(index)")
            }
            // Nor v12's counts, whose tables and application triggers outlive the tables dropped above.
            for trigger in ["commune_day_taken_insert", "commune_day_taken_delete", "commune_day_taken_update"] {
                try db.execute(sql: "DROP TRIGGER \(trigger)")
            }
            for table in ["commune_day_taken", "commune_day_decided"] { try db.execute(sql: "DROP TABLE \(table)") }
            try db.execute(
                sql: """
                    DELETE FROM grdb_migrations WHERE identifier IN ('v3-survey', 'v11-report-indexes',
                        'v12-report-counts')
                    """)
            try db.execute(sql: "UPDATE application SET updated_at = updated_at + 5 * 86400000")
        }
        try db.close()
        let upgraded = try openQueue(dir, now: { clock.now })
        let tuesday = CalendarDate(iso: "2026-11-24")!
        #expect(try upgraded.activationsReported(from: tuesday, through: tuesday) == 1)
        let line = try #require(try upgraded.seedTable(on: tuesday).first)
        #expect(line.stationActivated == 1 && line.stationPending == 0)
        #expect(try upgraded.seedTable(on: tuesday.adding(days: -1)).first?.stationPending == 1)
    }
}
