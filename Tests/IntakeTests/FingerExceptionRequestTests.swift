import Foundation
import Intake
import Messages
import Testing

/// An officer's finger exception request waits on the session for a supervisor at another screen (issue 19 item 5,
/// issue 21 item 5): pending, withdrawn, confirmed (the exception recorded as a supervisor's `fingerException`
/// records it) or declined; the session stays in its step throughout, and the requests die with it.
@Suite struct FingerExceptionRequestTests {
    typealias Base = IntakeSessionTests
    static let asked = Date(timeIntervalSince1970: 1_000)
    static let decided = Date(timeIntervalSince1970: 2_000)
    static let supervisor = SupervisorOverride(supervisor: OperatorID("totruong-1"), reason: "ngón băng bó")

    /// Card read, right index captured, portrait taken: the left index is the one the officer cannot capture.
    static var biometrics: IntakeSession {
        Base.session([
            .cardRead(Base.card, applicationID: Base.id, at: Date(timeIntervalSince1970: 0)), .startBiometrics,
            .fingerprintCaptured(capture(.rightIndex)), .portraitCaptured(Base.portrait),
        ])
    }

    static func request(_ finger: FingerPosition = .leftIndex, note: String = "  bị bỏng  ")
        -> IntakeSession.Event
    {
        .exceptionRequested(
            IntakeSession.ExceptionRequest(
                finger: finger, exception: .injury, note: note, requestedBy: OperatorID("officer-7"),
                requestedAt: asked))
    }

