import CentralAPI
import Foundation
import Intake
import Queue
import Retry
import StationTestKit
import Testing
import Uplink

/// The daily and weekly reports for the central (issue 22, item 7): when they are due (`ReportSchedule`, pure, on
/// instants), how the drain sends a frozen report (a fake central and a test clock), and how the real receiver
/// stores and lists them once.
@Suite struct ReportScheduleTests {
    /// An instant written in Vietnamese local time, parsed independently of the schedule.
    static func vietnam(_ text: String) -> Date {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.date(from: text + ":00+07:00")!
    }
    static func day(_ iso: String) -> CalendarDate { CalendarDate(iso: iso)! }
    static func daily(_ iso: String) -> ReportPeriod { ReportPeriod(kind: .daily, through: day(iso)) }
    static func weekly(_ iso: String) -> ReportPeriod { ReportPeriod(kind: .weekly, through: day(iso)) }

    @Test func timesParseAsHoursAndMinutesAndNothingElse() {
        #expect(TimeOfDay("16:45")?.minutes == 16 * 60 + 45)
        #expect(TimeOfDay("7:05")?.description == "07:05")
        #expect(TimeOfDay("00:00")?.minutes == 0 && TimeOfDay("23:59")?.minutes == 1439)
        for bad in ["24:00", "16:60", "4pm", "16:5", "", "16", "16:45:00", "-1:30", "１６:４５"] {
            #expect(TimeOfDay(bad) == nil, "\(bad)")
        }
        #expect(ReportPeriod(id: "weekly-2026-12-04") == Self.weekly("2026-12-04"))
        #expect(ReportPeriod(id: "monthly-2026-12-04") == nil && ReportPeriod(id: "daily-2026-13-04") == nil)
    }

