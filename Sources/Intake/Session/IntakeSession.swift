import Foundation

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
    }

    /// The chip read as Intake needs it (mapped from `ChipID`'s result by the station).
    public struct CardRead: Sendable, Hashable {
        /// Identity from DG1/DG13.
        public var identity: ChipIdentity
        /// Authentication verdict.
        public var authenticity: AuthenticityVerdict
        /// DG2 face image bytes.
        public var chipPortrait: Data
        /// Creates a chip read.
        public init(identity: ChipIdentity, authenticity: AuthenticityVerdict, chipPortrait: Data) {
            self.identity = identity
            self.authenticity = authenticity
            self.chipPortrait = chipPortrait
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
    }

    /// The states.
    public enum State: Sendable, Hashable {
        case idle
        case cardRead(Draft)
        case biometrics(Draft)
        case review(Draft, Review)
        case committed(ApplicationID)
        case abandoned(AbandonReason)

        /// The state's name, for tests, logs and the control API.
        public var name: String {
            switch self {
            case .idle: "idle"
            case .cardRead: "cardRead"
            case .biometrics: "biometrics"
            case .review(_, let review): review.persisting ? "review.persisting" : "review"
            case .committed: "committed"
            case .abandoned: "abandoned"
            }
        }

        /// Every value `name` takes (the message catalog names each one).
        public static let allNames = [
            "idle", "cardRead", "biometrics", "review", "review.persisting", "committed", "abandoned",
        ]
    }

    /// What happens to the session.
    public enum Event: Sendable, Hashable {
        /// The chip was read; `applicationID` and `at` are supplied by the caller so the machine stays pure.
        case cardRead(CardRead, applicationID: ApplicationID, at: Date)
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
    }

    /// Why an event was refused (the state did not change).
    public enum Refusal: String, Sendable, Hashable {
        case notInThisState
        case portraitMissing
        case notValidated
        case validationFailed
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
    }

    /// The current state.
    public private(set) var state: State = .idle
    /// Who takes the applications in this session.
    public let operatorID: OperatorID
    /// Where.
    public let point: RegistrationPoint

    /// A new idle session.
    public init(operatorID: OperatorID, point: RegistrationPoint) {
        self.operatorID = operatorID
        self.point = point
    }

    /// Applies an event and returns the actions to perform.
    public mutating func handle(_ event: Event) -> [Action] {
        switch (state, event) {
        case (.idle, .cardRead(let card, let id, let at)):
            state = .cardRead(Draft(applicationID: id, startedAt: at, card: card))
            return []

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
            draft.fingerprints.removeAll { $0.position == capture.position }
            draft.fingerprints.append(capture)
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

        case (.cardRead, .cardRemoved), (.biometrics, .cardRemoved), (.review, .cardRemoved):
            state = .abandoned(.cardRemoved)
            return [.releaseDevices]
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

        case (.committed, .reset), (.abandoned, .reset):
            state = .idle
            return []

        default:
            return [.refuse(.notInThisState)]
        }
    }

    /// The application a draft would become; nil without a live portrait.
    func application(from draft: Draft) -> Application? {
        guard let portrait = draft.livePortrait else { return nil }
        return Application(
            id: draft.applicationID, capturedAt: draft.startedAt, identity: draft.card.identity,
            authenticity: draft.card.authenticity, authenticityOverride: draft.details.authenticityOverride,
            chipPortrait: draft.card.chipPortrait, livePortrait: portrait, fingerprints: draft.fingerprints,
            phone: draft.details.phone, bundle: draft.details.bundle, priorityGroup: draft.details.priorityGroup,
            operatorID: operatorID, point: point
        )
    }
}
