import Foundation
import Messages

/// The intake of one application at a registration point, as a pure state machine.
///
/// `idle → cardRead → biometrics → review → committed`, or `abandoned` when the card is pulled, a device fails,
/// the client goes away or the operator cancels before the commit. The machine does no I/O: `handle(_:)`
/// returns actions (validate, persist, arm scanners, release devices) for the station to perform, and the
/// results come back as events. Abandoning never emits `persist`, so nothing of an abandoned session is stored.
/// Once `persist` is emitted the commit is atomic in the queue, so card removal or a lost client during it is
/// ignored and the outcome decides the state.
public struct IntakeSession: Sendable {
    /// What has been collected so far.
    public struct Draft: Sendable, Hashable {
        /// The id the application will be stored under.
        public var applicationID: ApplicationID
        /// When the card was read (becomes `capturedAt`).
        public var startedAt: Date
        /// The chip read.
        public var card: CardRead
        /// The live portrait, once taken.
        public var livePortrait: LivePortrait?
        /// Captures so far; a retake replaces the earlier capture of the same finger.
        public var fingerprints: [FingerprintCapture] = []
        /// Operator-entered details.
        public var details: Details = Details()
        /// The supervisor who allowed each finger recorded as an exception, and why (MOSIP: an exception is never
        /// the officer's decision alone).
        public var exceptionApprovals: [FingerPosition: SupervisorOverride] = [:]
        /// The officer's exception requests by finger, pending a supervisor or decided (kept until the finger is
        /// captured, the request withdrawn or the session ends: they die with it).
        public var exceptionRequests: [FingerPosition: ExceptionRequest] = [:]
    }

    /// The chip read as Intake needs it (mapped from `ChipID`'s result by the station).
    public struct CardRead: Sendable, Hashable {
        /// Identity from DG1/DG13.
        public var identity: ChipIdentity
        /// Authentication verdict.
        public var authenticity: AuthenticityVerdict
        /// DG2 face image bytes.
        public var chipPortrait: Data
        /// The chip's files and anti-clone transcript, sent with the application for the central to re-verify.
        public var chipEvidence: ChipEvidence?
        /// Creates a chip read.
        public init(
            identity: ChipIdentity, authenticity: AuthenticityVerdict, chipPortrait: Data,
            chipEvidence: ChipEvidence? = nil
        ) {
            self.identity = identity
            self.authenticity = authenticity
            self.chipPortrait = chipPortrait
            self.chipEvidence = chipEvidence
        }
    }

    /// What the operator enters: phone, bundle, priority group, supervisor override.
    public struct Details: Sendable, Hashable {
        /// Mobile number for the activation SMS.
        public var phone: PhoneNumber?
        /// The bundle applied for.
        public var bundle: ServiceBundle
        /// Campaign priority group, if any.
        public var priorityGroup: PriorityGroup?
        /// A supervisor's override of an overridable verdict.
        public var authenticityOverride: SupervisorOverride?
        /// Creates details.
        public init(
            phone: PhoneNumber? = nil, bundle: ServiceBundle = .utility, priorityGroup: PriorityGroup? = nil,
            authenticityOverride: SupervisorOverride? = nil
        ) {
            self.phone = phone
            self.bundle = bundle
            self.priorityGroup = priorityGroup
            self.authenticityOverride = authenticityOverride
        }
    }

    /// Progress of the review step.
    public struct Review: Sendable, Hashable {
        /// Increases each time the application changes; stale validation results are ignored.
        public var revision: Int
        /// Problems from the last validation of this revision; nil while it runs.
        public var errors: [IntakeError]?
        /// The commit has been requested and not yet answered.
        public var persisting: Bool
    }

    /// Why a session ended without a commit.
    public enum AbandonReason: String, Sendable, Hashable, CaseIterable {
        case cardRemoved
        case deviceFault
        case clientGone
        case operatorCancelled
        /// A supervisor ended a session that another client held (audited by the station).
        case endedBySupervisor
        /// The officer recorded that the citizen cannot be registered today (the eligibility list; nothing else
        /// kept).
        case refusalRecorded
    }