    @Test func theDailyReportIsDueFrom1645() {
        let schedule = ReportSchedule()  // 16:45 both
        // 2026-12-03 is a Thursday.
        #expect(schedule.due(at: Self.vietnam("2026-12-03T16:44"), produced: [], firstDay: nil).isEmpty)
        #expect(
            schedule.due(at: Self.vietnam("2026-12-03T16:45"), produced: [], firstDay: nil)
                == [Self.daily("2026-12-03")])
        #expect(
            schedule.due(at: Self.vietnam("2026-12-03T17:00"), produced: [], firstDay: nil)
                == [Self.daily("2026-12-03")])
        // Produced once: not due again that day.
        #expect(
            schedule.due(
                at: Self.vietnam("2026-12-03T17:00"), produced: [Self.daily("2026-12-03")],
                firstDay: Self.day("2026-12-03")
            ).isEmpty)
        // The configured time, not 16:45.
        let early = ReportSchedule(dailyAt: TimeOfDay("15:30")!)
        #expect(
            early.due(at: Self.vietnam("2026-12-03T15:30"), produced: [], firstDay: nil) == [Self.daily("2026-12-03")])
    }

    @Test func vietnameseMidnightStartsTheNextDay() {
        let schedule = ReportSchedule()
        let produced: Set = [Self.daily("2026-12-03")]
        // 23:59 and 00:00 in Vietnam are 16:59 and 17:00 UTC the same UTC day.
        #expect(schedule.due(at: Self.vietnam("2026-12-03T23:59"), produced: produced, firstDay: nil).isEmpty)
        let midnight = Self.vietnam("2026-12-04T00:00")
        #expect(midnight == Date(timeIntervalSince1970: 1_796_317_200))  // 2026-12-03T17:00:00Z
        #expect(schedule.due(at: midnight, produced: produced, firstDay: Self.day("2026-12-03")).isEmpty)
        #expect(schedule.nextDue(after: midnight) == Self.vietnam("2026-12-04T16:45"))
    }

    @Test func fridayAddsTheWeekAtItsCutOff() {
        let schedule = ReportSchedule(dailyAt: TimeOfDay("16:45")!, weeklyCutoff: TimeOfDay("16:00")!)
        // 2026-12-04 is a Friday.
        #expect(ReportSchedule.isFriday(Self.day("2026-12-04")) && !ReportSchedule.isFriday(Self.day("2026-12-03")))
        #expect(schedule.due(at: Self.vietnam("2026-12-04T15:59"), produced: [], firstDay: nil).isEmpty)
        #expect(
            schedule.due(at: Self.vietnam("2026-12-04T16:00"), produced: [], firstDay: nil)
                == [Self.weekly("2026-12-04")])
        #expect(
            schedule.due(at: Self.vietnam("2026-12-04T16:45"), produced: [Self.weekly("2026-12-04")], firstDay: nil)
                == [Self.daily("2026-12-04")])
        // The week Saturday to Friday, as the report route's weekly report.
        #expect(Self.weekly("2026-12-04").from == Self.day("2026-11-28"))
        #expect(Self.weekly("2026-12-04").id == "weekly-2026-12-04")
        // Thursday evening: next comes Friday's cut-off, before Friday's daily time.
        #expect(schedule.nextDue(after: Self.vietnam("2026-12-03T17:00")) == Self.vietnam("2026-12-04T16:00"))
        #expect(schedule.nextDue(after: Self.vietnam("2026-12-04T16:00")) == Self.vietnam("2026-12-04T16:45"))
        // No weekly report on other days.
        #expect(
            !schedule.due(at: Self.vietnam("2026-12-05T18:00"), produced: [], firstDay: nil).contains {
                $0.kind == .weekly
            })
    }

    @Test func aStationOffAtTheTimeProducesLaterAndCatchesUpMissedDaysOnce() {
        let schedule = ReportSchedule()
        // Off at 16:45, started at 20:10: the day's report now.
        #expect(
            schedule.due(at: Self.vietnam("2026-12-03T20:10"), produced: [], firstDay: nil)
                == [Self.daily("2026-12-03")])
        // Off since Monday evening's report: Tuesday's and Wednesday's are produced on Thursday morning.
        #expect(
            schedule.due(
                at: Self.vietnam("2026-12-03T08:00"), produced: [Self.daily("2026-11-30")],
                firstDay: Self.day("2026-11-30"))
                == [Self.daily("2026-12-01"), Self.daily("2026-12-02")])
        // Off for weeks: the last seven days only, with the Friday in them.
        let late = schedule.due(
            at: Self.vietnam("2026-12-20T09:00"), produced: [Self.daily("2026-11-01")],
            firstDay: Self.day("2026-11-01"))
        #expect(late.first == Self.daily("2026-12-13") && late.last == Self.daily("2026-12-19"))
        #expect(late.count == 8 && late.contains(Self.weekly("2026-12-18")))
        // A new station invents no history.
        #expect(schedule.due(at: Self.vietnam("2026-12-20T09:00"), produced: [], firstDay: nil).isEmpty)
    }

    @Test func theMachinesTimeZoneChangesNothing() {
        let saved = ProcessInfo.processInfo.environment["TZ"]
        setenv("TZ", "America/Los_Angeles", 1)
        tzset()
        defer {
            if let saved { setenv("TZ", saved, 1) } else { unsetenv("TZ") }
            tzset()
        }
        let schedule = ReportSchedule()
        // 16:45 in Vietnam is 01:45 the same morning in Los Angeles.
        #expect(
            schedule.due(at: Self.vietnam("2026-12-03T16:45"), produced: [], firstDay: nil)
                == [Self.daily("2026-12-03")])
        #expect(schedule.due(at: Self.vietnam("2026-12-03T16:44"), produced: [], firstDay: nil).isEmpty)
        #expect(ReportSchedule.instant(Self.day("2026-12-03"), TimeOfDay("16:45")!) == Self.vietnam("2026-12-03T16:45"))
    }
}

@Suite struct ReportDrainTests {
    static let content = Data(#"{"from":"2026-12-03","period":"daily","through":"2026-12-03"}"#.utf8)

    static func freeze(_ station: InProcessStation, _ iso: String = "2026-12-03") throws -> String {
        let period = ReportPeriod(kind: .daily, through: CalendarDate(iso: iso)!)
        #expect(
            try station.queue.freezeReport(
                id: period.id, kind: "daily", from: period.from, through: period.through, content: content))
        return period.id
    }

