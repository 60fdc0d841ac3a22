import ControlAPI
import Foundation
import Intake
import Logging
import Queue
import ServiceLifecycle
import Uplink

/// Produces the daily and weekly reports for the central when `ReportSchedule` says they are due, and asks the
/// uplink to send them (issue 22, item 7). Runs with the upload service (`uplink.url` configured).
///
/// Producing freezes the report's JSON, exactly as `GET /v1/reports/{period}` answers it at that moment, into the
/// queue's outbound table under its stable id (`daily-DAY`, `weekly-FRIDAY`); a report already there is left as it
/// is, so a restart or a second pass never makes a second one. Sending is the uplink's: the drain sends waiting
/// reports before batches, with the applications' retries, and marks each sent on the central's signed receipt.
///
/// The service checks at start (a station off at 16:45 produces the day's report when it starts) and then sleeps
/// until the next due instant (at most 10 minutes at a time, so a clock set right is followed).
final class ReportSendingService: Service {
    let core: StationCore
    let schedule: ReportSchedule
    let logger: Logger

    init(core: StationCore, schedule: ReportSchedule, logger: Logger) {
        self.core = core
        self.schedule = schedule
        self.logger = logger
    }

    func run() async throws {
        try? await cancelWhenGracefulShutdown { [self] in
            while !Task.isCancelled {
                // Until the uplink takes the wake (it is not enrolled yet), ask again every few seconds.
                let woken = await produceDue(at: Date())
                let now = Date()
                let wait = min(woken ? 600 : 5, max(1, schedule.nextDue(after: now).timeIntervalSince(now) + 1))
                try await Task.sleep(for: .milliseconds(Int64(wait * 1000)))
            }
        }
    }

    /// Reports produced that the uplink has not been asked to send yet (it was not enrolled).
    private let unsent = Mutex(false)

    /// Produces every report due at `now` not produced yet, then wakes the uplink. False when reports wait for a
    /// wake the uplink did not take.
    @discardableResult
    func produceDue(at now: Date) async -> Bool {
        let today = CalendarDate(vietnamDayOf: now)
        do {
            let (produced, first) = try await core.store.run { queue in
                let recent = try queue.outboundReports(since: today.adding(days: -(ReportSchedule.catchUpDays + 1)))
                return (Set(recent.compactMap { ReportPeriod(id: $0.id) }), try queue.firstReportDay())
            }
            let due = schedule.due(at: now, produced: produced, firstDay: first)
            guard !due.isEmpty || unsent.withLock({ $0 }) else { return true }
            for period in due {
                let wire = try await StationRoutes.reportWire(
                    core: core, period: period.kind.rawValue, day: period.through)
                let content = try ControlJSON.encoder().encode(wire)
                let fresh = try await core.store.run { queue in
                    try queue.freezeReport(
                        id: period.id, kind: period.kind.rawValue, from: period.from, through: period.through,
                        content: content)
                }
                if fresh { logger.notice("report produced for the central", metadata: ["report": "\(period.id)"]) }
            }
            // Not enrolled yet: asked again at the next pass.
            let woken = (try? await core.upload.startNow()) != nil
            unsent.withLock { $0 = !woken }
            return woken
        } catch {
            logger.error("cannot produce the report", metadata: ["code": "\(StoreGateway.code(of: error))"])
            return false
        }
    }
}

extension StationCore {
    /// Whether today's daily report left (nil without `uplink.url`: nothing is sent).
    func reportSendingStatus(now: Date = Date()) async throws -> ReportSendingStatus? {
        guard configuration.uplinkURL != nil else { return nil }
        let schedule = configuration.reportSchedule
        let today = CalendarDate(vietnamDayOf: now)
        let id = ReportPeriod(kind: .daily, through: today).id
        let (report, waiting) = try await store.run { queue in
            (try queue.outboundReport(id), try queue.waitingReportCount())
        }
        let state: ReportSendingStatus.State
        switch report?.state {
        case .sent?: state = .sent
        case .refused?: state = .refused
        case .waiting?: state = .waiting
        case nil: state = now >= ReportSchedule.instant(today, schedule.dailyAt) ? .waiting : .notDue
        }
        return ReportSendingStatus(
            date: today.iso, dailyAt: schedule.dailyAt.description, state: state, producedAt: report?.producedAt,
            sentAt: report?.sentAt, refused: report?.refused, waiting: waiting)
    }
}