    /// The states.
    public enum State: Sendable, Hashable {
        case idle
        case cardRead(Draft)
        case biometrics(Draft)
        case review(Draft, Review)
        case committed(ApplicationID)
        case abandoned(AbandonReason)
        /// The card was pulled out: everything collected is kept; putting the same card back resumes `step`.
        case paused(Draft, Review?, resume: Step)
        /// Screening right after the card read found that the citizen cannot be registered today (under 14,
        /// expired card, a live application): the reasons, and the card read (in memory only, for the refusal the
        /// officer may record); nothing stored.
        case turnedAway([IntakeError], Draft)

        /// The state's name, for tests, logs and the control API.
        public var name: String {
            switch self {
            case .idle: "idle"
            case .cardRead: "cardRead"
            case .biometrics: "biometrics"
            case .review(_, let review): review.persisting ? "review.persisting" : "review"
            case .committed: "committed"
            case .abandoned: "abandoned"
            case .paused: "paused"
            case .turnedAway: "turnedAway"
            }
        }

        /// Every value `name` takes (the message catalog names each one).
        public static let allNames = [
            "idle", "cardRead", "paused", "turnedAway", "biometrics", "review", "review.persisting", "committed",
            "abandoned",
        ]
    }

    /// A step a paused session goes back to.
    public enum Step: String, Sendable, Hashable {
        case cardRead
        case biometrics
        case review
    }

    /// What the officer must be told at once (not a refusal of the step: the session goes on).
    public enum Notice: String, Sendable, Hashable, CaseIterable {
        /// The card was pulled out; the session waits for it.
        case cardPulled
        /// A different citizen's card was read into a session: not taken; put the first card back or cancel.
        case otherCard
        /// A finger exception (injury, amputation) needs a supervisor and a reason.
        case exceptionNeedsSupervisor
        /// The application changed after the read-back: read it back again before confirming.
        case readBackStale
        /// The officer's finger exception is kept as a request: a supervisor confirms or declines it from their own
        /// screen; the session goes on meanwhile.
        case exceptionAwaitsSupervisor

        /// The text, from the message catalog.
        public var message: Message {
            switch self {
            case .cardPulled: Message(.intakeCardPulled)
            case .otherCard: Message(.intakeOtherCard)
            case .exceptionNeedsSupervisor: Message(.intakeExceptionNeedsSupervisor)
            case .readBackStale: Message(.intakeReadBackStale)
            case .exceptionAwaitsSupervisor: Message(.intakeExceptionAwaitsSupervisor)
            }
        }
    }

    /// What happens to the session.
    public enum Event: Sendable, Hashable {
        /// The chip was read; `applicationID` and `at` are supplied by the caller so the machine stays pure.
        case cardRead(CardRead, applicationID: ApplicationID, at: Date)
        /// A citizen without a chip card: the officer typed the identity (`ChipIdentity.typed`, already checked).
        /// From idle it stands for the card read (verdict `noCard`, no chip portrait, bundle 2-in-1); later it
        /// corrects the typed identity of a session without a card, keeping everything else.
        case identityTyped(ChipIdentity, applicationID: ApplicationID, at: Date)
        case startBiometrics
        case portraitCaptured(LivePortrait)
        case fingerprintCaptured(FingerprintCapture)
        case detailsEntered(Details)
        /// Operator finished capturing: go to review.
        case finishBiometrics
        /// Operator wants to recapture from review.
        case recapture
        /// Result of a `validate` action.
        case validated(revision: Int, errors: [IntakeError])
        /// Operator confirms the reviewed application.
        case confirm
        /// Result of a `persist` action.
        case persisted(ApplicationID)
        case persistFailed(code: String)
        case cardRemoved
        case deviceFault
        case clientGone
        case cancel
        /// A supervisor ends the session from another client.
        case endBySupervisor
        /// Start over after committed or abandoned.
        case reset
        /// Result of a `screen` action: the early refusals found (empty: go on).
        case screened([IntakeError])
        /// A finger recorded as an exception, allowed by a supervisor with a reason.
        case fingerException(FingerPosition, FingerException, approval: SupervisorOverride?)
        /// The officer read the summary of `revision` back to the citizen, who agreed: commit it.
        case confirmReadBack(revision: Int)
        /// The officer's refusal was recorded in the eligibility list.
        case refusalRecorded
        /// The session's officer asks for a finger to be recorded as an exception (kept pending a supervisor).
        case exceptionRequested(ExceptionRequest)
        /// The officer takes back the request for a finger (e.g. it was captured after all).
        case exceptionWithdrawn(FingerPosition)
        /// A supervisor (from any screen) confirms the pending request for a finger, with a reason: the exception is
        /// recorded as `fingerException` records it.
        case exceptionConfirmed(FingerPosition, SupervisorOverride, at: Date)
        /// A supervisor declines the pending request for a finger, with a reason: the finger is to be captured.
        case exceptionDeclined(FingerPosition, SupervisorOverride, at: Date)
    }

