import Foundation
import Intake

/// One campaign phase: inclusive Vietnamese days and a target of activated accounts for the station.
public struct CampaignPhase: Sendable, Hashable {
    /// Name as the plan writes it (e.g. `giai-doan-1`).
    public let name: String
    /// First day.
    public let from: CalendarDate
    /// Last day (inclusive).
    public let through: CalendarDate
    /// Activations to reach by the end of `through` (only successful activations count).
    public let target: Int
}

/// Why a `[quota]` value is refused (becomes a `config.invalid_value` naming the key and line).
struct QuotaProblem: Error, ExpressibleByStringInterpolation {
    let reason: String
    init(stringLiteral value: String) { reason = value }
}

/// Quotas and campaign phases (`[quota]` in stationd.conf): what "to do today" and the campaign progress are
/// computed from.
public struct QuotaPlan: Sendable, Hashable {
    /// Level-2 applications per commune per day (the seed's "Tổng số phải thực hiện trong ngày"); nil: none.
    public var communeDaily: Int?
    /// Per-commune overrides of `communeDaily`.
    public var communeDailyByCode: [String: Int]
    /// Phases in date order, never overlapping.
    public var phases: [CampaignPhase]
    /// Applications per team per day; nil: none.
    public var teamDaily: Int?
    /// Citizens one official guides per day: the least expected (the quota) to the most (e.g. 20...50); nil: none.
    public var officerDaily: ClosedRange<Int>?

    /// Creates a plan.
    public init(
        communeDaily: Int?, communeDailyByCode: [String: Int], phases: [CampaignPhase], teamDaily: Int? = nil,
        officerDaily: ClosedRange<Int>? = nil
    ) {
        self.communeDaily = communeDaily
        self.communeDailyByCode = communeDailyByCode
        self.phases = phases
        self.teamDaily = teamDaily
        self.officerDaily = officerDaily
    }

    /// No quota at all.
    public static let none = QuotaPlan(communeDaily: nil, communeDailyByCode: [:], phases: [])

    /// The day's quota for a commune, nil when none is configured.
    public func daily(for commune: String) -> Int? { communeDailyByCode[commune] ?? communeDaily }

    /// The phase a day falls in.
    public func phase(on day: CalendarDate) -> CampaignPhase? {
        phases.first { $0.from <= day && day <= $0.through }
    }

    /// `quota.commune_daily`: a whole number ≥ 0 (0 = none).
    static func parseDaily(_ text: String) -> Result<Int?, QuotaProblem> {
        guard let n = Int(text.trimmingCharacters(in: .whitespaces)) else {
            return .failure("not a whole number")
        }
        guard n >= 0 else { return .failure("a quota cannot be negative (\(n))") }
        return .success(n == 0 ? nil : n)
    }

    /// `quota.officer_daily`: `N` or `MIN..MAX` (whole numbers, 0 ≤ MIN ≤ MAX; `0` or empty = none).
    static func parseRange(_ text: String) -> Result<ClosedRange<Int>?, QuotaProblem> {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        if trimmed.isEmpty { return .success(nil) }
        let parts = trimmed.components(separatedBy: "..").map { $0.trimmingCharacters(in: .whitespaces) }
        guard parts.count <= 2, let low = Int(parts[0]), let high = Int(parts[parts.count - 1]) else {
            return .failure("expected N or MIN..MAX with whole numbers")
        }
        guard low >= 0, high >= 0 else { return .failure("a quota cannot be negative (\(trimmed))") }
        guard low <= high else { return .failure("the least (\(low)) is above the most (\(high))") }
        return .success(high == 0 ? nil : low...high)
    }

    /// `quota.commune_daily_by_code`: `CODE:N, CODE:N` (empty: none).
    static func parseByCode(_ text: String) -> Result<[String: Int], QuotaProblem> {
        var result: [String: Int] = [:]
        for item in text.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) })
        where !item.isEmpty {
            let parts = item.split(separator: ":").map { $0.trimmingCharacters(in: .whitespaces) }
            guard parts.count == 2, parts[0].count == 5, parts[0].allSatisfy({ $0.isASCII && $0.isNumber }) else {
                return .failure("\"\(item)\": expected CODE:N with a 5-digit commune code")
            }
            guard let n = Int(parts[1]) else { return .failure("\"\(item)\": not a whole number") }
            guard n >= 0 else { return .failure("\"\(item)\": a quota cannot be negative") }
            guard result[parts[0]] == nil else { return .failure("commune \(parts[0]) given twice") }
            result[parts[0]] = n
        }
        return .success(result)
    }

    /// `quota.phases`: `NAME:YYYY-MM-DD..YYYY-MM-DD:TARGET; …` (empty: none); dates inclusive, no overlap.
    static func parsePhases(_ text: String) -> Result<[CampaignPhase], QuotaProblem> {
        var phases: [CampaignPhase] = []
        for item in text.split(separator: ";").map({ $0.trimmingCharacters(in: .whitespaces) })
        where !item.isEmpty {
            let parts = item.split(separator: ":", omittingEmptySubsequences: false)
                .map { $0.trimmingCharacters(in: .whitespaces) }
            guard parts.count == 3, !parts[0].isEmpty else {
                return .failure("\"\(item)\": expected NAME:YYYY-MM-DD..YYYY-MM-DD:TARGET")
            }
            let range = parts[1].components(separatedBy: "..")
            guard range.count == 2, let from = CalendarDate(iso: range[0]), let through = CalendarDate(iso: range[1])
            else { return .failure("\"\(item)\": dates must be YYYY-MM-DD..YYYY-MM-DD") }
            guard from <= through else { return .failure("phase \(parts[0]) ends before it starts") }
            guard let target = Int(parts[2]) else { return .failure("phase \(parts[0]): target is not a number") }
            guard target >= 0 else { return .failure("phase \(parts[0]): a target cannot be negative") }
            phases.append(CampaignPhase(name: parts[0], from: from, through: through, target: target))
        }
        let sorted = phases.sorted { $0.from < $1.from }
        for (earlier, later) in zip(sorted, sorted.dropFirst()) where later.from <= earlier.through {
            let first = "\(earlier.name) (\(earlier.from)..\(earlier.through))"
            let second = "\(later.name) (\(later.from)..\(later.through))"
            return .failure("phases \(first) and \(second) overlap: a day belongs to one phase")
        }
        return .success(sorted)
    }
}

extension StationConfiguration.Reader {
    /// Reads `[quota]`, recording each problem with its key and line.
    mutating func quotas() -> QuotaPlan {
        func read<T>(_ key: String, _ parse: (String) -> Result<T, QuotaProblem>) -> T? {
            switch parse(string(key)) {
            case .success(let value): return value
            case .failure(let problem):
                let line = values[key]?.1
                errors.append(ConfigurationError(.invalidValue, key: key, line: line, problem.reason))
                return nil
            }
        }
        let daily = read("quota.commune_daily", QuotaPlan.parseDaily) ?? nil
        let byCode = read("quota.commune_daily_by_code", QuotaPlan.parseByCode) ?? [:]
        let phases = read("quota.phases", QuotaPlan.parsePhases) ?? []
        let team = read("quota.team_daily", QuotaPlan.parseDaily) ?? nil
        let officer = read("quota.officer_daily", QuotaPlan.parseRange) ?? nil
        return QuotaPlan(
            communeDaily: daily, communeDailyByCode: byCode, phases: phases, teamDaily: team, officerDaily: officer)
    }
}
