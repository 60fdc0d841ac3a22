import Biometrics
import ChipID
import ControlAPI
import Foundation
import Intake
import Logging
import Queue
import SmartCard

/// Identifies the controlling client of an intake session (see `IntakeOwner`).
public typealias ConnectionID = IntakeOwner

/// Runs the one intake session of the station: drives `IntakeSession` (the pure machine) and performs its
/// actions (read the card, capture fingers, validate, persist, release devices).
///
/// It takes domain values (an `AccessKey`, a finger position, parsed details, a decoded portrait) and throws
/// `IntakeFailure` or the device modules' own errors: parsing the wire's strings and mapping errors to HTTP
/// belong to `IntakeRoutes`. Its seams are `ChipReading`, the fingerprint layer (a simulated module by
/// configuration) and the store, so it is tested in process (`IntakeCoordinatorTests`).
///
/// One controlling client: the connection that started the session. Others get 409 `control.intake_busy`.
/// When that connection closes, the session is abandoned (`clientGone`); nothing of it is stored.
actor IntakeCoordinator {
    struct Dependencies: Sendable {
        let store: StoreGateway
        let fingerprints: FingerprintStationHandle
        let devices: DeviceState
        let hub: EventHub
        let point: RegistrationPoint
        let policy: ValidationPolicy
        /// The chip-reading seam (pcscd in the daemon, a fake in the coordinator's in-process tests).
        let chips: any ChipReading
        let cardTimeout: Double
        /// CSCA anchors for Passive Authentication (empty: chain "unknown" → at best `verifiedOffline`).
        let trustList: CSCATrustList
        let logger: Logger
    }

    private struct Current {
        let id: String
        let owner: ConnectionID
        let ownerPID: Int32
        /// The controlling client's uid (recorded with the commit's audit lines).
        let ownerUID: UInt32?
        /// The supervisor who started this session on behalf of its operator, if any (audited at commit).
        let onBehalfBy: String?
        var machine: IntakeSession
        var reader: String?
        var busy = false
        var chipPortraitProblem: String?
        /// The DS validity model Passive Authentication applied to this card.
        var validityModel: String?
    }

    private let deps: Dependencies
    private var current: Current?
    private var finished = FinishedSessions()
    /// The last turned-away session's machine (its card read, in memory only) until its refusal is recorded, the
    /// next session starts, or `refusalWindow` passes: the officer records the refusal after the screen said why.
    private var turnedAway: (session: Current, at: Date)?
    /// How long a turned-away session can still be recorded as a refusal.
    static let refusalWindow: TimeInterval = 600

    init(_ dependencies: Dependencies) { deps = dependencies }

    // MARK: - Client operations

    /// Starts the station's session for `operatorID`: the authenticated caller, or the operator a supervisor
    /// (`onBehalfBy`) takes it for, at `place` (checked by the caller against the service area; nil: the point's
    /// commune, no hamlet). The caller's own session already open is answered as it is.
    func start(
        owner: ConnectionID, pid: Int32, uid: UInt32?, operatorID: String, onBehalfBy: String? = nil,
        place: IntakePlace? = nil
    ) throws(IntakeFailure)
        -> IntakeSessionWire
    {
        if let current {
            if current.owner == owner { return wire(current) }
            throw .busy
        }
        turnedAway = nil
        let id = UUID().uuidString.lowercased()
        let session = Current(
            id: id, owner: owner, ownerPID: pid, ownerUID: uid, onBehalfBy: onBehalfBy,
            machine: IntakeSession(
                operatorID: OperatorID(operatorID), point: deps.point,
                place: place ?? IntakePlace(communeCode: deps.point.communeCode)))
        current = session
        deps.logger.info("intake started", metadata: ["session": "\(id)"])
        publish(session)
        return wire(session)
    }

    /// Moves a session that has not read a card yet to another commune and hamlet of the service area (checked by
    /// the caller); after the card read the place is the application's and stays (`intake.refused.notInThisState`).
    func choosePlace(_ id: String, owner: ConnectionID, place: IntakePlace) throws(IntakeFailure)
        -> IntakeSessionWire
    {
        var session = try controlled(id, owner)
        guard case .idle = session.machine.state else { throw .refused(.notInThisState) }
        session.machine = IntakeSession(operatorID: session.machine.operatorID, point: deps.point, place: place)
        current = session
        publish(session)
        return wire(session)
    }

    func get(_ id: String) throws(IntakeFailure) -> IntakeSessionWire {
        if let current, current.id == id { return wire(current) }
        if let done = finished[id] { return done }
        throw .noSession
    }

    /// Whether `owner` may take a step of session `id` now: the routes ask before parsing a step's values, so a
    /// request for another client's or an ended session is answered 409/404 whatever its body holds.
    func checkControl(_ id: String, owner: ConnectionID) throws(IntakeFailure) {
        _ = try controlled(id, owner)
    }

    var summary: IntakeSummary {
        IntakeSummary(active: current != nil, state: current?.machine.state.name)
    }

    /// Reads the card on `reader` (default: the first reader holding one) with `key`, then moves on to biometrics.
    func readCard(_ id: String, owner: ConnectionID, key: AccessKey, reader named: String?) async throws
        -> IntakeSessionWire
    {
        var session = try controlled(id, owner)
        guard let reader = named ?? deps.devices.firstReaderWithCard else { throw IntakeFailure.noCard }
        session.busy = true
        current = session
        defer { clearBusy(id) }
        let outcome = try await CardReading.read(
            ChipReadRequest(
                reader: reader, key: key, authentication: AuthenticationOptions(trustList: deps.trustList),
                timeout: deps.cardTimeout),
            with: deps.chips)
        let cardRead = outcome.card
        guard var updated = current, updated.id == id else { throw IntakeFailure.noSession }
        updated.reader = reader
        updated.chipPortraitProblem = outcome.portrait.problem
        updated.validityModel = outcome.validityModel?.rawValue
        current = updated
        deps.logger.info(
            "card read", metadata: ["session": "\(id)", "verdict": "\(cardRead.authenticity.rawValue)"])
        // A citizen who cannot be registered today (under 14, expired card, duplicate) is turned away at once.
        if let ended = try await apply(.cardRead(cardRead, applicationID: ApplicationID(), at: Date())) {
            return ended
        }
        // A first read goes on to the fingers; a re-read (a pulled card put back, a replaced card) resumes where
        // the session was.
        if case .cardRead = current?.machine.state { try await apply(.startBiometrics) }
        return try get(id)
    }

    /// A citizen without a chip card (2-in-1 without a card): `identity` typed by the officer and checked by the
    /// caller stands for the card read (verdict `noCard`, bundle 2-in-1), screened at once like a card (under 14, a
    /// live application), then on to the fingers. Any operator may; the commit is audited `intake_without_card`
    /// (the application's id, no personal data). In a session without a card, a later call corrects the identity
    /// and keeps everything else; a session with a card answers `intake.refused.notInThisState`.
    func typeIdentity(_ id: String, owner: ConnectionID, identity: ChipIdentity) async throws -> IntakeSessionWire {
        let session = try controlled(id, owner)
        let now = Date()
        let fresh: Bool
        if case .idle = session.machine.state { fresh = true } else { fresh = false }
        if let ended = try await apply(.identityTyped(identity, applicationID: ApplicationID(), at: now)) {
            return ended
        }
        deps.logger.info("identity typed without a card", metadata: ["session": "\(id)"])
        if fresh, case .cardRead = current?.machine.state { try await apply(.startBiometrics) }
        return try get(id)
    }

    /// Whether session `id` is one without a card (its identity typed): its details default to the 2-in-1.
    func isWithoutCard(_ id: String) -> Bool {
        guard let current, current.id == id else { return false }
        switch current.machine.state {
        case .cardRead(let draft), .biometrics(let draft), .review(let draft, _), .paused(let draft, _, _):
            return draft.card.authenticity == .noCard
        default: return false
        }
    }

    /// Records a finger that cannot be captured (missing, injured, unreadable) instead of a capture: only with a
    /// supervisor's confirmation and reason (`approval`); without one the session answers
    /// `intake.notice.exceptionNeedsSupervisor` and stays as it was.
    func recordFingerException(
        _ id: String, owner: ConnectionID, finger: Intake.FingerPosition, reason: FingerException,
        approval: SupervisorOverride?
    ) async throws -> IntakeSessionWire {
        _ = try controlled(id, owner)
        try await apply(.fingerException(finger, reason, approval: approval))
        return try get(id)
    }

    /// The officer's request to record `finger` as an exception (`reason`), with their note for the supervisor: kept
    /// pending on the session (the officer is `requestedBy`, the session's authenticated officer), which stays in its
    /// step. A supervisor confirms or declines it from any client (`decideFingerException`). A second request for the
    /// same finger replaces the first. Audited `finger_exception_requested` by the officer.
    func requestFingerException(
        _ id: String, owner: ConnectionID, finger: Intake.FingerPosition, reason: FingerException, note: String
    ) async throws -> IntakeSessionWire {
        let session = try controlled(id, owner)
        try await apply(
            .exceptionRequested(
                IntakeSession.ExceptionRequest(
                    finger: finger, exception: reason, note: note, requestedBy: session.machine.operatorID,
                    requestedAt: Date())))
        // Audited by the officer like the decision (the application, the finger, the kind; never the note); a
        // request that cannot be audited is not kept.
        let application = wire(session).applicationID ?? "none"
        do {
            try await deps.store.run {
                try $0.recordStationEvent(
                    "finger_exception_requested", by: .officer(session.machine.operatorID, uid: session.ownerUID),
                    reasonCode: "application:\(application);finger:\(finger.rawValue);exception:\(reason.rawValue)")
            }
        } catch {
            _ = try? await apply(.exceptionWithdrawn(finger))
            throw error
        }
        deps.logger.info("finger exception requested", metadata: ["session": "\(id)", "finger": "\(finger.rawValue)"])
        return try get(id)
    }

    /// The officer takes back the request for `finger` (the finger was captured after all, or asked by mistake).
    func withdrawFingerException(_ id: String, owner: ConnectionID, finger: Intake.FingerPosition) async throws
        -> IntakeSessionWire
    {
        _ = try controlled(id, owner)
        try await apply(.exceptionWithdrawn(finger))
        return try get(id)
    }

    /// The finger exception requests waiting for a supervisor: those of the session in progress (requests die with
    /// their session), with the session and the citizen's masked ID number and initials.
    var pendingFingerExceptions: [(session: String, request: IntakeSession.ExceptionRequest, identity: ChipIdentity)] {
        guard let current, let identity = current.machine.identity else { return [] }
        return current.machine.exceptionRequests.filter(\.isPending).map { (current.id, $0, identity) }
    }

    /// A supervisor's decision on the pending request for `finger` in session `id`, from any client (the supervisor
    /// need not control the session): confirmed, the exception is recorded through the machine as a supervisor's
    /// `fingerException` is; declined, the officer is told and captures the finger. Audited
    /// `finger_exception_confirmed` / `finger_exception_declined` by the supervisor with the application's id, the
    /// finger and the kind (never the note or the reason: officers' words). No such request (or session): refused
    /// `noExceptionRequest`; decided already: `exceptionDecided`; a blank reason: `exceptionReasonMissing`.
    func decideFingerException(
        _ id: String, finger: Intake.FingerPosition, confirm: Bool, approval: SupervisorOverride, uid: UInt32?
    ) async throws -> IntakeSessionWire {
        guard let session = current, session.id == id,
            let request = session.machine.exceptionRequests.first(where: { $0.finger == finger })
        else { throw IntakeFailure.refused(.noExceptionRequest) }
        guard request.isPending else { throw IntakeFailure.refused(.exceptionDecided) }
        guard !approval.reason.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
            throw IntakeFailure.refused(.exceptionReasonMissing)
        }
        guard !session.busy else { throw IntakeFailure.stepInProgress }
        let application = wire(session).applicationID ?? "none"
        let action = confirm ? "finger_exception_confirmed" : "finger_exception_declined"
        try await deps.store.run {
            try $0.recordStationEvent(
                action, by: .supervisor(approval.supervisor, uid: uid),
                reasonCode:
                    "application:\(application);finger:\(finger.rawValue);exception:\(request.exception.rawValue)")
        }
        let at = Date()
        try await apply(
            confirm ? .exceptionConfirmed(finger, approval, at: at) : .exceptionDeclined(finger, approval, at: at))
        deps.logger.info(
            "finger exception decided",
            metadata: ["session": "\(id)", "finger": "\(finger.rawValue)", "confirmed": "\(confirm)"])
        return try get(id)
    }

    /// Records in the eligibility list that the citizen whose card this session read cannot be registered today
    /// (`eligibility`: not yet eligible or ineligible, with the reason), by the session's officer, and ends the
    /// session (`refusalRecorded`): no finger, portrait or phone is kept. Works on the session in progress and on a
    /// session screening just turned away (same owner, within `refusalWindow`).
    func recordRefusal(
        _ id: String, owner: ConnectionID, eligibility: EligibilityClass, note: String, confirmed: Bool
    ) async throws -> IntakeSessionWire {
        var session: Current
        let live = current?.id == id
        if live {
            session = try controlled(id, owner)
        } else if let memo = turnedAway, memo.session.id == id,
            Date().timeIntervalSince(memo.at) < Self.refusalWindow
        {
            guard memo.session.owner == owner else { throw IntakeFailure.busy }
            session = memo.session
        } else {
            throw finished[id] == nil ? IntakeFailure.noSession : IntakeFailure.refused(.notInThisState)
        }
        guard let record = session.machine.refusal(eligibility, note: note, confirmed: confirmed, at: Date()) else {
            throw IntakeFailure.refusalNeedsCard
        }
        let place = session.machine.place
        let actor = QueueActor.officer(session.machine.operatorID, uid: session.ownerUID)
        try await deps.store.run { queue in
            try queue.recordEligibility(record, communeCode: place.communeCode, hamlet: place.hamlet, by: actor)
        }
        deps.logger.info("refusal recorded", metadata: ["session": "\(id)"])
        if live {
            if let ended = try await apply(.refusalRecorded) { return ended }
            return try get(id)
        }
        turnedAway = nil
        _ = session.machine.handle(.refusalRecorded)
        var done = wire(session)
        done.abandonReason = IntakeSession.AbandonReason.refusalRecorded.rawValue
        finished.record(done)
        return done
    }

    /// Captures `finger` on `scanner` (default: the first) and adds its ISO record to the session.
    func captureFinger(_ id: String, owner: ConnectionID, finger: Intake.FingerPosition, scanner: String?)
        async throws -> IntakeSessionWire
    {
        var session = try controlled(id, owner)
        guard let station = deps.fingerprints.station else { throw IntakeFailure.noScanner }
        guard let scannerPosition = FingerPositionCode(rawValue: UInt8(finger.rawValue)) else {
            throw IntakeFailure.noScanner
        }
        session.busy = true
        current = session
        defer { clearBusy(id) }
        let (record, _) = try await station.capture(
            for: ClaimOwner(session: id, pid: session.ownerPID), deviceID: scanner, finger: scannerPosition)
        let capture = FingerprintCapture(
            position: finger, outcome: .captured(quality: record.quality, record: Data(record.isoRecord)))
        try await apply(.fingerprintCaptured(capture))
        deps.hub.publish(StationEvent(type: "intake.finger", state: "\(finger.rawValue)", at: Date()))
        return try get(id)
    }

    /// Attaches the live portrait (decoded and checked by the caller).
    func attachPortrait(_ id: String, owner: ConnectionID, portrait: LivePortrait) async throws
        -> IntakeSessionWire
    {
        _ = try controlled(id, owner)
        try await apply(.portraitCaptured(portrait))
        return try get(id)
    }

    /// Sets the operator-entered details (parsed by the caller; an override only from a supervisor).
    func setDetails(_ id: String, owner: ConnectionID, details: IntakeSession.Details) async throws
        -> IntakeSessionWire
    {
        _ = try controlled(id, owner)
        try await apply(.detailsEntered(details))
        return try get(id)
    }

    func review(_ id: String, owner: ConnectionID) async throws -> IntakeSessionWire {
        let session = try controlled(id, owner)
        if case .review = session.machine.state {
            return wire(session)
        }
        try await apply(.finishBiometrics)
        return try get(id)
    }

    /// Commits; answers with the session as it ended (never a lookup that could miss it). With `readBack`, only
    /// the revision of the summary that was read to the citizen is committed (a changed application answers
    /// `intake.notice.readBackStale`).
    func commit(_ id: String, owner: ConnectionID, readBack revision: Int? = nil) async throws -> IntakeSessionWire {
        let session = try controlled(id, owner)
        if case .biometrics = session.machine.state { try await apply(.finishBiometrics) }
        let event: IntakeSession.Event = revision.map { .confirmReadBack(revision: $0) } ?? .confirm
        if let ended = try await apply(event) { return ended }
        return try get(id)
    }

    /// Abandons; answers with the session as it ended.
    func abandon(_ id: String, owner: ConnectionID) async throws -> IntakeSessionWire {
        let session = try controlled(id, owner)
        if case .idle = session.machine.state {
            return end(session, reason: IntakeSession.AbandonReason.operatorCancelled.rawValue)
        }
        if let ended = try await apply(.cancel) { return ended }
        return try get(id)
    }

    /// A supervisor (or root) ends the session another client holds, e.g. a terminal left with a session open.
    /// Audited as `intake_ended_by_supervisor` by that supervisor.
    func endHeldSession(_ id: String, supervisor: String, uid: UInt32?) async throws -> IntakeSessionWire {
        guard let session = current, session.id == id else {
            if let done = finished[id] { return done }
            throw IntakeFailure.noSession
        }
        try await deps.store.run {
            try $0.recordStationEvent(
                "intake_ended_by_supervisor", by: .supervisor(OperatorID(supervisor), uid: uid),
                reasonCode: "session:\(id)")
        }
        if case .idle = session.machine.state {
            return end(session, reason: IntakeSession.AbandonReason.endedBySupervisor.rawValue)
        }
        if let ended = try await apply(.endBySupervisor) { return ended }
        return try get(id)
    }

    // MARK: - Events from outside

    func connectionClosed(_ owner: ConnectionID) async {
        guard let current, current.owner == owner else { return }
        _ = try? await apply(.clientGone)
        // The machine has nothing to abandon while idle; the station must still be freed for other clients.
        if let still = self.current, still.owner == owner, case .idle = still.machine.state {
            end(still, reason: "clientGone")
        }
    }

    func cardRemoved(from reader: String) async {
        guard let current, current.reader == reader else { return }
        _ = try? await apply(.cardRemoved)
    }

    func shutdown() async {
        guard current != nil else { return }
        _ = try? await apply(.clientGone)
    }

    // MARK: - Machine

    /// Applies `event` and performs the actions it leads to. Returns the session as it ended when this event ended
    /// it (committed or abandoned), nil while it goes on.
    @discardableResult
    private func apply(_ event: IntakeSession.Event) async throws -> IntakeSessionWire? {
        var pending = try step(event)
        while !pending.isEmpty {
            let action = pending.removeFirst()
            switch action {
            case .armScanners:
                break
            case .validate(let application, let revision):
                let policy = deps.policy
                let errors = try await deps.store.run { queue in
                    policy.rules.check(
                        application,
                        in: ValidationContext(
                            today: CalendarDate(vietnamDayOf: Date()), priorApplications: queue))
                }
                pending += try step(.validated(revision: revision, errors: errors))
            case .persist(let unstamped):
                // The verdict and the [authenticity] policy that accepted it travel with the application.
                let application = deps.policy.authenticity.recordingAcceptance(in: unstamped)
                let uid = current?.ownerUID
                let onBehalfBy = current?.onBehalfBy
                let hamlet = current?.machine.hamlet
                // On behalf: the operator is recorded, the uid is the supervisor's who acted.
                let actor = QueueActor.officer(application.operatorID, uid: uid)
                do {
                    _ = try await deps.store.run { queue in
                        try queue.commit(application, hamlet: hamlet, by: actor)
                        if application.authenticity == .noCard {
                            // Any operator takes a citizen without a card; said plainly in the audit trail.
                            try queue.recordStationEvent(
                                "intake_without_card", by: actor, reasonCode: "application:\(application.id.text)")
                        }
                        if let onBehalfBy {
                            try queue.recordStationEvent(
                                "intake_on_behalf", by: .supervisor(OperatorID(onBehalfBy), uid: uid),
                                reasonCode: "operator:\(application.operatorID.rawValue)")
                        }
                    }
                    StationMetric.intakeCommit(committed: true)
                    pending += try step(.persisted(application.id))
                    deps.logger.info(
                        "application committed", metadata: ["application": "\(application.id.text)"])
                    deps.hub.publish(
                        StationEvent(
                            type: "queue.changed", state: "captured", applicationID: application.id.text,
                            at: Date()))
                } catch {
                    let code = StoreGateway.code(of: error)
                    StationMetric.intakeCommit(committed: false)
                    deps.logger.error("commit failed", metadata: ["code": "\(code)"])
                    pending += try step(.persistFailed(code: code))
                }
            case .releaseDevices:
                if let station = deps.fingerprints.station, let id = current?.id {
                    await station.endSession(id)
                }
            case .refuse(let refusal):
                throw IntakeFailure.refused(refusal)
            case .reportPersistFailure(let code):
                throw IntakeFailure.persistFailed(code: code)
            case .screen(let input):
                let policy = deps.policy
                let errors = try await deps.store.run { queue in policy.screen(input, priorApplications: queue) }
                pending += try step(.screened(errors))
            case .tell(let notice):
                // Said at once to every console (a pulled card has no request to answer), and to the caller.
                deps.hub.publish(StationEvent(type: "intake.notice", state: notice.rawValue, at: Date()))
                if let session = current { publish(session) }
                throw IntakeFailure.notice(notice)
            }
        }
        if let session = current {
            publish(session)
            switch session.machine.state {
            case .turnedAway:
                turnedAway = (session, Date())
                return end(session, reason: nil)
            case .committed: return end(session, reason: nil)
            case .abandoned(let reason): return end(session, reason: reason.rawValue)
            default: break
            }
        }
        return nil
    }

    /// Applies a follow-up event to the current machine and returns its actions.
    private func step(_ event: IntakeSession.Event) throws -> [IntakeSession.Action] {
        guard var session = current else { throw IntakeFailure.noSession }
        let actions = session.machine.handle(event)
        current = session
        return actions
    }

    @discardableResult
    private func end(_ session: Current, reason: String?) -> IntakeSessionWire {
        var done = wire(session)
        done.abandonReason = reason
        // A session abandoned before anything happened (idle) ended all the same.
        if reason != nil { done.state = "abandoned" }
        finished.record(done)
        current = nil
        deps.logger.info(
            "intake ended",
            metadata: ["session": "\(session.id)", "state": "\(session.machine.state.name)"])
        return done
    }

    private func publish(_ session: Current) {
        deps.hub.publish(
            StationEvent(type: "intake.state", state: session.machine.state.name, at: Date()))
    }

    private func controlled(_ id: String, _ owner: ConnectionID) throws(IntakeFailure) -> Current {
        guard let current, current.id == id else { throw .noSession }
        guard current.owner == owner else { throw .busy }
        guard !current.busy else { throw .stepInProgress }
        return current
    }

    private func clearBusy(_ id: String) {
        if current?.id == id { current?.busy = false }
    }

    private func wire(_ session: Current) -> IntakeSessionWire {
        IntakeSessionWire(
            id: session.id, machine: session.machine, chipPortraitProblem: session.chipPortraitProblem,
            validityModel: session.validityModel)
    }
}
