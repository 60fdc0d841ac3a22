import ChipID
import ControlAPI
import Foundation
import Intake
import Queue
import Testing

@testable import Station

/// The 2-in-1 without a card in the coordinator, in process (the rig of `IntakeCoordinatorTests`): the typed
/// identity screened like a card, never typed over a chip's, the commit audited without personal data.
@Suite struct IntakeCoordinatorNoCardTests {
    static func typed(born: String = "1990-01-01", id: String = "001090012345") throws -> ChipIdentity {
        try ChipIdentity.typed(
            idNumber: id, fullName: "Lê Văn Ba", dateOfBirth: born, sex: "M", today: CalendarDate(vietnamDayOf: Date()))
    }

    @Test func aChildWithoutACardIsTurnedAwayAtOnceAndNothingIsStored() async throws {
        let rig = try IntakeCoordinatorTests().rig()
        let started = try await rig.coordinator.start(owner: rig.owner, pid: 1, uid: 1000, operatorID: "officer1")
        let child = try Self.typed(born: "2020-01-01", id: "001220012345")
        let answer = try await rig.coordinator.typeIdentity(started.id, owner: rig.owner, identity: child)
        #expect(answer.state == "turnedAway" && answer.problems?.map(\.code) == ["intake.under_age"])
        #expect(try await rig.store.run { try $0.summary().total } == 0)
    }

    @Test func aChipSessionIsNeverTypedOver() async throws {
        let rig = try IntakeCoordinatorTests().rig()
        let started = try await rig.coordinator.start(owner: rig.owner, pid: 1, uid: 1000, operatorID: "officer1")
        _ = try await rig.coordinator.readCard(
            started.id, owner: rig.owner, key: try AccessKey.can(digits: rig.set.can), reader: nil)
        await #expect(throws: IntakeFailure.refused(.notInThisState)) {
            _ = try await rig.coordinator.typeIdentity(started.id, owner: rig.owner, identity: try Self.typed())
        }
        #expect(try await rig.coordinator.get(started.id).authenticity == "genuine")
        #expect(await rig.coordinator.isWithoutCard(started.id) == false)
    }

    @Test func aCommitWithoutACardIsAuditedByItsOfficer() async throws {
        let rig = try IntakeCoordinatorTests().rig()
        let coordinator = rig.coordinator
        let started = try await coordinator.start(owner: rig.owner, pid: 1, uid: 1000, operatorID: "officer1")
        let typed = try await coordinator.typeIdentity(started.id, owner: rig.owner, identity: try Self.typed())
        #expect(typed.state == "biometrics" && typed.authenticity == "noCard")
        #expect(typed.suggestedPriorityGroup == "withoutCCCD")
        #expect(await coordinator.isWithoutCard(started.id))
        for finger in [Intake.FingerPosition.rightIndex, .leftIndex] {
            _ = try await coordinator.captureFinger(started.id, owner: rig.owner, finger: finger, scanner: nil)
        }
        _ = try await coordinator.attachPortrait(
            started.id, owner: rig.owner, portrait: IntakeCoordinatorTests.portrait)
        _ = try await coordinator.setDetails(
            started.id, owner: rig.owner,
            details: IntakeSession.Details(phone: try PhoneNumber(parsing: "0912345678"), bundle: .twoInOne))
        let committed = try await coordinator.commit(started.id, owner: rig.owner)
        #expect(committed.state == "committed")
        let id = try #require(committed.applicationID.flatMap { ApplicationID($0) })
        let stored = try await rig.store.run { try $0.application(id) }
        #expect(stored.authenticity == .noCard && stored.chipPortrait.isEmpty && stored.bundle == .twoInOne)
        #expect(stored.authenticityAcceptance?.decision == .operatorCommits)
        let audit = try await rig.store.run { try $0.auditTrail(for: nil) }.filter {
            $0.action == "intake_without_card"
        }
        #expect(audit.map(\.reasonCode) == ["application:\(id.text)"])
        #expect(audit.first?.actor.contains("officer1") == true, "\(audit)")
    }
}