    /// Why an event was refused (the state did not change).
    public enum Refusal: String, Sendable, Hashable {
        case notInThisState
        case portraitMissing
        case notValidated
        case validationFailed
        /// No exception request for that finger in this session.
        case noExceptionRequest
        /// The exception request was already confirmed or declined.
        case exceptionDecided
        /// A supervisor's decision without a reason.
        case exceptionReasonMissing
    }

    /// What the station must do.
    public enum Action: Sendable, Hashable {
        /// Turn on the camera and fingerprint scanner.
        case armScanners
        /// Run the validation rules on this application; answer with `validated(revision:errors:)`.
        case validate(Application, revision: Int)
        /// Store the application in the queue; answer with `persisted` or `persistFailed`.
        case persist(Application)
        /// Release the card reader session and the scanners.
        case releaseDevices
        /// Tell the operator the event was refused.
        case refuse(Refusal)
        /// Tell the operator the commit failed (queue error code); the review stays open.
        case reportPersistFailure(code: String)
        /// Screen the citizen right after the card read (age, card expiry, a live application: the station runs
        /// `MinimumAgeRule`, `CardNotExpiredRule` and the duplicate rule on the identity); answer with `screened`.
        case screen(Application.ScreeningInput)
        /// Tell the officer at once.
        case tell(Notice)
    }

    /// The current state.
    public private(set) var state: State = .idle
    /// Who takes the applications in this session.
    public let operatorID: OperatorID
    /// Where: the registration point, its commune the one chosen for the session.
    public let point: RegistrationPoint
    /// The hamlet chosen for the session, if any (stored beside the application and a refusal, not in the payload).
    public let hamlet: String?

    /// A new idle session.
    public init(operatorID: OperatorID, point: RegistrationPoint, hamlet: String? = nil) {
        self.operatorID = operatorID
        self.point = point
        self.hamlet = hamlet
    }

    /// A new idle session at `place` of the station's service area: the point with the place's commune.
    public init(operatorID: OperatorID, point: RegistrationPoint, place: IntakePlace) {
        var here = point
        here.communeCode = place.communeCode
        self.init(operatorID: operatorID, point: here, hamlet: place.hamlet)
    }

    /// The session's commune and hamlet.
    public var place: IntakePlace { IntakePlace(communeCode: point.communeCode, hamlet: hamlet) }

