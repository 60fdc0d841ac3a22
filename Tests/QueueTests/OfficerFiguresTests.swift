import Foundation
import Intake
import Queue
import Testing

/// Figures per official and team against a hand-computed fixture across a midnight in Asia/Ho_Chi_Minh.
@Suite struct OfficerFiguresTests {
    // 2026-11-23 00:00 in Hà Nội = 2026-11-22 17:00 UTC.
    static let mondayStart = Date(timeIntervalSince1970: 1_795_366_800)
    static let monday = CalendarDate(iso: "2026-11-23")!
    static let tuesday = CalendarDate(iso: "2026-11-24")!

    /// A time on Monday in Hà Nội (hours after its midnight; 24.5 is Tuesday 00:30).
    static func hanoi(_ hours: Double) -> Date { mondayStart + hours * 3600 }

    func counts(_ values: [Int]) -> IntakeCounts {
        var counts = IntakeCounts()
        counts.taken = values[0]
        counts.pending = values[1]
        counts.accepted = values[2]
        counts.activated = values[3]
        counts.rejected = values[4]
        return counts
    }

    @Test func applicationsCountUnderTheirOperatorOnTheVietnameseDayTheUnregisteredApart() throws {
        let dir = TemporaryDirectory()
        let queue = try openQueue(dir)
        for (account, staff, team) in [
            ("nva", "CA-1", "Tổ 1"), ("ttb", "CA-2", "Tổ 1"), ("lvc", "CA-3", "Tổ 2"), ("hqe", "CA-4", "Tổ 2"),
            ("pvd", "CA-5", "Tổ 2"),
        ] {
            try queue.addOperator(
                OperatorRecord(
                    account: account, staffNumber: staff, fullName: "Cán bộ \(staff)", unit: "CA huyện",
                    team: team, communeCode: "16001"), by: supervisor)
        }
        try queue.disableOperator("pvd", by: supervisor)  // disabled, no applications: not listed
        func take(_ account: String, _ hours: Double, _ end: ApplicationStatus) throws {
            let application = sampleApplication(operatorID: account, capturedAt: Self.hanoi(hours), printBytes: 50)
            try queue.commit(application, by: officer)
            var path: [ApplicationStatus] = [.s(.ready), .s(.batched), .s(.uploaded)]
            switch end.central {
            case .accepted: path.append(.s(.uploaded, .accepted))
            case .activated: path += [.s(.uploaded, .accepted), .s(.uploaded, .activated)]
            case .rejected: path.append(end)
            default: break
            }
            if end.local == .cancelled { path = [.s(.cancelled)] }
            for step in path {
                try queue.transition(application.id, to: step, by: step.local == .cancelled ? supervisor : .system)
            }
        }
        try take("nva", 23.5, .s(.uploaded))  // Monday 23:30
        try take("nva", 24.5, .s(.uploaded, .activated))  // Tuesday 00:30
        try take("ttb", 23.99, .s(.uploaded, .accepted))  // Monday 23:59
        try take("ttb", 10, .s(.uploaded, .rejected(reason: "X")))
        try take("lvc", 24.01, .s(.uploaded))  // Tuesday 00:00:36
        try take("khach", 23.98, .s(.uploaded))  // no record, Monday
        try take("khach", 24.02, .s(.cancelled))  // cancelled: not counted
        try take("other", 33, .s(.uploaded))  // no record, Tuesday 09:00

        let mon = try queue.officerFigures(from: Self.monday, through: Self.monday)
        #expect(mon.map(\.account) == ["hqe", "khach", "lvc", "nva", "ttb"])
        #expect(
            mon.map(\.counts) == [
                counts([0, 0, 0, 0, 0]), counts([1, 1, 0, 0, 0]), counts([0, 0, 0, 0, 0]), counts([1, 1, 0, 0, 0]),
                counts([2, 0, 1, 0, 1]),
            ])
        #expect(mon[1].record == nil && mon[3].record?.fullName == "Cán bộ CA-1")
        let monTeams = TeamFigures.of(mon)
        #expect(monTeams.map(\.team) == ["Tổ 1", "Tổ 2", OfficerFigures.unregistered])
        #expect(monTeams.map(\.unit) == ["CA huyện", "CA huyện", nil])
        #expect(monTeams.map(\.officers) == [2, 2, 1])
        #expect(
            monTeams.map(\.counts) == [counts([3, 1, 1, 0, 1]), counts([0, 0, 0, 0, 0]), counts([1, 1, 0, 0, 0])])

        let tue = try queue.officerFigures(from: Self.tuesday, through: Self.tuesday)
        #expect(tue.map(\.account) == ["hqe", "lvc", "nva", "other", "ttb"])
        #expect(
            tue.map(\.counts) == [
                counts([0, 0, 0, 0, 0]), counts([1, 1, 0, 0, 0]), counts([1, 0, 0, 1, 0]), counts([1, 1, 0, 0, 0]),
                counts([0, 0, 0, 0, 0]),
            ])
        #expect(
            TeamFigures.of(tue).map(\.counts) == [
                counts([1, 0, 0, 1, 0]), counts([1, 1, 0, 0, 0]), counts([1, 1, 0, 0, 0]),
            ])

        // Both days: every counted application once.
        let both = try queue.officerFigures(from: Self.monday, through: Self.tuesday)
        #expect(both.map(\.counts.taken).reduce(0, +) == 7)
        #expect(
            TeamFigures.of(both).map(\.counts) == [
                counts([4, 1, 1, 1, 1]), counts([1, 1, 0, 0, 0]), counts([2, 2, 0, 0, 0]),
            ])
    }
}
