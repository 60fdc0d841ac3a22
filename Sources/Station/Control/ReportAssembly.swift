import ControlAPI
import Foundation
import Intake
import Messages
import Queue

/// `/v1/reports/:period` put together: the period's days, the queue's figures, the breakdowns, the quotas per
/// team and official, and the campaign's phases. One place, so every report (daily, weekly, campaign) and anything
/// that sends one build the same figures.
struct ReportAssembly {
    /// `daily`, `weekly` or `campaign`.
    let period: String
    /// First day.
    let from: CalendarDate
    /// Last day.
    let through: CalendarDate

    /// The days of `period` for `day` (Asia/Ho_Chi_Minh days); nil for a period the station does not know.
    /// daily: that day; weekly: the 7 days ending on the Friday on or after it (weekend included: mobile teams
    /// work it); campaign: from the first phase's first day through `day` (at most the last phase's last day).
    init?(period: String, day: CalendarDate, quotas: QuotaPlan) {
        self.period = period
        switch period {
        case "daily":
            from = day
            through = day
        case "weekly":
            through = day.fridayOnOrAfter
            from = through.adding(days: -6)
        case "campaign":
            guard let first = quotas.phases.first, let last = quotas.phases.last else {
                from = day
                through = day
                return
            }
            from = first.from
            through = min(day, last.through)
        default:
            return nil
        }
    }

    /// Days from `from` through `through` (0 when the campaign has not begun).
    var days: Int { max(0, through.daysSinceEpoch - from.daysSinceEpoch + 1) }

    /// The whole report.
    func report(_ core: StationCore) async throws -> ReportWire {
        let quotas = core.configuration.quotas
        let phase = quotas.phase(on: through)
        let (from, through) = (self.from, self.through)
        let (lines, seed, officers, trend, breakdowns) = try await core.store.run { queue in
            (
                try queue.communeReport(from: from, through: through), try queue.seedTable(on: through),
                try queue.officerFigures(from: from, through: through), try queue.dailyTrend(through: through),
                try queue.reportBreakdowns(from: from, through: through)
            )
        }
        // Each phase begun by `through`: activations C06 reported from its first day through `through`.
        let phases = period == "campaign" ? quotas.phases : phase.map { [$0] } ?? []
        let (achieved, inPhase) = try await core.store.run { queue in
            (
                try phases.map { phase in
                    try phase.from > through
                        ? 0 : queue.activationsReported(from: phase.from, through: min(phase.through, through))
                },
                try phase.map { try queue.officerFigures(from: $0.from, through: through) }
            )
        }
        let progress = zip(phases, achieved).map { Self.progress($0, achieved: $1, on: through) }
        var report = ReportWire(
            period: period, from: from.iso, through: through.iso,
            lines: lines.map {
                ReportLineWire(
                    communeCode: $0.communeCode, taken: $0.taken, pending: $0.pending, accepted: $0.accepted,
                    activated: $0.activated, rejected: $0.rejected)
            },
            seedTable: seed.map {
                SeedTableLineWire(
                    communeCode: $0.communeCode, communeName: $0.communeName, surveyAsOf: $0.surveyAsOf?.iso,
                    citizens14Plus: $0.citizens14Plus, level1Activated: $0.level1Activated,
                    level1Pending: $0.level1Pending, level2Activated: $0.level2Activated,
                    level2Pending: $0.level2Pending, remaining: $0.remaining,
                    toDoToday: $0.toDoToday ?? quotas.daily(for: $0.communeCode),
                    stationActivated: $0.stationActivated, stationPending: $0.stationPending)
            },
            campaign: phase.flatMap { current in progress.first { $0.phase == current.name } },
            officers: [], teams: [],
            trend: trend.map { ReportDayWire(day: $0.day.iso, captured: $0.captured, activated: $0.activated) })
        let phaseTaken = inPhase.map { lines in
            Dictionary(uniqueKeysWithValues: lines.map { line in (line.account, line.counts.taken) })
        }
        let phaseTeams = inPhase.map { TeamFigures.of($0) }
        report.officers = officers.map { line in
            var wire = OfficerReport.wire(line)
            if let range = quotas.officerDaily, line.record != nil {
                wire.quota = quota(
                    perDay: range.lowerBound, most: range.upperBound, achieved: line.counts.taken, phase: phase,
                    takenInPhase: phaseTaken?[line.account] ?? 0)
            }
            return wire
        }
        report.teams = TeamFigures.of(officers).map { line in
            var wire = OfficerReport.wire(line)
            if let perDay = quotas.teamDaily, line.unit != nil {
                let taken = phaseTeams?.first { $0.unit == line.unit && $0.team == line.team }?.counts.taken ?? 0
                wire.quota = quota(
                    perDay: perDay, most: nil, achieved: line.counts.taken, phase: phase, takenInPhase: taken)
            }
            return wire
        }
        report.bundles = breakdowns.bundles.map(Self.wire)
        report.priorityGroups = breakdowns.priorityGroups.map(Self.wire)
        report.points = breakdowns.points.map(Self.wire)
        report.pointName = core.configuration.point.placeName
        report.rejections = breakdowns.rejections.map { KeyedCountWire(key: $0.key, count: $0.count) }
        report.attention = breakdowns.attention.map { KeyedCountWire(key: $0.key, count: $0.count) }
        report.refusals = breakdowns.refusals.map {
            RefusalLineWire(
                eligibilityClass: $0.eligibilityClass, reason: $0.reason, citizens: $0.citizens,
                confirmed: $0.confirmed)
        }
        report.hamlets = breakdowns.hamlets.map {
            HamletLineWire(
                communeCode: $0.communeCode, hamlet: $0.hamlet, taken: $0.counts.taken, uploaded: $0.uploaded,
                accepted: $0.counts.accepted, activated: $0.counts.activated, rejected: $0.counts.rejected,
                activatedReported: $0.activatedReported)
        }
        if period == "campaign" { report.phases = progress }
        return report
    }

