import Foundation
import Intake
import Queue
import Testing

@Suite struct OperatorRecordsTests {
    let record = OperatorRecord(
        account: "nva", staffNumber: "CA-0123", fullName: "Nguyễn Văn Ánh", unit: "Công an huyện Lục Ngạn",
        team: "Tổ 3", communeCode: "16001")

    @Test func aSupervisorRecordsListsAndDisablesOfficersTheNameSealedEveryChangeAudited() throws {
        let dir = TemporaryDirectory()
        let queue = try openQueue(dir)
        #expect(throws: QueueError.self) { try queue.addOperator(record, by: officer) }
        let added = try queue.addOperator(record, by: supervisor)
        #expect(added.createdBy == "supervisor-1" && !added.isDisabled)
        // The same account or staff number again: refused, nothing written.
        do {
            try queue.addOperator(record, by: supervisor)
            Issue.record("a second record for the account was accepted")
        } catch { #expect(error.code == .duplicate) }
        let sameStaff = OperatorRecord(
            account: "other", staffNumber: "CA-0123", fullName: "Trần Thị B", unit: "U", team: "T",
            communeCode: "16001")
        #expect(throws: QueueError.self) { try queue.addOperator(sameStaff, by: supervisor) }
        let listed = try queue.operators()
        #expect(listed.map(\.account) == ["nva"])
        #expect(listed.first?.fullName == "Nguyễn Văn Ánh" && listed.first?.team == "Tổ 3")
        #expect(try queue.operatorRecord("nobody") == nil)

        #expect(throws: QueueError.self) { try queue.disableOperator("nva", by: officer) }
        do {
            try queue.disableOperator("nobody", by: supervisor)
            Issue.record("disabling an unknown account succeeded")
        } catch { #expect(error.code == .notFound) }
        let disabled = try queue.disableOperator("nva", by: supervisor)
        #expect(disabled.isDisabled && disabled.disabledBy == "supervisor-1")
        try queue.disableOperator("nva", by: supervisor)  // again: nothing more written

        let trail = try queue.auditTrail(for: nil)
        #expect(trail.map(\.action) == ["operator_added", "operator_disabled"])
        #expect(trail.first?.to == "operator:nva staff:CA-0123 unit:Công an huyện Lục Ngạn team:Tổ 3 commune:16001")
        #expect(trail.allSatisfy { !($0.to ?? "").contains("Ánh") })
        #expect(try queue.verifyAudit().isIntact)

        // The full name is nowhere in clear in the store's files (database and WAL).
        try queue.checkpoint()
        for path in [dir.database, dir.database + "-wal"] {
            let bytes = fileBytes(path)
            #expect(bytes.range(of: Data("Nguyễn Văn Ánh".utf8)) == nil, "\(path)")
        }
        #expect(fileBytes(dir.database).range(of: Data("CA-0123".utf8)) != nil)  // the test can see clear text
    }

    @Test func problemsNameTheFieldAtFault() {
        #expect(record.problems.isEmpty)
        let bad = OperatorRecord(
            account: "nva; rm", staffNumber: "", fullName: " ", unit: "U", team: "T\nX", communeCode: "1600")
        #expect(bad.problems.map(\.field) == ["account", "staffNumber", "fullName", "team", "commune"])
    }
}
