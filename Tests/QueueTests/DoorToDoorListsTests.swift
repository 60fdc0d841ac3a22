import Foundation
import GRDB
import Intake
import StationTestKit
import Testing

@testable import Queue

/// Issue 22 item 5: the door-to-door lists against a hand-computed fixture (refusals, approved-not-activated
/// across hamlets and a Vietnamese midnight, invited citizens present and absent), and the invitation file's bad
/// input refused whole with line and column.
struct DoorToDoorListsTests {
    final class Clock: @unchecked Sendable {
        var now: Date
        init(_ now: Date) { self.now = now }
    }

    // 2026-11-23 00:00 in Hà Nội = 2026-11-22 17:00 UTC.
    static let mondayStart = Date(timeIntervalSince1970: 1_795_366_800)
    /// A time after Monday 2026-11-23 00:00 in Hà Nội (hours; 24 is Tuesday 00:00).
    static func hanoi(_ hours: Double) -> Date { mondayStart + hours * 3600 }

    static func citizen(_ n: Int) -> CitizenID { CitizenID(String(format: "0012990%05d", n))! }

    /// Puts rows into the hamlet side tables (what the station's intake does from this session on).
    static func hamlet(
        _ dir: TemporaryDirectory, application id: ApplicationID? = nil, refusal seq: Int? = nil, _ name: String
    ) throws {
        try DatabaseQueue(path: dir.database).write { db in
            if let id {
                try db.execute(
                    sql: "INSERT INTO application_hamlet (application_id, hamlet) VALUES (?, ?)",
                    arguments: [id.text, name])
            }
            if let seq {
                try db.execute(
                    sql: "INSERT INTO eligibility_hamlet (seq, hamlet) VALUES (?, ?)", arguments: [seq, name])
            }
        }
    }

    struct Fixture {
        let dir = TemporaryDirectory()
        let clock = Clock(DoorToDoorListsTests.hanoi(8))
        let queue: ApplicationQueue
        var ids: [Int: ApplicationID] = [:]

        init() throws {
            let clock = self.clock
            queue = try openQueue(dir, now: { clock.now })
        }

        /// Commits citizen `n`'s application at the clock, then walks it to `central` (accepted at `acceptedAt`).
        mutating func take(
            _ n: Int, _ name: String, phone: String, commune: String = "01234", acceptedAt: Double?,
            activated: Bool = false, cancelled: Bool = false
        ) throws {
            let application = SampleApplications.application(
                idNumber: DoorToDoorListsTests.citizen(n), fullName: name, capturedAt: clock.now,
                fingerprints: SampleApplications.indexFingers(recordBytes: 50), phone: phone,
                point: RegistrationPoint(communeCode: commune, kind: .mobile, placeName: "Nhà văn hóa"))
            try queue.commit(application, by: officer)
            ids[n] = application.id
            if cancelled {
                try queue.transition(application.id, to: .s(.cancelled), by: supervisor)
                return
            }
            for step: ApplicationStatus in [.s(.ready), .s(.batched), .s(.uploaded)] {
                try queue.transition(application.id, to: step, by: .system)
            }
            guard let acceptedAt else { return }
            let before = clock.now
            clock.now = DoorToDoorListsTests.hanoi(acceptedAt)
            try queue.transition(application.id, to: .s(.uploaded, .accepted), by: .system)
            if activated { try queue.transition(application.id, to: .s(.uploaded, .activated), by: .system) }
            clock.now = before
        }

        func refuse(_ n: Int, _ eligibility: EligibilityClass, name: String?, confirmed: Bool, note: String = "")
            throws
        {
            try queue.recordEligibility(
                EligibilityRecord(
                    idNumber: DoorToDoorListsTests.citizen(n), eligibility: eligibility, note: note,
                    recordedBy: OperatorID("officer-1"), recordedOn: CalendarDate(vietnamDayOf: clock.now),
                    confirmedByLocalAuthority: confirmed, fullName: name),
                communeCode: "01234", by: officer)
        }
    }

    static func csv(_ rows: [String], bom: Bool = false) -> Data {
        (bom ? Data([0xEF, 0xBB, 0xBF]) : Data())
            + Data(([InvitationCSV.header] + rows).joined(separator: "\r\n").utf8)
    }

