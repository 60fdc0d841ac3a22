import ChipID
import ControlAPI
import Foundation
import Intake
import Queue
import StationTestKit
import Testing

@testable import Station

/// A finger exception asked for by the session's officer and decided by a supervisor who does not control the
/// session (issue 19 item 5), in process: the in-memory CCCD, the simulated scanner, a real SQLite store.
extension IntakeCoordinatorTests {
    @Test func anOfficersExceptionWaitsForASupervisorAtAnotherScreen() async throws {
        let rig = try rig()
        let coordinator = rig.coordinator
        let started = try await coordinator.start(owner: rig.owner, pid: 1, uid: 1000, operatorID: "officer1")
        _ = try await coordinator.readCard(
            started.id, owner: rig.owner, key: try AccessKey.can(digits: rig.set.can), reader: nil)
        let asked = try await coordinator.requestFingerException(
            started.id, owner: rig.owner, finger: .leftIndex, reason: .injury, note: "bỏng, băng kín")
        #expect(asked.state == "biometrics" && asked.fingers.isEmpty)
        #expect(asked.exceptionRequests?.map(\.status) == ["pending"])
        #expect(asked.exceptionRequests?.first?.requestedBy == "officer1")
        // Another client cannot ask in this session; the list shows the request with the citizen masked.
        await #expect(throws: IntakeFailure.busy) {
            _ = try await coordinator.requestFingerException(
                started.id, owner: rig.other, finger: .rightIndex, reason: .missingFinger, note: "")
        }
        let pending = await coordinator.pendingFingerExceptions
        #expect(pending.count == 1 && pending.first?.session == started.id)
        #expect(pending.first?.identity.idNumber.masked == asked.maskedIDNumber)
        #expect(ExceptionRoutes.initials("Nguyễn Văn An") == "N.V.A.")