    /// Applies an event and returns the actions to perform.
    public mutating func handle(_ event: Event) -> [Action] {
        switch (state, event) {
        case (.idle, .cardRead(let card, let id, let at)):
            state = .cardRead(Draft(applicationID: id, startedAt: at, card: card))
            return [.screen(Application.ScreeningInput(identity: card.identity, at: at))]

        // A citizen without a card: the typed identity stands for the card read, the session is a 2-in-1.
        case (.idle, .identityTyped(let identity, let id, let at)):
            var draft = Draft(
                applicationID: id, startedAt: at,
                card: CardRead(identity: identity, authenticity: .noCard, chipPortrait: Data()))
            draft.details.bundle = .twoInOne
            state = .cardRead(draft)
            return [.screen(Application.ScreeningInput(identity: identity, at: at))]
        case (.cardRead(var draft), .identityTyped(let identity, _, _)) where draft.card.authenticity == .noCard:
            draft.card.identity = identity
            state = .cardRead(draft)
            return []
        case (.biometrics(var draft), .identityTyped(let identity, _, _)) where draft.card.authenticity == .noCard:
            draft.card.identity = identity
            state = .biometrics(draft)
            return []
        case (.review(var draft, let review), .identityTyped(let identity, _, _))
        where draft.card.authenticity == .noCard && !review.persisting:
            draft.card.identity = identity
            return revalidate(draft, after: review)

        case (.cardRead(let draft), .screened(let errors)) where !errors.isEmpty:
            state = .turnedAway(errors, draft)
            return [.releaseDevices]
        case (.cardRead, .screened), (.biometrics, .screened), (.review, .screened), (.paused, .screened):
            return []

        // Re-reading the card (a wrong CAN, a pulled card put back) replaces the card and keeps everything else;
        // another citizen's card is not taken.
        case (.cardRead(var draft), .cardRead(let card, _, _)):
            guard card.identity.idNumber == draft.card.identity.idNumber else { return [.tell(.otherCard)] }
            draft.card = card
            state = .cardRead(draft)
            return []
        case (.biometrics(var draft), .cardRead(let card, _, _)):
            guard card.identity.idNumber == draft.card.identity.idNumber else { return [.tell(.otherCard)] }
            draft.card = card
            state = .biometrics(draft)
            return []
        case (.review(var draft, let review), .cardRead(let card, _, _)) where !review.persisting:
            guard card.identity.idNumber == draft.card.identity.idNumber else { return [.tell(.otherCard)] }
            draft.card = card
            return revalidate(draft, after: review)
        case (.paused(var draft, let review, let step), .cardRead(let card, _, _)):
            guard card.identity.idNumber == draft.card.identity.idNumber else { return [.tell(.otherCard)] }
            draft.card = card
            switch step {
            case .cardRead:
                state = .cardRead(draft)
                return []
            case .biometrics:
                state = .biometrics(draft)
                return [.armScanners]
            case .review:
                return revalidate(draft, after: review ?? Review(revision: 0, errors: nil, persisting: false))
            }

        // A pulled card pauses the session (a commit in flight is decided by its outcome, below).
        case (.cardRead(let draft), .cardRemoved):
            state = .paused(draft, nil, resume: .cardRead)
            return [.tell(.cardPulled)]
        case (.biometrics(let draft), .cardRemoved):
            state = .paused(draft, nil, resume: .biometrics)
            return [.tell(.cardPulled)]
        case (.review(let draft, let review), .cardRemoved) where !review.persisting:
            state = .paused(draft, review, resume: .review)
            return [.tell(.cardPulled)]
        case (.paused, .cardRemoved):
            return []
        case (.paused, .deviceFault):
            state = .abandoned(.deviceFault)
            return [.releaseDevices]
        case (.paused, .clientGone):
            state = .abandoned(.clientGone)
            return [.releaseDevices]
        case (.paused, .endBySupervisor):
            state = .abandoned(.endedBySupervisor)
            return [.releaseDevices]
        case (.paused, .cancel):
            state = .abandoned(.operatorCancelled)
            return [.releaseDevices]

        // Redo one step from the review: a new portrait or one finger again, then validation again.
        case (.review(var draft, let review), .portraitCaptured(let portrait)) where !review.persisting:
            draft.livePortrait = portrait
            return revalidate(draft, after: review)
        case (.review(var draft, let review), .fingerprintCaptured(let capture)) where !review.persisting:
            guard case .captured = capture.outcome else { return [.tell(.exceptionNeedsSupervisor)] }
            draft.fingerprints.removeAll { $0.position == capture.position }
            draft.fingerprints.append(capture)
            draft.exceptionApprovals[capture.position] = nil
            draft.exceptionRequests[capture.position] = nil
            return revalidate(draft, after: review)

        // A finger exception needs a supervisor and a reason.
        case (.biometrics(var draft), .fingerException(let position, let exception, let approval)):
            guard let approval = Self.valid(approval) else { return [.tell(.exceptionNeedsSupervisor)] }
            draft.record(position, exception, approval)
            state = .biometrics(draft)
            return []
        case (.review(var draft, let review), .fingerException(let position, let exception, let approval))
        where !review.persisting:
            guard let approval = Self.valid(approval) else { return [.tell(.exceptionNeedsSupervisor)] }
            draft.record(position, exception, approval)
            return revalidate(draft, after: review)

        // An officer's exception request waits for a supervisor; the session stays in its step. A finger whose
        // exception a supervisor confirmed is recorded: capture it to undo that, not ask again.
        case (.biometrics(var draft), .exceptionRequested(let request)):
            guard !draft.confirmedException(request.finger) else { return [.refuse(.exceptionDecided)] }
            draft.exceptionRequests[request.finger] = request
            state = .biometrics(draft)
            return []
        case (.review(var draft, let review), .exceptionRequested(let request)) where !review.persisting:
            guard !draft.confirmedException(request.finger) else { return [.refuse(.exceptionDecided)] }
            draft.exceptionRequests[request.finger] = request
            state = .review(draft, review)
            return []
        // Withdrawn while pending, or a decline taken note of; a confirmed one is recorded (capture the finger).
        case (_, .exceptionWithdrawn(let finger)):
            guard var draft = openDraft else { return [.refuse(.notInThisState)] }
            guard draft.exceptionRequests[finger] != nil else { return [.refuse(.noExceptionRequest)] }
            guard !draft.confirmedException(finger) else { return [.refuse(.exceptionDecided)] }
            draft.exceptionRequests[finger] = nil
            return replaceDraft(draft, changed: false)
        case (_, .exceptionConfirmed(let finger, let approval, let at)):
            return decide(finger, approval, at: at, confirm: true)
        case (_, .exceptionDeclined(let finger, let approval, let at)):
            return decide(finger, approval, at: at, confirm: false)

        // Confirming what was read back: only the revision the citizen heard.
        case (.review(_, let review), .confirmReadBack(let revision)) where !review.persisting:
            guard revision == review.revision else { return [.tell(.readBackStale)] }
            return handle(.confirm)

        case (.cardRead(let draft), .startBiometrics):
            state = .biometrics(draft)
            return [.armScanners]

        case (.cardRead(var draft), .detailsEntered(let details)):
            draft.details = details
            state = .cardRead(draft)
            return []

        case (.biometrics(var draft), .portraitCaptured(let portrait)):
            draft.livePortrait = portrait
            state = .biometrics(draft)
            return []

        case (.biometrics(var draft), .fingerprintCaptured(let capture)):
            guard case .captured = capture.outcome else { return [.tell(.exceptionNeedsSupervisor)] }
            draft.fingerprints.removeAll { $0.position == capture.position }
            draft.fingerprints.append(capture)
            draft.exceptionApprovals[capture.position] = nil
            draft.exceptionRequests[capture.position] = nil
            state = .biometrics(draft)
            return []

        case (.biometrics(var draft), .detailsEntered(let details)):
            draft.details = details
            state = .biometrics(draft)
            return []

        case (.biometrics(let draft), .finishBiometrics):
            guard let application = application(from: draft) else { return [.refuse(.portraitMissing)] }
            state = .review(draft, Review(revision: 1, errors: nil, persisting: false))
            return [.validate(application, revision: 1)]

        case (.review(let draft, let review), .recapture) where !review.persisting:
            state = .biometrics(draft)
            return [.armScanners]

        case (.review(var draft, let review), .detailsEntered(let details)) where !review.persisting:
            draft.details = details
            let next = Review(revision: review.revision + 1, errors: nil, persisting: false)
            state = .review(draft, next)
            return application(from: draft).map { [.validate($0, revision: next.revision)] } ?? []

        case (.review(let draft, var review), .validated(let revision, let errors)) where !review.persisting:
            guard revision == review.revision else { return [] }  // stale result
            review.errors = errors
            state = .review(draft, review)
            return []

        case (.review(let draft, var review), .confirm) where !review.persisting:
            guard let errors = review.errors else { return [.refuse(.notValidated)] }
            guard errors.isEmpty, let application = application(from: draft) else {
                return [.refuse(.validationFailed)]
            }
            review.persisting = true
            state = .review(draft, review)
            return [.persist(application)]

        case (.review(let draft, let review), .persisted(let id)) where review.persisting:
            guard id == draft.applicationID else { return [.refuse(.notInThisState)] }
            state = .committed(id)
            return [.releaseDevices]

        case (.review(let draft, var review), .persistFailed(let code)) where review.persisting:
            review.persisting = false
            state = .review(draft, review)
            return [.reportPersistFailure(code: code)]

        // While the commit is in flight, the outcome decides; nothing may abandon it half-way.
        case (.review(_, let review), .cardRemoved) where review.persisting,
            (.review(_, let review), .deviceFault) where review.persisting,
            (.review(_, let review), .clientGone) where review.persisting,
            (.review(_, let review), .endBySupervisor) where review.persisting:
            return []

        case (.cardRead, .deviceFault), (.biometrics, .deviceFault), (.review, .deviceFault):
            state = .abandoned(.deviceFault)
            return [.releaseDevices]
        case (.cardRead, .clientGone), (.biometrics, .clientGone), (.review, .clientGone):
            state = .abandoned(.clientGone)
            return [.releaseDevices]
        case (.cardRead, .endBySupervisor), (.biometrics, .endBySupervisor), (.review, .endBySupervisor):
            state = .abandoned(.endedBySupervisor)
            return [.releaseDevices]
        case (.cardRead, .cancel), (.biometrics, .cancel):
            state = .abandoned(.operatorCancelled)
            return [.releaseDevices]
        case (.review(_, let review), .cancel) where !review.persisting:
            state = .abandoned(.operatorCancelled)
            return [.releaseDevices]

        // Nothing to abandon when idle or finished.
        case (.idle, .cardRemoved), (.idle, .deviceFault), (.idle, .clientGone), (.idle, .cancel),
            (.idle, .endBySupervisor), (.committed, .endBySupervisor), (.abandoned, .endBySupervisor),
            (.committed, .cardRemoved), (.abandoned, .cardRemoved), (.committed, .clientGone),
            (.abandoned, .clientGone), (.committed, .deviceFault), (.abandoned, .deviceFault):
            return []

        case (.turnedAway, .cardRemoved), (.turnedAway, .clientGone), (.turnedAway, .deviceFault),
            (.turnedAway, .endBySupervisor):
            return []
        case (.committed, .reset), (.abandoned, .reset), (.turnedAway, .reset), (.turnedAway, .cancel):
            state = .idle
            return []

        // The refusal is in the eligibility list (the station wrote it from `refusal(_:note:confirmed:at:)`):
        // the session ends, nothing of the citizen kept.
        case (.turnedAway, .refusalRecorded), (.cardRead, .refusalRecorded), (.biometrics, .refusalRecorded),
            (.paused, .refusalRecorded):
            state = .abandoned(.refusalRecorded)
            return [.releaseDevices]
        case (.review(_, let review), .refusalRecorded) where !review.persisting:
            state = .abandoned(.refusalRecorded)
            return [.releaseDevices]

        default:
            return [.refuse(.notInThisState)]
        }
    }

