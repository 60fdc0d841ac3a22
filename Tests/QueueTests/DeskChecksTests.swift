import Foundation
import Intake
import Testing

@testable import Queue

/// The facility's daily figure and the audit line per desk check.
struct DeskChecksTests {
    final class Clock: @unchecked Sendable {
        var now: Date
        init(_ now: Date) { self.now = now }
    }

    @Test("the daily tally across a midnight in Asia/Ho_Chi_Minh, kept across a reopen; audit lines hashed, expired")
    func tallyAcrossMidnight() throws {
        let dir = TemporaryDirectory()
        // 2026-12-06 23:59:30 in Vietnam is 16:59:30 UTC.
        let clock = Clock(ISO8601DateFormatter().date(from: "2026-12-06T16:59:30Z")!)
        let queue = try openQueue(dir, now: { clock.now })
        let an = CitizenID("001099012345")!
        try queue.recordDeskCheck(idNumber: an, method: .chipVerified, verdict: "accept", client: "client:his")
        try queue.recordDeskCheck(idNumber: an, method: .chipVerified, verdict: "accept", client: "client:his")
        try queue.recordDeskCheck(idNumber: an, method: .typed, verdict: "accept", client: "desk")
        try queue.recordDeskCheck(idNumber: nil, method: .refused, verdict: "refer", client: "client:his")
        clock.now += 60  // 00:00:30 on the 7th in Vietnam (still the 6th in UTC).
        try queue.recordDeskCheck(idNumber: an, method: .qrOnly, verdict: "qrOnly", client: "client:his")
        let sixth = CalendarDate(year: 2026, month: 12, day: 6)!
        let seventh = sixth.adding(days: 1)
        let first = try queue.deskTally(on: sixth)
        #expect(first.counts == [.chipVerified: 2, .typed: 1, .refused: 1, .qrOnly: 0])
        #expect(first.percentByChip == 75)
        #expect(try queue.deskTally(on: seventh).counts[.qrOnly] == 1)
        #expect(try queue.deskTally(on: seventh).total == 1)
        #expect(try queue.deskTally(on: sixth.adding(days: 2)).percentByChip == nil)

        // Persisted: another open of the same store sees the same figures.
        let reopened = try openQueue(dir, now: { clock.now })
        #expect(try reopened.deskTally(on: sixth) == first)

        // Audit lines: one per check; the ID number not in clear; removed after the retention (30 days).
        #expect(try queue.deskCheckLines() == 5)
        for path in [dir.database, dir.database + "-wal"] {
            #expect(fileBytes(path).range(of: Data("001099012345".utf8)) == nil, "\(path)")
        }
        clock.now += 31 * 86_400
        try queue.recordDeskCheck(idNumber: an, method: .chipVerified, verdict: "accept", client: "client:his")
        #expect(try queue.deskCheckLines() == 1)
        #expect(try queue.deskTally(on: sixth).total == 4, "the tally (counts only) is kept")
    }
}
