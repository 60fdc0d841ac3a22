import Foundation
import GRDB
import Intake
import Queue
import StationTestKit
import Testing

/// The session's hamlet kept beside an application and a refusal (`application_hamlet`, `eligibility_hamlet`, issue 19
/// item 7) and the report's breakdown by commune and hamlet (issue 22).
@Suite struct HamletFiguresTests {
    @Test func theHamletIsStoredBesideTheRowsAndCountedPerCommune() throws {
        let dir = TemporaryDirectory()
        let queue = try openQueue(dir)
        var ids: [String: ApplicationID] = [:]
        for (name, commune, hamlet) in [
            ("a", "16001", "Thôn Đông"), ("b", "16001", "Thôn Đông"), ("c", "16001", nil), ("d", "16002", "Xóm 1"),
            ("e", "16001", "Thôn Tây"),
        ] as [(String, String, String?)] {
            let application = sampleApplication(commune: commune)
            try queue.commit(application, hamlet: hamlet, by: officer)
            ids[name] = application.id
        }
        // a: uploaded and activated; b: uploaded and accepted; d: uploaded only; e: cancelled (not counted).
        for name in ["a", "b", "d"] {
            for local: LocalState in [.ready, .batched, .uploaded] {
                try queue.transition(ids[name]!, to: .s(local), by: .system)
            }
        }
        for (name, central) in [("a", CentralState.accepted), ("a", .activated), ("b", .accepted)] {
            try queue.transition(ids[name]!, to: .s(.uploaded, central), by: .system)
        }
        _ = try queue.cancel(ids["e"]!, by: supervisor, reason: .citizenRequest)
        let today = CalendarDate(vietnamDayOf: Date())
        try queue.recordEligibility(
            EligibilityRecord(
                idNumber: SampleApplications.randomCitizenID(), eligibility: .notYetEligible(.under14), note: "",
                recordedBy: OperatorID("officer-1"), recordedOn: today, confirmedByLocalAuthority: false),
            communeCode: "16002", hamlet: "Xóm 1", by: officer)
        try queue.recordEligibility(
            EligibilityRecord(
                idNumber: SampleApplications.randomCitizenID(), eligibility: .ineligible(.illness), note: "",
                recordedBy: OperatorID("officer-1"), recordedOn: today, confirmedByLocalAuthority: true),
            communeCode: "16001", by: officer)

        // In clear beside the rows, a row without a hamlet has none.
        let db = try DatabaseQueue(path: dir.database)
        let stored = try db.read { db in
            try Row.fetchAll(db, sql: "SELECT application_id, hamlet FROM application_hamlet")
        }
        #expect(
            Dictionary(uniqueKeysWithValues: stored.map { ($0["application_id"] as String, $0["hamlet"] as String) })
                == [
                    ids["a"]!.text: "Thôn Đông", ids["b"]!.text: "Thôn Đông", ids["d"]!.text: "Xóm 1",
                    ids["e"]!.text: "Thôn Tây",
                ])
        let refusals = try db.read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT e.commune_code, h.hamlet FROM eligibility e LEFT JOIN eligibility_hamlet h ON h.seq = e.seq
                    ORDER BY e.seq
                    """)
        }
        #expect(
            refusals.map { "\($0["commune_code"] as String)/\(($0["hamlet"] as String?) ?? "-")" } == [
                "16002/Xóm 1", "16001/-",
            ])

        // Counted per commune and hamlet: taken, uploaded, accepted, activated, rejected, activations reported.
        let lines = try queue.reportBreakdowns(from: today, through: today).hamlets
        #expect(
            lines.map { line in
                let c = line.counts
                return "\(line.communeCode)/\(line.hamlet ?? "-"):"
                    + "\(c.taken),\(line.uploaded),\(c.accepted),\(c.activated),\(c.rejected),\(line.activatedReported)"
            } == ["16001/Thôn Đông:2,2,1,1,0,1", "16001/-:1,0,0,0,0,0", "16002/Xóm 1:1,1,0,0,0,0"])
    }
}