    /// The eligibility-list record of the officer's refusal for the citizen whose card this session read: their
    /// ID number and name (for the door-to-door list), the class and reason, the officer and the Vietnamese day; no
    /// biometrics, no portrait, no phone.
    /// Nil when no card has been read (idle, finished) or the commit is under way. An `ineligible` record without
    /// the local authority's confirmation is recorded as pending it (`EligibilityRecord.isComplete`).
    public func refusal(_ eligibility: EligibilityClass, note: String, confirmed: Bool, at instant: Date)
        -> EligibilityRecord?
    {
        let draft: Draft
        switch state {
        case .turnedAway(_, let held), .cardRead(let held), .biometrics(let held), .paused(let held, _, _):
            draft = held
        case .review(let held, let review) where !review.persisting:
            draft = held
        default:
            return nil
        }
        guard !eligibility.canRegisterLevel2 else { return nil }
        return EligibilityRecord(
            idNumber: draft.card.identity.idNumber, eligibility: eligibility,
            note: note.trimmingCharacters(in: .whitespacesAndNewlines), recordedBy: operatorID,
            recordedOn: CalendarDate(vietnamDayOf: instant), confirmedByLocalAuthority: confirmed,
            fullName: draft.card.identity.fullName)
    }

    /// The review again after a change: a new revision, validated afresh (a read-back of the old one is stale).
    private mutating func revalidate(_ draft: Draft, after review: Review) -> [Action] {
        let next = Review(revision: review.revision + 1, errors: nil, persisting: false)
        state = .review(draft, next)
        return application(from: draft).map { [.validate($0, revision: next.revision)] } ?? []
    }

