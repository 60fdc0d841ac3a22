import ChipID
import Foundation
import Intake
import Queue
import Testing

@testable import Station

extension IntakeCoordinatorTests {
    /// The session's commune and hamlet (issue 19 item 7): chosen at the start or before the card is read, then
    /// the application's; committed with the application and recorded with a refusal.
    @Test func theSessionsPlaceIsChosenBeforeTheCardAndKeptWithTheCommit() async throws {
        let rig = try rig()
        let coordinator = rig.coordinator
        let started = try await coordinator.start(owner: rig.owner, pid: 1, uid: 1000, operatorID: "officer1")
        #expect(started.communeCode == "26734" && started.hamlet == nil)
        let moved = try await coordinator.choosePlace(
            started.id, owner: rig.owner, place: IntakePlace(communeCode: "26737", hamlet: "Xóm 1"))
        #expect(moved.communeCode == "26737" && moved.hamlet == "Xóm 1" && moved.state == "idle")
        await #expect(throws: IntakeFailure.busy) {
            _ = try await coordinator.choosePlace(
                started.id, owner: rig.other, place: IntakePlace(communeCode: "26734"))
        }
        _ = try await coordinator.readCard(
            started.id, owner: rig.owner, key: try AccessKey.can(digits: rig.set.can), reader: nil)
        // Once the card is read the place is the application's.
        await #expect(throws: IntakeFailure.refused(.notInThisState)) {
            _ = try await coordinator.choosePlace(
                started.id, owner: rig.owner, place: IntakePlace(communeCode: "26734"))
        }
        for finger in [Intake.FingerPosition.rightIndex, .leftIndex] {
            _ = try await coordinator.captureFinger(started.id, owner: rig.owner, finger: finger, scanner: nil)
        }
        _ = try await coordinator.attachPortrait(started.id, owner: rig.owner, portrait: Self.portrait)
        _ = try await coordinator.setDetails(
            started.id, owner: rig.owner, details: IntakeSession.Details(phone: try PhoneNumber(parsing: "0912345678")))
        let review = try await coordinator.review(started.id, owner: rig.owner)
        #expect(review.readBack?.communeCode == "26737" && review.readBack?.hamlet == "Xóm 1")
        let committed = try await coordinator.commit(started.id, owner: rig.owner)
        #expect(committed.state == "committed" && committed.communeCode == "26737")
        let today = CalendarDate(vietnamDayOf: Date())
        let hamlets = try await rig.store.run { try $0.reportBreakdowns(from: today, through: today).hamlets }
        #expect(hamlets.map { "\($0.communeCode)/\($0.hamlet ?? "-"):\($0.counts.taken)" } == ["26737/Xóm 1:1"])

        // A refusal is recorded for the session's commune.
        let child = try Self.childDataSet()
        defer { try? FileManager.default.removeItem(at: child) }
        let young = try self.rig(dataSet: child)
        let session = try await young.coordinator.start(
            owner: young.owner, pid: 1, uid: 1000, operatorID: "officer1",
            place: IntakePlace(communeCode: "26740", hamlet: "Bản Mường"))
        _ = try await young.coordinator.readCard(
            session.id, owner: young.owner, key: try AccessKey.can(digits: young.set.can), reader: nil)
        _ = try await young.coordinator.recordRefusal(
            session.id, owner: young.owner, eligibility: .notYetEligible(.under14), note: "", confirmed: false)
        let counts = try await young.store.run { try $0.eligibilityCounts() }
        #expect(counts.keys.sorted() == ["26740"] && counts["26740"]?.notYetEligible == 1)
    }
}
