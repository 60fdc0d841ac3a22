import Foundation
import Intake
import Queue
import StationTestKit
import Testing

/// The report's breakdowns (#22 item 2) against a hand-computed fixture across three Vietnamese days: applications
/// taken either side of 17:00 and of midnight in Asia/Ho_Chi_Minh (17:00 UTC), C06's word arriving days after
/// capture, and refusals recorded twice for one citizen.
@Suite struct ReportBreakdownsTests {
    // 2026-11-23 00:00 in Hà Nội = 2026-11-22 17:00 UTC.
    static let mondayStart = Date(timeIntervalSince1970: 1_795_366_800)
    static let monday = CalendarDate(iso: "2026-11-23")!
    static let tuesday = CalendarDate(iso: "2026-11-24")!
    static let wednesday = CalendarDate(iso: "2026-11-25")!
    static let thursday = CalendarDate(iso: "2026-11-26")!

    /// A time in Hà Nội, in hours after Monday's midnight (24.5 is Tuesday 00:30).
    static func hanoi(_ hours: Double) -> Date { mondayStart + hours * 3600 }

    /// taken, pending, accepted, activated, rejected, then activations C06 reported in the period.
    typealias Figures = [Int]
    func figures(_ lines: [BreakdownLine]) -> [String: Figures] {
        Dictionary(
            uniqueKeysWithValues: lines.map { line in
                let c = line.counts
                return (line.key, [c.taken, c.pending, c.accepted, c.activated, c.rejected, line.activatedReported])
            })
    }

    func keyed(_ counts: [KeyedCount]) -> [String] { counts.map { "\($0.key):\($0.count)" } }
    func refusals(_ lines: [RefusalFigures]) -> [String] {
        lines.map { "\($0.eligibilityClass)/\($0.reason):\($0.citizens)/\($0.confirmed)" }
    }

    @Test func breakdownsCountOnVietnameseDaysAndActivationsOnTheDayC06ReportsThem() throws {
        let dir = TemporaryDirectory()
        let clock = HandClock(Self.hanoi(0))
        let queue = try openQueue(dir) { clock.now }

        /// Takes an application at `hours` (Hà Nội); its later steps go to `steps`, applied in time order after
        /// every capture: `uploaded`, C06's word (`accepted`, `activated`, `rejected:REASON`) or a local end
        /// (`held`, `needsAttention`, `cancelled`).
        var steps: [(at: Double, id: ApplicationID, step: String)] = []
        func take(
            _ hours: Double, _ bundle: ServiceBundle, _ group: PriorityGroup?, _ kind: RegistrationPoint.Kind,
            _ later: [(Double, String)] = []
        ) throws {
            clock.now = Self.hanoi(hours)
            var application = SampleApplications.application(
                capturedAt: clock.now, fingerprints: SampleApplications.indexFingers(recordBytes: 50),
                priorityGroup: group,
                point: RegistrationPoint(communeCode: "16001", kind: kind, placeName: "Nhà văn hóa thôn Đông"))
            application.bundle = bundle
            try queue.commit(application, by: officer)
            steps += later.map { (at: $0.0, id: application.id, step: $0.1) }
        }
        // Monday (captured in time order).
        try take(8, .utility, .students, .fixed, [(9, "uploaded"), (12, "accepted")])  // A9: accepted only
        try take(9, .utility, .students, .fixed, [(10, "uploaded"), (11, "accepted"), (23.9999, "activated")])  // A7
        try take(16.99, .utility, .students, .fixed, [(17, "uploaded"), (18, "accepted"), (57, "activated")])  // A1
        try take(17.02, .twoInOne, .workersAndOfficials, .mobile, [(18, "uploaded"), (23.9999, "rejected:photo")])
        try take(23.99, .utility, nil, .mobile, [(25, "held")])  // A3: Monday 23:59:24, held on Tuesday
        // Tuesday: A4 at 00:01 (Monday 17:01 UTC), activated at 00:03, after the midnight.
        try take(24.02, .twoInOne, .policyBeneficiaries, .fixed, [(24.03, "uploaded"), (24.04, "accepted")])
        steps.append((at: 24.05, id: steps.last!.id, step: "activated"))
        try take(34, .utility, .students, .mobile, [(35, "uploaded"), (80, "rejected:fingerprint")])  // A5: Thu 08:00
        try take(35, .utility, nil, .mobile, [(36, "cancelled")])  // A6: not counted
        try take(36, .utility, nil, .fixed, [(37, "needsAttention")])  // A8
        for (at, id, step) in steps.sorted(by: { $0.at < $1.at }) {
            clock.now = Self.hanoi(at)
            switch step {
            case "held": _ = try queue.hold(id, by: supervisor, reason: .dataError)
            case "needsAttention": try queue.transition(id, to: .s(.needsAttention), by: .system)
            case "cancelled": _ = try queue.cancel(id, by: supervisor, reason: .citizenRequest)
            case "uploaded":
                for local: LocalState in [.ready, .batched, .uploaded] {
                    try queue.transition(id, to: .s(local), by: .system)
                }
            case "accepted": try queue.transition(id, to: .s(.uploaded, .accepted), by: .system)
            case "activated": try queue.transition(id, to: .s(.uploaded, .activated), by: .system)
            default:
                let reason = String(step.dropFirst("rejected:".count))
                try queue.transition(id, to: .s(.uploaded, .rejected(reason: reason)), by: .system)
            }
        }
        // Refusals: one citizen refused Monday (under 14), again Tuesday (abroad); two others.
        let child = SampleApplications.randomCitizenID()
        func refuse(_ citizen: CitizenID, _ eligibility: EligibilityClass, on day: CalendarDate, confirmed: Bool) throws
        {
            try queue.recordEligibility(
                EligibilityRecord(
                    idNumber: citizen, eligibility: eligibility, note: "", recordedBy: OperatorID("officer-1"),
                    recordedOn: day, confirmedByLocalAuthority: confirmed), communeCode: "16001", by: officer)
        }
        try refuse(child, .notYetEligible(.under14), on: Self.monday, confirmed: false)
        try refuse(SampleApplications.randomCitizenID(), .ineligible(.illness), on: Self.monday, confirmed: true)
        try refuse(SampleApplications.randomCitizenID(), .notYetEligible(.noPhone), on: Self.tuesday, confirmed: false)
        try refuse(child, .notYetEligible(.abroad), on: Self.tuesday, confirmed: false)

        // Monday: A1, A2, A3, A7, A9 taken; A7's activation reported Monday 23:59:59, A1's on Wednesday.
        let mon = try queue.reportBreakdowns(from: Self.monday, through: Self.monday)
        #expect(figures(mon.bundles) == ["utility": [4, 1, 1, 2, 0, 1], "2in1": [1, 0, 0, 0, 1, 0]])
        #expect(mon.bundles.map(\.key) == ["2in1", "utility"])
        #expect(
            figures(mon.priorityGroups) == [
                "none": [1, 1, 0, 0, 0, 0], "students": [3, 0, 1, 2, 0, 1], "workersAndOfficials": [1, 0, 0, 0, 1, 0],
            ])
        #expect(figures(mon.points) == ["fixed": [3, 0, 1, 2, 0, 1], "mobile": [2, 1, 0, 0, 1, 0]])
        #expect(keyed(mon.rejections) == ["photo:1"])  // reported Monday 23:59:59
        #expect(keyed(mon.attention) == ["held:1"])
        #expect(refusals(mon.refusals) == ["ineligible/illness:1/1", "notYetEligible/under14:1/0"])

