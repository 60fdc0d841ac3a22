import Foundation
import Intake

/// A time of day in Vietnam (Asia/Ho_Chi_Minh, UTC+7 all year), written `HH:MM`.
public struct TimeOfDay: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// Minutes since midnight, 0...1439.
    public let minutes: Int

    /// `hour`:`minute` (clamped to a day).
    public init(hour: Int, minute: Int) { minutes = min(1439, max(0, hour * 60 + minute)) }

    /// Parses `HH:MM` (00:00...23:59; one-digit hours allowed); nil for anything else.
    public init?(_ text: String) {
        let parts = text.trimmingCharacters(in: .whitespaces).split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, (1...2).contains(parts[0].count), parts[1].count == 2,
            parts.allSatisfy({ $0.allSatisfy(\.isASCII) && $0.allSatisfy(\.isNumber) }),
            let hour = Int(parts[0]), let minute = Int(parts[1]), (0...23).contains(hour), (0...59).contains(minute)
        else { return nil }
        self.init(hour: hour, minute: minute)
    }

    /// `HH:MM`.
    public var description: String { String(format: "%02d:%02d", minutes / 60, minutes % 60) }

    public static func < (lhs: TimeOfDay, rhs: TimeOfDay) -> Bool { lhs.minutes < rhs.minutes }
}

/// The two reports a station sends the central.
public enum ReportKind: String, Sendable, Hashable, Codable, CaseIterable {
    /// One Vietnamese day.
    case daily
    /// The seven days ending on a Friday (Saturday to Friday: mobile teams work the weekend).
    case weekly
}

/// One report the station sends: its kind and the last day it covers. Its `id` is stable (kind and day), so the
/// same report produced twice, sent twice or after a restart is still one report, at the station and the central.
public struct ReportPeriod: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// Daily or weekly.
    public let kind: ReportKind
    /// The last day covered (a weekly report's Friday).
    public let through: CalendarDate

    /// A period.
    public init(kind: ReportKind, through: CalendarDate) {
        self.kind = kind
        self.through = through
    }

    /// Parses an `id` (`daily-2026-12-04`, `weekly-2026-12-04`).
    public init?(id: String) {
        guard let dash = id.firstIndex(of: "-"), let kind = ReportKind(rawValue: String(id[..<dash])),
            let day = CalendarDate(iso: String(id[id.index(after: dash)...]))
        else { return nil }
        self.init(kind: kind, through: day)
    }

    /// The first day covered.
    public var from: CalendarDate { kind == .daily ? through : through.adding(days: -6) }
    /// `KIND-YYYY-MM-DD`: the report's id at the station and, with the station id, at the central.
    public var id: String { "\(kind.rawValue)-\(through.iso)" }
    public var description: String { id }

    public static func < (lhs: ReportPeriod, rhs: ReportPeriod) -> Bool {
        (lhs.through, lhs.kind == .weekly ? 1 : 0) < (rhs.through, rhs.kind == .weekly ? 1 : 0)
    }
}

/// When the station produces its reports for the central, as a pure value: from the instant now, the configured
/// times and the reports already produced, which are due. No clock is read and nothing sleeps here: the daemon's
/// `ReportSendingService` reads the wall clock, produces what `due` names and sleeps until `nextDue`; tests give
/// instants.
///
/// The rules (days and times are Vietnamese whatever the machine's time zone):
/// - a **daily** report for each day, due from `dailyAt` that day (default 16:45, before the 17:00 deadline);
/// - a **weekly** report on each Friday, due from `weeklyCutoff` that Friday (the week Saturday–Friday, frozen at
///   the cut-off);
/// - a station that was off at the time produces the day's report when it starts later that day;
/// - **missed past days are produced too**, once each, back to `catchUpDays` days and never before the first day
///   the station produced a report (a new station does not invent a history): the central's series has no hole
///   for a day the station was off at 16:45, and each such report says when it was produced.
public struct ReportSchedule: Sendable, Hashable {
    /// When the daily report is produced and sent.
    public var dailyAt: TimeOfDay
    /// When, on Fridays, the week closes and its report is produced and sent.
    public var weeklyCutoff: TimeOfDay

    /// How many past days a station catches up on.
    public static let catchUpDays = 7
    /// 16:45, before the 17:00 reporting deadline.
    public static let defaultTime = TimeOfDay(hour: 16, minute: 45)

    /// A schedule.
    public init(dailyAt: TimeOfDay = ReportSchedule.defaultTime, weeklyCutoff: TimeOfDay = ReportSchedule.defaultTime) {
        self.dailyAt = dailyAt
        self.weeklyCutoff = weeklyCutoff
    }

    /// The reports due at `now` that are not in `produced`, oldest first. `firstDay` is the first day the station
    /// produced a report (nil: none yet, so only today counts).
    public func due(at now: Date, produced: Set<ReportPeriod>, firstDay: CalendarDate?) -> [ReportPeriod] {
        let today = CalendarDate(vietnamDayOf: now)
        let minutes = Self.minutesIntoDay(now)
        let earliest = max(today.adding(days: -Self.catchUpDays), min(firstDay ?? today, today))
        var due: [ReportPeriod] = []
        var day = earliest
        while day <= today {
            if day < today || minutes >= dailyAt.minutes {
                due.append(ReportPeriod(kind: .daily, through: day))
            }
            if Self.isFriday(day), day < today || minutes >= weeklyCutoff.minutes {
                due.append(ReportPeriod(kind: .weekly, through: day))
            }
            day = day.adding(days: 1)
        }
        return due.filter { !produced.contains($0) }
    }

    /// The next instant after `now` at which a report becomes due: today's daily time or Friday's cut-off if still
    /// ahead, else tomorrow's.
    public func nextDue(after now: Date) -> Date {
        let today = CalendarDate(vietnamDayOf: now)
        var candidates: [Date] = []
        for offset in 0...1 {
            let day = today.adding(days: offset)
            candidates.append(Self.instant(day, dailyAt))
            if Self.isFriday(day) { candidates.append(Self.instant(day, weeklyCutoff)) }
        }
        return candidates.filter { $0 > now }.min() ?? Self.instant(today.adding(days: 2), dailyAt)
    }

    /// The instant `time` on `day` in Vietnam.
    public static func instant(_ day: CalendarDate, _ time: TimeOfDay) -> Date {
        day.vietnamMidnight.addingTimeInterval(Double(time.minutes * 60))
    }

    /// Whether `day` is a Friday (1970-01-01 was a Thursday).
    public static func isFriday(_ day: CalendarDate) -> Bool { day.weekdayFromMonday == 4 }

    /// Minutes since Vietnamese midnight at `now`.
    static func minutesIntoDay(_ now: Date) -> Int {
        Int(now.timeIntervalSince(CalendarDate(vietnamDayOf: now).vietnamMidnight).rounded(.down)) / 60
    }
}