    @Test func aFrozenReportIsProducedOnceAndSentOnceAfterTheCentralComesBack() async throws {
        let station = try InProcessStation()
        let id = try Self.freeze(station)
        // Produced again (a second pass, a restart): nothing changes.
        #expect(
            try !station.queue.freezeReport(
                id: id, kind: "daily", from: CalendarDate(iso: "2026-12-03")!,
                through: CalendarDate(iso: "2026-12-03")!, content: Data("{}".utf8)))
        #expect(try station.queue.reportContent(id) == Self.content)
        let central = FakeCentral()
        central.probeFailures = [UploadCycleTests.failure(.transport, status: nil)]
        central.reportFailures = [UploadCycleTests.failure(.unavailable, status: 503, retryAfter: 2)]
        let clock = TestClock()
        let report = try await station.uploader(central, backoff: Backoff(base: 1, cap: 2)).drain(
            until: UploadCycleTests.instant(60_000), clock: clock)
        #expect(report.reports == 1 && report.retries == 2)
        #expect(central.calls == ["probe", "probe", "report:\(id)", "probe", "report:\(id)"])
        #expect(central.reportsStored[id]?.contentSHA256 == (try station.queue.outboundReport(id))?.contentSHA256)
        let sent = try #require(try station.queue.outboundReport(id))
        #expect(sent.state == .sent && sent.attempts == 1 && sent.lastError == nil)
        // Nothing more to send: the next drain does not send it again.
        try await station.uploader(central).drain(until: UploadCycleTests.instant(60_000), clock: TestClock())
        #expect(central.calls.filter { $0.hasPrefix("report:") }.count == 2)
        let actions = try station.queue.auditTrail(for: nil).map(\.action)
        #expect(actions.filter { $0 == "report_produced" }.count == 1)
        #expect(actions.filter { $0 == "report_sent" }.count == 1)
    }

    @Test func aReportStillWaitingAtTheDeadlineIsSentByTheNextDrain() async throws {
        let station = try InProcessStation()
        let id = try Self.freeze(station)
        let central = FakeCentral()
        central.reportFailures = Array(
            repeating: UploadCycleTests.failure(.unavailable, status: 503, retryAfter: 2), count: 10)
        do {
            try await station.uploader(central, backoff: Backoff(base: 1, cap: 2)).drain(
                until: UploadCycleTests.instant(5_000), clock: TestClock())
            Issue.record("a report left at the deadline must end the drain offline")
        } catch let error as UplinkError {
            #expect(error.code == .deadline && error.central?.code == .unavailable)
        }
        let waiting = try #require(try station.queue.outboundReport(id))
        #expect(waiting.state == .waiting && waiting.attempts >= 2 && waiting.lastError == "central.unavailable")
        central.reportFailures = []
        try await station.uploader(central).drain(until: UploadCycleTests.instant(60_000), clock: TestClock())
        #expect(try station.queue.outboundReport(id)?.state == .sent)
        #expect(central.reportsStored.count == 1)
    }

    @Test func aRefusedReportIsKeptRefusedAndTheApplicationsStillGo() async throws {
        let station = try InProcessStation()
        let id = try Self.freeze(station)
        let ids = try station.addReady(2)
        let central = FakeCentral()
        central.reportFailures = [UploadCycleTests.failure(.reportConflict, status: 409)]
        let report = try await station.uploader(central).drain(
            until: UploadCycleTests.instant(60_000), clock: TestClock())
        #expect(report.received == 2 && report.reports == 0)
        let refused = try #require(try station.queue.outboundReport(id))
        #expect(refused.state == .refused && refused.refused == "central.report_conflict")
        #expect(try station.statuses(ids).allSatisfy { $0.local == .uploaded })
        // Not sent again.
        try await station.uploader(central).drain(until: UploadCycleTests.instant(60_000), clock: TestClock())
        #expect(central.calls.filter { $0.hasPrefix("report:") } == ["report:\(id)"])
    }
}