        // Refusals keep the request: a blank reason, another finger, an unknown session.
        let blank = SupervisorOverride(supervisor: OperatorID("sup"), reason: "   ")
        await #expect(throws: IntakeFailure.refused(.exceptionReasonMissing)) {
            _ = try await coordinator.decideFingerException(
                started.id, finger: .leftIndex, confirm: true, approval: blank, uid: 0)
        }
        let approval = SupervisorOverride(supervisor: OperatorID("sup"), reason: "đã xem vết thương")
        await #expect(throws: IntakeFailure.refused(.noExceptionRequest)) {
            _ = try await coordinator.decideFingerException(
                started.id, finger: .rightIndex, confirm: true, approval: approval, uid: 0)
        }
        await #expect(throws: IntakeFailure.refused(.noExceptionRequest)) {
            _ = try await coordinator.decideFingerException(
                UUID().uuidString, finger: .leftIndex, confirm: true, approval: approval, uid: 0)
        }
        #expect(APIError(IntakeFailure.refused(.noExceptionRequest)).status == .notFound)
        #expect(APIError(IntakeFailure.refused(.exceptionReasonMissing)).status == .unprocessableContent)
        #expect(APIError(IntakeFailure.refused(.exceptionDecided)).status == .conflict)

        // The supervisor confirms from another client: recorded in the session the officer holds.
        let confirmed = try await coordinator.decideFingerException(
            started.id, finger: .leftIndex, confirm: true, approval: approval, uid: 0)
        #expect(confirmed.fingers == [Intake.FingerPosition.leftIndex.rawValue])
        #expect(confirmed.exceptionRequests?.first?.status == "confirmed")
        #expect(confirmed.exceptionRequests?.first?.decidedBy == "sup")
        #expect(await coordinator.pendingFingerExceptions.isEmpty)
        await #expect(throws: IntakeFailure.refused(.exceptionDecided)) {
            _ = try await coordinator.decideFingerException(
                started.id, finger: .leftIndex, confirm: false, approval: approval, uid: 0)
        }

        // The officer finishes: the read-back and the stored application carry the exception.
        _ = try await coordinator.captureFinger(started.id, owner: rig.owner, finger: .rightIndex, scanner: nil)
        _ = try await coordinator.attachPortrait(
            started.id, owner: rig.owner, portrait: Self.portrait)
        _ = try await coordinator.setDetails(
            started.id, owner: rig.owner,
            details: IntakeSession.Details(phone: try PhoneNumber(parsing: "0912345678")))
        let review = try await coordinator.review(started.id, owner: rig.owner)
        #expect(review.problems == [], "\(review.problems ?? [])")
        #expect(review.readBack?.fingers.first { $0.position == 7 }?.exception == "injury")
        let done = try await coordinator.commit(started.id, owner: rig.owner, readBack: review.readBack?.revision)
        #expect(done.state == "committed")
        let id = try #require(done.applicationID.flatMap { ApplicationID($0) })
        let stored = try await rig.store.run { try $0.application(id) }
        #expect(stored.fingerprints.first { $0.position == .leftIndex }?.outcome == .exception(.injury))
        // Audited by the supervisor, with the application, the finger and the kind: never the note or the reason.
        let audit = try await rig.store.run { try $0.auditTrail(for: nil) }
        let line = try #require(audit.first { $0.action == "finger_exception_confirmed" })
        #expect(line.actor == "sup" && line.reasonCode == "application:\(id.text);finger:7;exception:injury")
        #expect(
            audit.contains {
                $0.action == "finger_exception_requested" && $0.actor == "officer1" && $0.actorUID == 1000
                    && $0.reasonCode == "application:\(id.text);finger:7;exception:injury"
            })
        #expect(!audit.contains { ($0.reasonCode ?? "").contains("bỏng") || ($0.reasonCode ?? "").contains("vết") })
        // The requests died with the session.
        #expect(await coordinator.pendingFingerExceptions.isEmpty)
    }

    @Test func aDeclinedExceptionIsShownToTheOfficerWhoWithdrawsOrAsksAgain() async throws {
        let rig = try rig()
        let coordinator = rig.coordinator
        let started = try await coordinator.start(owner: rig.owner, pid: 1, uid: 1000, operatorID: "officer1")
        _ = try await coordinator.readCard(
            started.id, owner: rig.owner, key: try AccessKey.can(digits: rig.set.can), reader: nil)
        _ = try await coordinator.requestFingerException(
            started.id, owner: rig.owner, finger: .leftIndex, reason: .unreadable, note: "")
        let declined = try await coordinator.decideFingerException(
            started.id, finger: .leftIndex, confirm: false,
            approval: SupervisorOverride(supervisor: OperatorID("sup"), reason: "thử lại sau khi lau tay"), uid: 0)
        #expect(declined.fingers.isEmpty)
        let shown = try #require(try await coordinator.get(started.id).exceptionRequests?.first)
        #expect(shown.status == "declined" && shown.decisionReason == "thử lại sau khi lau tay")
        let audit = try await rig.store.run { try $0.auditTrail(for: nil) }
        #expect(audit.contains { $0.action == "finger_exception_declined" && $0.actor == "sup" })
        // The officer withdraws it; withdrawn twice: no such request.
        let withdrawn = try await coordinator.withdrawFingerException(started.id, owner: rig.owner, finger: .leftIndex)
        #expect(withdrawn.exceptionRequests == nil && withdrawn.state == "biometrics")
        await #expect(throws: IntakeFailure.refused(.noExceptionRequest)) {
            _ = try await coordinator.withdrawFingerException(started.id, owner: rig.owner, finger: .leftIndex)
        }
        // Requests die with the session.
        _ = try await coordinator.requestFingerException(
            started.id, owner: rig.owner, finger: .leftIndex, reason: .unreadable, note: "")
        #expect(await coordinator.pendingFingerExceptions.count == 1)
        _ = try await coordinator.abandon(started.id, owner: rig.owner)
        #expect(await coordinator.pendingFingerExceptions.isEmpty)
    }
}