    @Test func aRequestWaitsPendingAndTheSessionStaysInItsStep() throws {
        var session = Self.biometrics
        #expect(Base.describe(session.handle(Self.request())) == "")
        #expect(session.state.name == "biometrics")
        let pending = try #require(session.exceptionRequests.first)
        #expect(session.exceptionRequests.count == 1)
        #expect(pending.finger == .leftIndex && pending.exception == .injury && pending.isPending)
        #expect(
            pending.note == "bị bỏng" && pending.requestedBy.rawValue == "officer-7"
                && pending.requestedAt == Self.asked)
        // Nothing recorded for the finger yet: the review finds it missing.
        guard case .biometrics(let draft) = session.state else {
            Issue.record("expected biometrics")
            return
        }
        #expect(!draft.fingerprints.contains { $0.position == .leftIndex })
        #expect(draft.exceptionApprovals.isEmpty)
        #expect(session.identity?.fullName == "LÊ THỊ HOA")
        // The officer is told it waits, in Vietnamese first.
        #expect(
            IntakeSession.Notice.exceptionAwaitsSupervisor.message.text(.vietnamese)
                .contains("đang chờ tổ trưởng xác nhận"))
    }

    @Test func aConfirmationRecordsTheExceptionWithTheSupervisor() throws {
        var session = Self.biometrics
        _ = session.handle(Self.request())
        #expect(Base.describe(session.handle(.exceptionConfirmed(.leftIndex, Self.supervisor, at: Self.decided))) == "")
        #expect(session.state.name == "biometrics")
        guard case .biometrics(let draft) = session.state else {
            Issue.record("expected biometrics")
            return
        }
        #expect(draft.exceptionApprovals[.leftIndex] == Self.supervisor)
        #expect(draft.fingerprints.contains { $0.position == .leftIndex && $0.outcome == .exception(.injury) })
        let decided = try #require(session.exceptionRequests.first?.decision)
        #expect(decided.confirmed && decided.by == Self.supervisor && decided.at == Self.decided)
        // Decided once: a second decision is refused, the state kept.
        #expect(
            Base.describe(session.handle(.exceptionDeclined(.leftIndex, Self.supervisor, at: Self.decided)))
                == "refuse:exceptionDecided")
        #expect(session.exceptionRequests.first?.decision?.confirmed == true)
        // A confirmed exception is recorded: neither withdrawn nor asked again (capturing the finger undoes it).
        #expect(Base.describe(session.handle(.exceptionWithdrawn(.leftIndex))) == "refuse:exceptionDecided")
        #expect(Base.describe(session.handle(Self.request())) == "refuse:exceptionDecided")
        #expect(session.exceptionRequests.first?.decision?.confirmed == true)
        // The read-back names the exception; the application goes through with it.
        #expect(Base.describe(session.handle(.finishBiometrics)) == "validate")
        #expect(session.readBack?.fingers.first { $0.position == .leftIndex }?.exception == .injury)
    }

    @Test func aConfirmationInReviewValidatesAgain() throws {
        var session = Self.biometrics
        _ = session.handle(.finishBiometrics)
        _ = session.handle(.validated(revision: 1, errors: [Base.problem]))
        #expect(Base.describe(session.handle(Self.request())) == "")
        // A request alone changes nothing in the application: same revision.
        guard case .review(_, let before) = session.state else {
            Issue.record("expected review")
            return
        }
        #expect(before.revision == 1 && before.errors == [Base.problem])
        #expect(
            Base.describe(session.handle(.exceptionConfirmed(.leftIndex, Self.supervisor, at: Self.decided)))
                == "validate")
        guard case .review(_, let after) = session.state else {
            Issue.record("expected review")
            return
        }
        #expect(after.revision == 2 && after.errors == nil)
        // While the commit is under way nothing is left to decide.
        _ = session.handle(.validated(revision: 2, errors: []))
        #expect(session.exceptionRequests.count == 1)
        _ = session.handle(.confirm)
        #expect(session.state.name == "review.persisting" && session.exceptionRequests.isEmpty)
    }

    @Test func aDeclineLeavesTheFingerToCaptureAndTellsTheOfficer() throws {
        var session = Self.biometrics
        _ = session.handle(Self.request())
        let declined = SupervisorOverride(supervisor: OperatorID("totruong-1"), reason: "thử ngón khác")
        #expect(Base.describe(session.handle(.exceptionDeclined(.leftIndex, declined, at: Self.decided))) == "")
        let request = try #require(session.exceptionRequests.first)
        #expect(request.decision?.confirmed == false && request.decision?.by.reason == "thử ngón khác")
        guard case .biometrics(let draft) = session.state else {
            Issue.record("expected biometrics")
            return
        }
        #expect(!draft.fingerprints.contains { $0.position == .leftIndex } && draft.exceptionApprovals.isEmpty)
        // The finger captured after all: the request is gone.
        _ = session.handle(.fingerprintCaptured(capture(.leftIndex)))
        #expect(session.exceptionRequests.isEmpty)
    }

    @Test func decisionsNeedAReasonAndARequest() {
        var session = Self.biometrics
        let blank = SupervisorOverride(supervisor: OperatorID("totruong-1"), reason: " \n ")
        #expect(
            Base.describe(session.handle(.exceptionConfirmed(.leftIndex, Self.supervisor, at: Self.decided)))
                == "refuse:noExceptionRequest")
        _ = session.handle(Self.request())
        #expect(
            Base.describe(session.handle(.exceptionConfirmed(.leftIndex, blank, at: Self.decided)))
                == "refuse:exceptionReasonMissing")
        #expect(
            Base.describe(session.handle(.exceptionDeclined(.rightIndex, Self.supervisor, at: Self.decided)))
                == "refuse:noExceptionRequest")
        #expect(session.exceptionRequests.first?.isPending == true)
        // Before the fingers (idle) there is nothing to ask for.
        var idle = Base.newSession()
        #expect(Base.describe(idle.handle(Self.request())) == "refuse:notInThisState")
    }

    @Test func theOfficerWithdrawsARequest() {
        var session = Self.biometrics
        _ = session.handle(Self.request())
        _ = session.handle(Self.request(.rightThumb, note: ""))
        #expect(session.exceptionRequests.map(\.finger) == [.rightThumb, .leftIndex])
        #expect(Base.describe(session.handle(.exceptionWithdrawn(.leftIndex))) == "")
        #expect(session.exceptionRequests.map(\.finger) == [.rightThumb])
        #expect(Base.describe(session.handle(.exceptionWithdrawn(.leftIndex))) == "refuse:noExceptionRequest")
        #expect(session.state.name == "biometrics")
    }

    @Test func requestsDieWithTheSessionAndSurviveAPulledCard() {
        var session = Self.biometrics
        _ = session.handle(Self.request())
        _ = session.handle(.cardRemoved)
        #expect(session.state.name == "paused" && session.exceptionRequests.count == 1)
        // A supervisor may decide while the card is out; the session stays paused.
        #expect(Base.describe(session.handle(.exceptionConfirmed(.leftIndex, Self.supervisor, at: Self.decided))) == "")
        #expect(session.state.name == "paused")
        _ = session.handle(.cancel)
        #expect(session.state.name == "abandoned" && session.exceptionRequests.isEmpty && session.identity == nil)
    }
}