    /// The collected draft of a session that can still change (card read, fingers, review before the commit, paused);
    /// nil otherwise.
    private var openDraft: Draft? {
        switch state {
        case .cardRead(let draft), .biometrics(let draft), .paused(let draft, _, _): draft
        case .review(let draft, let review) where !review.persisting: draft
        default: nil
        }
    }

    /// Puts a changed draft back in the state it came from; in review, an application that `changed` is validated
    /// again (a new revision).
    private mutating func replaceDraft(_ draft: Draft, changed: Bool) -> [Action] {
        switch state {
        case .cardRead: state = .cardRead(draft)
        case .biometrics: state = .biometrics(draft)
        case .paused(_, let review, let step): state = .paused(draft, review, resume: step)
        case .review(_, let review):
            if changed { return revalidate(draft, after: review) }
            state = .review(draft, review)
        default: return [.refuse(.notInThisState)]
        }
        return []
    }

    /// A supervisor's decision on the pending request for `finger`: confirmed, the exception is recorded with the
    /// approval; declined, the finger stays to be captured. The decision stays on the request (a second one is
    /// refused `exceptionDecided`).
    private mutating func decide(_ finger: FingerPosition, _ approval: SupervisorOverride, at: Date, confirm: Bool)
        -> [Action]
    {
        guard var draft = openDraft else { return [.refuse(.notInThisState)] }
        guard var request = draft.exceptionRequests[finger] else { return [.refuse(.noExceptionRequest)] }
        guard request.decision == nil else { return [.refuse(.exceptionDecided)] }
        guard let approval = Self.valid(approval) else { return [.refuse(.exceptionReasonMissing)] }
        request.decision = ExceptionRequest.Decision(confirmed: confirm, by: approval, at: at)
        if confirm { draft.record(finger, request.exception, approval) }
        draft.exceptionRequests[finger] = request
        return replaceDraft(draft, changed: confirm)
    }