/// The real `central-receiver`: a report stored once per station and id, a resend answered with the first receipt,
/// other content under the same id refused, the listing per station.
@Suite(.serialized) struct LiveReportReceiverTests {
    struct Listed: Decodable {
        var stationID: String
        var reportID: String
        var kind: String
        var from: String
        var through: String
        var contentSHA256: String
        var content: String
    }

    func listing(_ receiver: ReceiverProcess, station: String? = nil) async throws -> [Listed] {
        try await receiver.admin(
            "GET", CentralPath.adminReports + (station.map { "?station=\($0)" } ?? ""), as: [Listed].self)
    }

    @Test(.timeLimit(.minutes(5))) func theReceiverStoresEachReportOnceAndListsThemPerStation() async throws {
        let receiver = try ReceiverProcess()
        let station = try await StationFixture(receiver: receiver)
        let other = try await StationFixture(receiver: receiver, token: receiver.token + "-1")
        let period = ReportPeriod(kind: .weekly, through: CalendarDate(iso: "2026-12-04")!)
        let content = Data(#"{"from":"2026-11-28","period":"weekly","through":"2026-12-04"}"#.utf8)
        try station.queue.freezeReport(
            id: period.id, kind: "weekly", from: period.from, through: period.through, content: content)
        try other.queue.freezeReport(
            id: period.id, kind: "weekly", from: period.from, through: period.through, content: Data("{}".utf8))
        let drained = try await station.uploader(receiver).drain(until: Date().addingTimeInterval(60))
        #expect(drained.reports == 1)
        try await other.uploader(receiver).drain(until: Date().addingTimeInterval(60))

        let mine = try await listing(receiver, station: station.stationID)
        #expect(mine.map(\.reportID) == [period.id])
        #expect(mine.first?.content == content.base64EncodedString())
        #expect(mine.first?.from == "2026-11-28" && mine.first?.through == "2026-12-04" && mine.first?.kind == "weekly")
        #expect(try await listing(receiver).count == 2)

        // The same report again (sealed afresh, as after a lost answer): the first receipt, still one.
        let frozen = try #require(try station.queue.outboundReport(period.id))
        let client = receiver.client
        let submission = ReportSubmission(
            reportID: period.id, stationID: station.stationID, kind: "weekly", from: period.from.iso,
            through: period.through.iso, producedAt: frozen.producedAt, contentSHA256: frozen.contentSHA256,
            envelope: try sealed(content, period.id, station))
        let first = try await client.submitReport(submission, credentials: station.credentials)
        let again = try await client.submitReport(submission, credentials: station.credentials)
        #expect(first == again && first.contentSHA256 == frozen.contentSHA256)
        // Other content under the same id: refused, the first kept.
        let changed = Data(#"{"period":"weekly","taken":999}"#.utf8)
        var conflicting = submission
        conflicting.contentSHA256 = ItemEnvelope.hash(changed)
        conflicting.envelope = try sealed(changed, period.id, station)
        do {
            _ = try await client.submitReport(conflicting, credentials: station.credentials)
            Issue.record("other content under the same id must be refused")
        } catch {
            #expect(error.error.code == .reportConflict && error.status == 409)
        }
        // An envelope sealed for another report does not open under this id.
        var moved = submission
        moved.envelope = try sealed(content, "daily-2026-12-04", station)
        do {
            _ = try await client.submitReport(moved, credentials: station.credentials)
            Issue.record("an envelope of another report must be refused")
        } catch {
            #expect(error.error.code == .badEnvelope)
        }
        #expect(
            try await listing(receiver, station: station.stationID).map(\.content) == [content.base64EncodedString()])
    }

    func sealed(_ content: Data, _ id: String, _ station: StationFixture) throws -> Data {
        try ItemEnvelope.seal(
            content, application: ReportSubmission.envelopeSubject(id), station: station.stationID,
            signingKey: station.credentials.signingKey, centralKey: station.credentials.centralKey!)
    }
}
