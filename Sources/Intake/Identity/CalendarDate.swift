import Foundation

/// A day in the civil calendar, without time or zone: dates of birth, card expiry, the day of intake.
///
/// Ages and expiry are decided on calendar days, not instants, so a citizen turns 14 on the 14th birthday
/// whatever the hour. "Today" at a registration point is the date in Vietnam (UTC+7, no daylight saving).
public struct CalendarDate: Sendable, Hashable, Comparable, Codable, CustomStringConvertible {
    /// Gregorian year, e.g. 2009.
    public let year: Int
    /// Month 1...12.
    public let month: Int
    /// Day 1...31, valid for the month.
    public let day: Int

    /// Creates a date, or returns nil when the day does not exist (e.g. 2023-02-29).
    public init?(year: Int, month: Int, day: Int) {
        guard (1900...9999).contains(year), (1...12).contains(month),
            (1...CalendarDate.daysIn(month: month, year: year)).contains(day)
        else { return nil }
        self.year = year
        self.month = month
        self.day = day
    }

    /// Parses `YYYY-MM-DD`.
    public init?(iso: String) {
        let parts = iso.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0].count == 4, parts[1].count == 2, parts[2].count == 2,
            let y = Int(parts[0]), let m = Int(parts[1]), let d = Int(parts[2])
        else { return nil }
        self.init(year: y, month: m, day: d)
    }

    /// The calendar day in Vietnam (UTC+7) at the given instant.
    public init(vietnamDayOf instant: Date) {
        let seconds = Int(instant.timeIntervalSince1970.rounded(.down)) + 7 * 3600
        let days = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
        self = CalendarDate(daysSinceEpoch: days)
    }

    /// Midnight at the start of this day in Vietnam (UTC+7), as an instant.
    public var vietnamMidnight: Date { Date(timeIntervalSince1970: Double(daysSinceEpoch * 86_400 - 7 * 3600)) }

    /// The date `days` days after 1970-01-01 (proleptic Gregorian).
    public init(daysSinceEpoch days: Int) {
        // Civil-from-days (H. Hinnant's algorithm).
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        let y = yoe + era * 400 + (m <= 2 ? 1 : 0)
        self.year = y
        self.month = m
        self.day = d
    }

    /// Days since 1970-01-01.
    public var daysSinceEpoch: Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = month > 2 ? month - 3 : month + 9
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    /// The date `n` days later (or earlier when negative).
    public func adding(days n: Int) -> CalendarDate { CalendarDate(daysSinceEpoch: daysSinceEpoch + n) }

    /// The day of the week, 0 for Monday through 6 for Sunday (1970-01-01 was a Thursday).
    public var weekdayFromMonday: Int { ((daysSinceEpoch + 3) % 7 + 7) % 7 }

    /// This day if it is a Friday, else the next Friday: where a week of the supervisors' reports ends.
    public var fridayOnOrAfter: CalendarDate { adding(days: (4 - weekdayFromMonday + 7) % 7) }

    /// Completed years of age on `date`. Someone born on 29 February completes a year on 1 March in common years.
    public func age(on date: CalendarDate) -> Int {
        var years = date.year - year
        if (date.month, date.day) < (month, day) { years -= 1 }
        return years
    }

    /// Number of days in a month.
    public static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    public static func < (lhs: CalendarDate, rhs: CalendarDate) -> Bool {
        (lhs.year, lhs.month, lhs.day) < (rhs.year, rhs.month, rhs.day)
    }

    /// `YYYY-MM-DD`.
    public var iso: String {
        let y = String(year)
        let m = month < 10 ? "0\(month)" : "\(month)"
        let d = day < 10 ? "0\(day)" : "\(day)"
        return "\(y)-\(m)-\(d)"
    }

    public var description: String { iso }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let date = CalendarDate(iso: text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "bad date"))
        }
        self = date
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(iso)
    }
}