    @Test("approved and not activated: per hamlet, with phones, days waiting to today in Vietnamese days")
    func awaitingActivation() throws {
        var fixture = try Fixture()
        let id = { (n: Int) in Self.citizen(n).digits }
        try fixture.take(1, "TRẦN THỊ BÌNH", phone: "0912000001", acceptedAt: 10)  // Mon 10:00
        try fixture.take(2, "LÊ VĂN CƯỜNG", phone: "0912000002", acceptedAt: 47.5)  // Tue 23:30 → Tuesday
        try fixture.take(3, "ĐỖ THỊ DUNG", phone: "0912000003", acceptedAt: 20, activated: true)  // activated
        try fixture.take(4, "AN VĂN KHÔNG", phone: "0912000004", acceptedAt: 8.5)  // Mon 08:30, no hamlet
        try fixture.take(5, "VŨ VĂN CHỜ", phone: "0912000005", acceptedAt: nil)  // uploaded, not approved
        try fixture.take(6, "PHAN XÃ KHÁC", phone: "0912000006", commune: "05678", acceptedAt: 48.2)  // Wed 00:12
        try Self.hamlet(fixture.dir, application: fixture.ids[1], "Thôn Đông")
        try Self.hamlet(fixture.dir, application: fixture.ids[2], "Thôn Tây")
        try Self.hamlet(fixture.dir, application: fixture.ids[3], "Thôn Đông")
        try Self.hamlet(fixture.dir, application: fixture.ids[6], "Thôn Đông")
        fixture.clock.now = Self.hanoi(3 * 24 + 9)  // Thursday 2026-11-26 09:00

        // By commune, then hamlet in Vietnamese order ("Thôn Đông" before "Thôn Tây": Đ follows D, not Y), none
        // last, then name.
        let all = try fixture.queue.awaitingActivationList(by: supervisor)
        #expect(all.map(\.fullName) == ["TRẦN THỊ BÌNH", "LÊ VĂN CƯỜNG", "AN VĂN KHÔNG", "PHAN XÃ KHÁC"])
        #expect(all.map(\.hamlet) == ["Thôn Đông", "Thôn Tây", nil, "Thôn Đông"])
        #expect(all.map(\.communeCode) == ["01234", "01234", "01234", "05678"])
        #expect(all.map(\.idNumber) == [id(1), id(2), id(4), id(6)])
        #expect(all.map(\.phone) == ["0912000001", "0912000002", "0912000004", "0912000006"])
        #expect(all.map(\.approvedOn.iso) == ["2026-11-23", "2026-11-24", "2026-11-23", "2026-11-25"])
        #expect(all.map(\.daysWaiting) == [3, 2, 3, 1])
        #expect(all.map(\.applicationID) == [1, 2, 4, 6].map { fixture.ids[$0]!.text })

        // Filters: a commune, a hamlet, "" for rows without one.
        #expect(
            try fixture.queue.awaitingActivationList(.init(communeCode: "01234", hamlet: "Thôn Đông"), by: supervisor)
                .map(\.fullName) == ["TRẦN THỊ BÌNH"])
        #expect(
            try fixture.queue.awaitingActivationList(.init(hamlet: ""), by: supervisor).map(\.fullName) == [
                "AN VĂN KHÔNG"
            ])
        // "Every day": the next day each waits one day more; an activation takes it off.
        fixture.clock.now = Self.hanoi(4 * 24 + 1)
        try fixture.queue.transition(fixture.ids[1]!, to: .s(.uploaded, .activated), by: .system)
        #expect(try fixture.queue.awaitingActivationList(by: supervisor).map(\.daysWaiting) == [3, 4, 2])

        // Officers may not see it; each view is audited with the list and the count, never a name.
        #expect(throws: QueueError.self) { try fixture.queue.awaitingActivationList(by: officer) }
        let views = try fixture.queue.auditTrail(for: nil).filter { $0.action == "list_view" }
        #expect(
            views.map(\.to) == [
                "list:awaiting-activation rows:4", "list:awaiting-activation rows:1", "list:awaiting-activation rows:1",
                "list:awaiting-activation rows:3",
            ])
        #expect(views.allSatisfy { $0.actor == "supervisor-1" })
    }

    @Test("refusals: the latest record of each citizen, reason and confirmation, hamlet; gone once they applied")
    func refusals() throws {
        var fixture = try Fixture()
        try fixture.refuse(7, .notYetEligible(.noPhone), name: "PHẠM VĂN DŨNG", confirmed: false, note: "hẹn tuần sau")
        try Self.hamlet(fixture.dir, refusal: 1, "Thôn Đông")
        try fixture.refuse(8, .ineligible(.illness), name: "HOÀNG THỊ EM", confirmed: true)
        try fixture.refuse(9, .notYetEligible(.under14), name: "CAO BÉ NHỎ", confirmed: false)
        fixture.clock.now = Self.hanoi(30)  // Tuesday
        try fixture.refuse(10, .notYetEligible(.abroad), name: "LÝ VĂN XA", confirmed: false)
        try fixture.refuse(10, .ineligible(.mentalDisability), name: "LÝ VĂN XA", confirmed: false)
        try fixture.refuse(11, .notYetEligible(.missing), name: nil, confirmed: false)  // a record from before names
        // Citizen 9 came back on their birthday and applied: off the list.
        try fixture.take(9, "CAO BÉ NHỎ", phone: "0912000009", acceptedAt: nil)

        let list = try fixture.queue.refusalList(by: supervisor)
        // The hamlet first, rows without one last; the record from before names sorts first among those.
        #expect(list.map(\.idNumber) == [7, 11, 8, 10].map { Self.citizen($0).digits })
        #expect(list.map(\.fullName) == ["PHẠM VĂN DŨNG", nil, "HOÀNG THỊ EM", "LÝ VĂN XA"])
        #expect(list.map(\.hamlet) == ["Thôn Đông", nil, nil, nil])
        #expect(list.map(\.eligibilityClass) == ["notYetEligible", "notYetEligible", "ineligible", "ineligible"])
        #expect(list.map(\.reason) == ["noPhone", "missing", "illness", "mentalDisability"])
        #expect(list.map(\.confirmed) == [false, false, true, false])
        #expect(list.map(\.recordedOn.iso) == ["2026-11-23", "2026-11-24", "2026-11-23", "2026-11-24"])
        #expect(list.first?.note == "hẹn tuần sau")
        #expect(try fixture.queue.refusalList(.init(hamlet: "Thôn Đông"), by: supervisor).count == 1)
        #expect(try fixture.queue.refusalList(.init(communeCode: "99999"), by: supervisor).isEmpty)
        #expect(throws: QueueError.self) { try fixture.queue.refusalList(by: officer) }
        #expect(
            try fixture.queue.auditTrail(for: nil).filter { $0.action == "list_view" }.map(\.to) == [
                "list:refusals rows:4", "list:refusals rows:1", "list:refusals rows:0",
            ])
    }

    @Test("absent: invited on or before today, no live application, no refusal; re-import replaces the list")
    func absentFromAnInvitationList() throws {
        var fixture = try Fixture()
        try fixture.take(1, "TRẦN THỊ BÌNH", phone: "0912000001", acceptedAt: nil)  // came and applied
        try fixture.refuse(7, .notYetEligible(.noPhone), name: "PHẠM VĂN DŨNG", confirmed: false)  // came, refused
        try fixture.take(14, "MAI THỊ HỦY", phone: "0912000014", acceptedAt: nil, cancelled: true)  // cancelled
        fixture.clock.now = Self.hanoi(3 * 24 + 9)  // Thursday 2026-11-26
        let c = { (n: Int) in Self.citizen(n).digits }
        let file = Self.csv(
            [
                "01234,Thôn Đông,\(c(1)),Trần Thị Bình,2026-11-23",
                "01234,Thôn Đông,\(c(7)),Phạm Văn Dũng,2026-11-23",
                "01234,Thôn Đông,\(c(11)),Nguyễn Thị Hoa,2026-11-25",
                "01234,Thôn Đông,\(c(14)),Mai Thị Hủy,2026-11-23",
                "01234,\"Thôn Tây, xóm 2\",\(c(12)),Đỗ Văn Giang,2026-11-26",
                "01234,\"Thôn Tây, xóm 2\",\(c(13)),Bùi Văn Mai,2026-11-27",
            ], bom: true)
        let rows = try InvitationCSV.parse(file)
        let first = try fixture.queue.importInvitations(rows, by: supervisor)
        #expect(first == InvitationImportOutcome(citizens: 6, lists: 4, replaced: 0))
        let expected = [
            AbsentEntry(
                communeCode: "01234", hamlet: "Thôn Đông", idNumber: c(14), fullName: "Mai Thị Hủy",
                invitedOn: CalendarDate(iso: "2026-11-23")!),
            AbsentEntry(
                communeCode: "01234", hamlet: "Thôn Đông", idNumber: c(11), fullName: "Nguyễn Thị Hoa",
                invitedOn: CalendarDate(iso: "2026-11-25")!),
            AbsentEntry(
                communeCode: "01234", hamlet: "Thôn Tây, xóm 2", idNumber: c(12), fullName: "Đỗ Văn Giang",
                invitedOn: CalendarDate(iso: "2026-11-26")!),
        ]
        #expect(try fixture.queue.absentList(by: supervisor) == expected)

        // The same file again: the same lists, replaced, nothing doubled.
        let again = try fixture.queue.importInvitations(rows, by: supervisor)
        #expect(again == InvitationImportOutcome(citizens: 6, lists: 4, replaced: 6))
        #expect(try fixture.queue.absentList(by: supervisor) == expected)
        // A corrected list for one hamlet and day replaces only that list.
        let corrected = try InvitationCSV.parse(
            Self.csv([
                "01234,Thôn Đông,\(c(11)),Nguyễn Thị Hoà,2026-11-25", "01234,Thôn Đông,\(c(15)),Tạ Văn Mới,2026-11-25",
            ]))
        #expect(try fixture.queue.importInvitations(corrected, by: supervisor).replaced == 1)
        #expect(
            try fixture.queue.absentList(.init(hamlet: "Thôn Đông"), by: supervisor).map(\.fullName) == [
                "Mai Thị Hủy", "Nguyễn Thị Hoà", "Tạ Văn Mới",
            ])
        // Tomorrow, citizen 13's day has come.
        fixture.clock.now = Self.hanoi(4 * 24 + 9)
        #expect(try fixture.queue.absentList(by: supervisor).map(\.idNumber).contains(c(13)))

        #expect(throws: QueueError.self) { try fixture.queue.absentList(by: officer) }
        #expect(throws: QueueError.self) { try fixture.queue.importInvitations(rows, by: officer) }
        let audit = try fixture.queue.auditTrail(for: nil)
        #expect(
            audit.filter { $0.action == "invitations_import" }.map(\.to) == [
                "lists:4 citizens:6", "lists:4 citizens:6", "lists:1 citizens:2",
            ])
        #expect(audit.filter { $0.action == "list_view" }.count == 4)
        // In clear: neither the ID numbers nor the names.
        try fixture.queue.checkpoint()
        let bytes = fileBytes(fixture.dir.database) + fileBytes(fixture.dir.database + "-wal")
        for needle in [c(11), c(12), "Nguyễn Thị Hoa", "Đỗ Văn Giang"] {
            #expect(bytes.range(of: Data(needle.utf8)) == nil, "\(needle) in clear")
        }
    }

    @Test(
        "a bad invitation file is refused whole with the line and column, nothing stored",
        arguments: [
            (
                "wrong header",
                invitationText(
                    header: "commune_code,hamlet,id,full_name,invited_day",
                    ["01234,Thôn Đông,001299000011,A,2026-11-25"]), "invitation.header", 1, 3
            ),
            (
                "ID not 12 digits",
                invitationText([
                    "01234,Thôn Đông,001299000011,A,2026-11-25", "01234,Thôn Đông,00129900001,B,2026-11-25",
                ]), "invitation.id_number", 3, 3
            ),
            (
                "letters in the ID", invitationText(["01234,Thôn Đông,00129900001X,A,2026-11-25"]),
                "invitation.id_number", 2, 3
            ),
            (
                "a citizen twice",
                invitationText([
                    "01234,Thôn Đông,001299000011,A,2026-11-25", "01234,Thôn Tây,001299000011,A,2026-11-26",
                ]), "invitation.duplicate", 3, 3
            ),
            ("commune code", invitationText(["1234,Thôn Đông,001299000011,A,2026-11-25"]), "invitation.field", 2, 1),
            ("bad day", invitationText(["01234,Thôn Đông,001299000011,A,25/11/2026"]), "invitation.field", 2, 5),
            ("too few columns", invitationText(["01234,Thôn Đông,001299000011,A"]), "invitation.columns", 2, 5),
            ("no rows", invitationText([]), "invitation.empty", 2, 0),
        ])
    func badFiles(_ name: String, _ text: String, _ code: String, _ line: Int, _ column: Int) throws {
        try Self.refusedWhole(Data(text.utf8), code: code, line: line, column: column)
    }

    @Test("a Windows-1258 file: refused at the first byte that is not UTF-8")
    func windows1258() throws {
        // "Thôn Đông" in Windows-1258: ô = 0xF4, Đ = 0xD0.
        var data = Data((InvitationCSV.header + "\r\n01234,Th").utf8)
        data += Data([0xF4]) + Data("n ".utf8) + Data([0xD0]) + Data("ong,001299000011,A,2026-11-25\r\n".utf8)
        try Self.refusedWhole(data, code: "invitation.encoding", line: 2, column: 9)
    }

    /// The file is refused with `code` at `line`:`column` (first problem), and an import of the good part never
    /// happens: the store's invitation table stays empty.
    static func refusedWhole(_ data: Data, code: String, line: Int, column: Int) throws {
        let dir = TemporaryDirectory()
        let queue = try openQueue(dir)
        var issues: [InvitationIssue] = []
        do {
            let rows = try InvitationCSV.parse(data)
            try queue.importInvitations(rows, by: supervisor)
        } catch let error as InvitationImportError {
            issues = error.issues
        }
        let first = try #require(issues.first, "refused")
        #expect(first.code.rawValue == code)
        #expect(first.line == line && first.column == column, "\(first)")
        #expect(
            !first.message.text(.vietnamese).isEmpty && first.message.text(.vietnamese) != first.message.text(.english))
        let stored = try DatabaseQueue(path: dir.database).read {
            try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM invitation")
        }
        #expect(stored == 0)
    }
}

/// An invitation file's text: `header` then `rows`, LF line ends.
private func invitationText(header: String = InvitationCSV.header, _ rows: [String]) -> String {
    ([header] + rows).joined(separator: "\n")
}