    /// A phase against its target as at `day`: activations reported, what remains, the days after `day` (the whole
    /// phase when it has not begun; 0 once ended) and how many a day are needed (the whole remainder on its last
    /// day; 0 once ended).
    static func progress(_ phase: CampaignPhase, achieved: Int, on day: CalendarDate) -> CampaignProgressWire {
        let remaining = max(0, phase.target - achieved)
        let start = max(day, phase.from.adding(days: -1))
        let daysLeft = max(0, phase.through.daysSinceEpoch - start.daysSinceEpoch)
        let ended = phase.through < day
        return CampaignProgressWire(
            phase: phase.name, from: phase.from.iso, through: phase.through.iso, target: phase.target,
            achieved: achieved, remaining: remaining, daysLeft: daysLeft,
            perDayNeeded: ended ? 0 : daysLeft > 0 ? (remaining + daysLeft - 1) / daysLeft : remaining)
    }

    /// Taken against `perDay` over the report's days, and what a day is needed to reach `perDay` × the phase's days
    /// by its end (absent with no phase).
    func quota(perDay: Int, most: Int?, achieved: Int, phase: CampaignPhase?, takenInPhase: Int) -> QuotaProgressWire {
        let quota = perDay * days
        let toFinish = phase.map { phase in
            let target = perDay * (phase.through.daysSinceEpoch - phase.from.daysSinceEpoch + 1)
            let left = max(0, target - takenInPhase)
            let daysLeft = phase.through.daysSinceEpoch - through.daysSinceEpoch
            return daysLeft > 0 ? (left + daysLeft - 1) / daysLeft : left
        }
        return QuotaProgressWire(
            perDay: perDay, mostPerDay: most == perDay ? nil : most, days: days, quota: quota, achieved: achieved,
            remaining: max(0, quota - achieved), perDayToFinishPhase: toFinish)
    }

    static func wire(_ line: BreakdownLine) -> BreakdownLineWire {
        BreakdownLineWire(
            key: line.key, taken: line.counts.taken, pending: line.counts.pending, accepted: line.counts.accepted,
            activated: line.counts.activated, rejected: line.counts.rejected, activatedReported: line.activatedReported)
    }
}