    /// The exception requests of the session in progress, by finger; none once the commit is under way or the
    /// session ended (they die with it), so nothing can be decided then.
    public var exceptionRequests: [ExceptionRequest] {
        openDraft?.exceptionRequests.values.sorted { $0.finger < $1.finger } ?? []
    }

    /// The identity of the citizen of the session in progress (what a supervisor needs to know whose finger it is).
    public var identity: ChipIdentity? { openDraft?.card.identity }

    /// An approval with a supervisor and a reason, or nil.
    private static func valid(_ approval: SupervisorOverride?) -> SupervisorOverride? {
        guard let approval, !approval.reason.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty,
            !approval.supervisor.rawValue.isEmpty
        else { return nil }
        return approval
    }

    /// The priority group the citizen's date of birth (and a missing card) suggests, shown to the officer once the
    /// card is read or the identity typed; never set without them (`Details.priorityGroup`). Nil when none fits.
    public var suggestedPriorityGroup: PriorityGroup? {
        let draft: Draft
        switch state {
        case .cardRead(let held), .biometrics(let held), .review(let held, _), .paused(let held, _, _): draft = held
        default: return nil
        }
        return PriorityGroup.suggested(
            forDateOfBirth: draft.card.identity.dateOfBirth, withoutCard: draft.card.authenticity == .noCard)
    }

    /// What the officer reads back to the citizen before confirming: the review's revision (confirm it with
    /// `confirmReadBack(revision:)`), nil outside the review.
    public var readBack: ReadBack? {
        guard case .review(let draft, let review) = state else { return nil }
        let identity = draft.card.identity
        return ReadBack(
            revision: review.revision, fullName: identity.fullName, dateOfBirth: identity.dateOfBirth,
            maskedIDNumber: identity.idNumber.masked, phone: draft.details.phone?.national,
            bundle: draft.details.bundle.kind, priorityGroup: draft.details.priorityGroup,
            suggestedPriorityGroup: suggestedPriorityGroup, communeCode: point.communeCode, hamlet: hamlet,
            fingers: draft.fingerprints.sorted { $0.position < $1.position }.map { ($0.position, $0.outcome) }
                .map { ReadBack.Finger(position: $0.0, quality: Self.quality($0.1), exception: Self.exception($0.1)) },
            portraitPresent: draft.livePortrait != nil, validated: review.errors == [])
    }

    private static func quality(_ outcome: FingerprintCapture.Outcome) -> Int? {
        if case .captured(let quality, _) = outcome { return quality }
        return nil
    }

    private static func exception(_ outcome: FingerprintCapture.Outcome) -> FingerException? {
        if case .exception(let reason) = outcome { return reason }
        return nil
    }

    /// The application a draft would become; nil without a live portrait.
    func application(from draft: Draft) -> Application? {
        guard let portrait = draft.livePortrait else { return nil }
        return Application(
            id: draft.applicationID, capturedAt: draft.startedAt, identity: draft.card.identity,
            authenticity: draft.card.authenticity, authenticityOverride: draft.details.authenticityOverride,
            chipPortrait: draft.card.chipPortrait, livePortrait: portrait, fingerprints: draft.fingerprints,
            phone: draft.details.phone, bundle: draft.details.bundle, priorityGroup: draft.details.priorityGroup,
            operatorID: operatorID, point: point, chipEvidence: draft.card.chipEvidence
        )
    }
}

