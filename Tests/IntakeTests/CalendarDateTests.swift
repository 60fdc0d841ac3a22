import Foundation
import Intake
import Testing

@Suite struct CalendarDateTests {
    @Test func parsesAndRejectsImpossibleDays() {
        #expect(CalendarDate(iso: "2024-02-29") != nil)
        #expect(CalendarDate(iso: "2023-02-29") == nil)
        #expect(CalendarDate(iso: "1900-02-29") == nil)
        #expect(CalendarDate(iso: "2000-02-29") != nil)
        #expect(CalendarDate(iso: "2024-04-31") == nil)
        #expect(CalendarDate(iso: "2024-4-01") == nil)
        #expect(CalendarDate(iso: "2024-13-01") == nil)
        #expect(CalendarDate(iso: "2024-01-15")?.iso == "2024-01-15")
    }

    @Test func daysSinceEpochRoundTripsAndMatchesKnownDays() {
        #expect(date("1970-01-01").daysSinceEpoch == 0)
        #expect(date("2000-03-01").daysSinceEpoch == 11_017)
        #expect(CalendarDate(daysSinceEpoch: 19_723) == date("2024-01-01"))
        for days in stride(from: -30_000, through: 40_000, by: 37) {
            #expect(CalendarDate(daysSinceEpoch: days).daysSinceEpoch == days)
        }
        #expect(date("2024-02-28").adding(days: 1) == date("2024-02-29"))
        #expect(date("2023-02-28").adding(days: 1) == date("2023-03-01"))
    }

    @Test func ageCountsTheBirthdayItself() {
        let born = date("2012-11-23")
        #expect(born.age(on: date("2026-11-22")) == 13)
        #expect(born.age(on: date("2026-11-23")) == 14)
        #expect(born.age(on: date("2026-11-24")) == 14)
        let leap = date("2012-02-29")
        #expect(leap.age(on: date("2026-02-28")) == 13)
        #expect(leap.age(on: date("2026-03-01")) == 14)
        #expect(leap.age(on: date("2028-02-29")) == 16)
    }

    @Test func vietnamDayChangesAt17UTC() {
        // 2026-11-22T16:59:59Z is 23:59:59 in Hà Nội; one second later it is the 23rd.
        let before = Date(timeIntervalSince1970: 1_795_366_799)
        #expect(CalendarDate(vietnamDayOf: before) == date("2026-11-22"))
        #expect(CalendarDate(vietnamDayOf: before.addingTimeInterval(1)) == date("2026-11-23"))
    }
}