        // Tuesday: A4, A5, A8 taken (A6 cancelled); A4's activation reported Tuesday.
        let tue = try queue.reportBreakdowns(from: Self.tuesday, through: Self.tuesday)
        #expect(figures(tue.bundles) == ["2in1": [1, 0, 0, 1, 0, 1], "utility": [2, 1, 0, 0, 1, 0]])
        #expect(figures(tue.priorityGroups)["policyBeneficiaries"] == [1, 0, 0, 1, 0, 1])
        #expect(tue.rejections.isEmpty)  // A5's rejection came on Thursday
        #expect(keyed(tue.attention) == ["held:1", "needsAttention:1"])
        #expect(refusals(tue.refusals) == ["notYetEligible/abroad:1/0", "notYetEligible/noPhone:1/0"])

        // Wednesday: nothing taken, but C06 reported A1's activation: it counts on Wednesday.
        let wed = try queue.reportBreakdowns(from: Self.wednesday, through: Self.wednesday)
        #expect(figures(wed.bundles) == ["utility": [0, 0, 0, 0, 0, 1]])
        #expect(figures(wed.priorityGroups) == ["students": [0, 0, 0, 0, 0, 1]])
        #expect(wed.refusals.isEmpty)

        // Monday to Thursday: every application once; the child counted once, by the latest record.
        let all = try queue.reportBreakdowns(from: Self.monday, through: Self.thursday)
        #expect(figures(all.bundles) == ["utility": [6, 2, 1, 2, 1, 2], "2in1": [2, 0, 0, 1, 1, 1]])
        #expect(keyed(all.rejections) == ["fingerprint:1", "photo:1"])
        #expect(
            refusals(all.refusals) == [
                "ineligible/illness:1/1", "notYetEligible/abroad:1/0", "notYetEligible/noPhone:1/0",
            ])
        // The same activations in the trend: on the day reported.
        let trend = try queue.dailyTrend(through: Self.thursday, days: 4)
        #expect(trend.map(\.activated) == [1, 1, 1, 0])
        #expect(trend.map(\.captured) == [5, 3, 0, 0])
    }
}