extension IntakeSession.Draft {
    /// Records a finger as an exception with the supervisor's approval (replacing any capture of it).
    fileprivate mutating func record(
        _ position: FingerPosition, _ exception: FingerException, _ approval: SupervisorOverride
    ) {
        fingerprints.removeAll { $0.position == position }
        fingerprints.append(FingerprintCapture(position: position, outcome: .exception(exception)))
        exceptionApprovals[position] = approval
        exceptionRequests[position] = nil
    }

    /// Whether a supervisor confirmed the officer's request for `finger` (its exception is recorded).
    fileprivate func confirmedException(_ finger: FingerPosition) -> Bool {
        exceptionRequests[finger]?.decision?.confirmed == true
    }
}

extension IntakeSession {
    /// An officer's request to record a finger as an exception (MOSIP: never the officer's decision alone): kept on
    /// the session until a supervisor confirms or declines it, the officer withdraws it, the finger is captured or
    /// the session ends. The note and the decision's reason are the officers' words: shown, never logged or audited.
    public struct ExceptionRequest: Sendable, Hashable {
        /// A supervisor's decision.
        public struct Decision: Sendable, Hashable {
            /// Confirmed (the exception recorded) or declined (the finger to be captured).
            public var confirmed: Bool
            /// Who decided (from authentication), and why.
            public var by: SupervisorOverride
            /// When.
            public var at: Date
        }

        /// Which finger.
        public var finger: FingerPosition
        /// Why it cannot be captured.
        public var exception: FingerException
        /// The officer's note for the supervisor (may be empty).
        public var note: String
        /// The session's officer, who asked.
        public var requestedBy: OperatorID
        /// When.
        public var requestedAt: Date
        /// Nil while pending.
        public var decision: Decision?

        /// A pending request.
        public init(
            finger: FingerPosition, exception: FingerException, note: String, requestedBy: OperatorID,
            requestedAt: Date
        ) {
            self.finger = finger
            self.exception = exception
            self.note = note.trimmingCharacters(in: .whitespacesAndNewlines)
            self.requestedBy = requestedBy
            self.requestedAt = requestedAt
        }

        /// Whether it waits for a supervisor.
        public var isPending: Bool { decision == nil }
    }
}

extension IntakeSession {
    /// The summary read to the citizen before the commit (personal data: shown to the officer, never logged).
    public struct ReadBack: Sendable, Hashable {
        /// One finger as read back.
        public struct Finger: Sendable, Hashable {
            /// Which finger (say it by name: `FingerPosition.name`).
            public var position: FingerPosition
            /// Quality 0...100 of a captured print.
            public var quality: Int?
            /// The exception recorded instead of a print.
            public var exception: FingerException?
        }

        /// The review revision this summary shows.
        public var revision: Int
        /// Full name from the chip.
        public var fullName: String
        /// Date of birth.
        public var dateOfBirth: CalendarDate
        /// The ID number, masked but for its last three digits.
        public var maskedIDNumber: String
        /// The phone number for the activation SMS, in national form.
        public var phone: String?
        /// The bundle (`ServiceBundle.kind`).
        public var bundle: String
        /// The priority group, if one was chosen.
        public var priorityGroup: PriorityGroup?
        /// The group the date of birth (and a missing card) suggests: shown, never set.
        public var suggestedPriorityGroup: PriorityGroup?
        /// Where.
        public var communeCode: String
        /// The hamlet chosen for the session, if any.
        public var hamlet: String?
        /// Each finger with its quality or exception.
        public var fingers: [Finger]
        /// Whether a live portrait was taken.
        public var portraitPresent: Bool
        /// Whether this revision passed validation (only then can it be confirmed).
        public var validated: Bool
    }
}

extension Application {
    /// What the early screening needs: the chip's identity and the moment of the read.
    public struct ScreeningInput: Sendable, Hashable {
        /// The identity read from the chip.
        public var identity: ChipIdentity
        /// When the card was read (its Vietnamese calendar day is "today").
        public var at: Date
        /// Creates an input.
        public init(identity: ChipIdentity, at: Date) {
            self.identity = identity
            self.at = at
        }
    }
}
