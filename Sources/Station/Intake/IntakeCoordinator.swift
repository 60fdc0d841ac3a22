import Biometrics
import ChipID
import ControlAPI
import Foundation
import Hummingbird
import Intake
import Logging
import Queue
import SmartCard

/// Identifies one control connection (the controlling client of an intake session).
public typealias ConnectionID = ObjectIdentifier

/// Runs the one intake session of the station: drives `IntakeSession` (the pure machine) and performs its
/// actions (read the card, capture fingers, validate, persist, release devices).
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
        let cardTimeout: Double
        /// CSCA anchors for Passive Authentication (empty: chain "unknown" → `noTrustAnchor`).
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

    init(_ dependencies: Dependencies) { deps = dependencies }

    // MARK: - Client operations

    /// Starts the station's session for `operatorID`: the authenticated caller, or the operator a supervisor
    /// (`onBehalfBy`) takes it for.
    func start(
        owner: ConnectionID, pid: Int32, uid: UInt32?, operatorID: String, onBehalfBy: String? = nil
    ) throws(APIError)
        -> IntakeSessionWire
    {
        if let current {
            if current.owner == owner { return wire(current) }
            throw APIError(
                .busy, vi: "Một máy trạm khác đang điều khiển phiên tiếp nhận.",
                en: "Another client controls the intake session.")
        }
        let id = UUID().uuidString.lowercased()
        let session = Current(
            id: id, owner: owner, ownerPID: pid, ownerUID: uid, onBehalfBy: onBehalfBy,
            machine: IntakeSession(operatorID: OperatorID(operatorID), point: deps.point))
        current = session
        deps.logger.info("intake started", metadata: ["session": "\(id)"])
        publish(session)
        return wire(session)
    }

    func get(_ id: String) throws(APIError) -> IntakeSessionWire {
        if let current, current.id == id { return wire(current) }
        if let done = finished[id] { return done }
        throw Self.noSession
    }

    var summary: IntakeSummary {
        IntakeSummary(active: current != nil, state: current?.machine.state.name)
    }

    func readCard(_ id: String, owner: ConnectionID, request: CardReadRequest) async throws
        -> IntakeSessionWire
    {
        var session = try controlled(id, owner)
        let key = try Self.accessKey(request)
        guard let reader = request.reader ?? deps.devices.firstReaderWithCard else {
            throw APIError(
                .conflict, code: SmartCardError.Code.noCard.rawValue, vi: "Chưa có thẻ trên đầu đọc.",
                en: "No card on any reader.")
        }
        session.busy = true
        current = session
        defer { clearBusy(id) }
        let outcome = try await CardReading.read(
            reader: reader, key: key, timeout: deps.cardTimeout, trustList: deps.trustList)
        let cardRead = outcome.card
        guard var updated = current, updated.id == id else { throw Self.noSession }
        updated.reader = reader
        updated.chipPortraitProblem = outcome.portrait.problem
        updated.validityModel = outcome.validityModel?.rawValue
        current = updated
        try await apply(.cardRead(cardRead, applicationID: ApplicationID(), at: Date()))
        try await apply(.startBiometrics)
        deps.logger.info(
            "card read", metadata: ["session": "\(id)", "verdict": "\(cardRead.authenticity.rawValue)"])
        return try get(id)
    }

    func captureFinger(_ id: String, owner: ConnectionID, request: FingerRequest) async throws
        -> IntakeSessionWire
    {
        var session = try controlled(id, owner)
        guard let position = Intake.FingerPosition(rawValue: request.finger),
            let scannerPosition = Biometrics.FingerPosition(rawValue: UInt8(request.finger))
        else {
            throw APIError(
                .badRequest, vi: "Vị trí ngón tay phải từ 1 đến 10.", en: "finger must be 1...10.")
        }
        if let exception = request.exception {
            guard let reason = FingerException(rawValue: exception) else {
                throw APIError(
                    .badRequest, vi: "Lý do ngoại lệ không hợp lệ.",
                    en: "exception must be missingFinger, injury or unreadable.")
            }
            try await apply(
                .fingerprintCaptured(FingerprintCapture(position: position, outcome: .exception(reason))))
            return try get(id)
        }
        guard let station = deps.fingerprints.station else {
            throw APIError(.unavailable, vi: "Không có máy quét vân tay.", en: "No fingerprint scanner.")
        }
        session.busy = true
        current = session
        defer { clearBusy(id) }
        let record: CaptureRecord
        do {
            (record, _) = try await station.capture(
                for: ClaimOwner(session: id, pid: session.ownerPID), deviceID: request.scanner,
                finger: scannerPosition)
        } catch let error as BiometricError {
            throw APIError(.badGateway, code: error.code.rawValue, vi: error.reason, en: error.reason)
        }
        let capture = FingerprintCapture(
            position: position,
            outcome: .captured(quality: record.quality, record: Data(record.isoRecord)))
        try await apply(.fingerprintCaptured(capture))
        deps.hub.publish(StationEvent(type: "intake.finger", state: "\(request.finger)", at: Date()))
        return try get(id)
    }

    func attachPortrait(_ id: String, owner: ConnectionID, jpeg: Data) async throws
        -> IntakeSessionWire
    {
        _ = try controlled(id, owner)
        let portrait: LivePortrait
        do {
            portrait = try LivePortrait(jpeg: jpeg)
        } catch {
            throw Self.apiError(error, status: .unprocessableContent)
        }
        try await apply(.portraitCaptured(portrait))
        return try get(id)
    }

    func setDetails(_ id: String, owner: ConnectionID, request: DetailsRequest, supervisor: String?)
        async throws
        -> IntakeSessionWire
    {
        _ = try controlled(id, owner)
        var details = IntakeSession.Details()
        if let phone = request.phone, !phone.isEmpty {
            do {
                details.phone = try PhoneNumber(parsing: phone)
            } catch {
                throw Self.apiError(error, status: .unprocessableContent)
            }
        }
        switch request.bundle ?? "utility" {
        case "utility": details.bundle = .utility
        case "2in1": details.bundle = .twoInOne
        default:
            throw APIError(
                .badRequest, vi: "Gói dịch vụ qua socket: utility hoặc 2in1.",
                en: "bundle must be utility or 2in1.")
        }
        if let group = request.priorityGroup {
            guard let parsed = PriorityGroup(rawValue: group) else {
                throw APIError(.badRequest, vi: "Nhóm ưu tiên không hợp lệ.", en: "Unknown priority group.")
            }
            details.priorityGroup = parsed
        }
        if let reason = request.overrideReason {
            guard let supervisor else {
                throw APIError(
                    .forbidden, vi: "Chỉ cán bộ giám sát được phê duyệt ngoại lệ xác thực.",
                    en: "Only a supervisor may override an authenticity verdict.")
            }
            details.authenticityOverride = SupervisorOverride(
                supervisor: OperatorID(supervisor), reason: reason)
        }
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

    /// Commits; answers with the session as it ended (never a lookup that could miss it).
    func commit(_ id: String, owner: ConnectionID) async throws -> IntakeSessionWire {
        let session = try controlled(id, owner)
        if case .biometrics = session.machine.state { try await apply(.finishBiometrics) }
        if let ended = try await apply(.confirm) { return ended }
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
            throw Self.noSession
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
            case .persist(let application):
                let uid = current?.ownerUID
                let onBehalfBy = current?.onBehalfBy
                // On behalf: the operator is recorded, the uid is the supervisor's who acted.
                let actor = QueueActor.officer(application.operatorID, uid: uid)
                do {
                    _ = try await deps.store.run { queue in
                        try queue.commit(application, by: actor)
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
                throw APIError(
                    .conflict, code: "intake.refused.\(refusal.rawValue)",
                    vi: Self.vietnamese(refusal), en: Self.english(refusal))
            case .reportPersistFailure(let code):
                throw APIError(
                    .conflict, code: code, vi: "Không lưu được hồ sơ (\(code)).",
                    en: "The application could not be stored (\(code)).")
            }
        }
        if let session = current {
            publish(session)
            switch session.machine.state {
            case .committed: return end(session, reason: nil)
            case .abandoned(let reason): return end(session, reason: reason.rawValue)
            default: break
            }
        }
        return nil
    }

    /// Applies a follow-up event to the current machine and returns its actions.
    private func step(_ event: IntakeSession.Event) throws -> [IntakeSession.Action] {
        guard var session = current else { throw Self.noSession }
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

    private func controlled(_ id: String, _ owner: ConnectionID) throws(APIError) -> Current {
        guard let current, current.id == id else { throw Self.noSession }
        guard current.owner == owner else {
            throw APIError(
                .busy, vi: "Một máy trạm khác đang điều khiển phiên tiếp nhận.",
                en: "Another client controls the intake session.")
        }
        guard !current.busy else {
            throw APIError(
                .busy, vi: "Phiên đang thực hiện một bước khác.",
                en: "The session is busy with another step.")
        }
        return current
    }

    private func clearBusy(_ id: String) {
        if current?.id == id { current?.busy = false }
    }

    private func wire(_ session: Current) -> IntakeSessionWire {
        var out = IntakeSessionWire(id: session.id, state: session.machine.state.name)
        let draft: IntakeSession.Draft?
        var review: IntakeSession.Review?
        switch session.machine.state {
        case .cardRead(let d), .biometrics(let d): draft = d
        case .review(let d, let r):
            draft = d
            review = r
        case .committed(let id):
            out.applicationID = id.text
            draft = nil
        default: draft = nil
        }
        if let draft {
            out.applicationID = draft.applicationID.text
            out.maskedIDNumber = draft.card.identity.idNumber.masked
            out.authenticity = draft.card.authenticity.rawValue
            out.fingers = draft.fingerprints.map(\.position.rawValue).sorted()
            out.portrait = draft.livePortrait != nil
            CardReading.describePortrait(&out, card: draft.card, problem: session.chipPortraitProblem)
            out.validityModel = session.validityModel
        }
        if let errors = review?.errors {
            out.problems = errors.map {
                ValidationProblem(code: $0.code.rawValue, message: $0.vietnamese)
            }
        }
        return out
    }

    // MARK: - Helpers

    static let noSession = APIError(
        .noSession, vi: "Không có phiên tiếp nhận này.", en: "No such intake session.")

    static func accessKey(_ request: CardReadRequest) throws -> AccessKey {
        do {
            if let can = request.can { return try AccessKey.can(digits: can) }
            if let mrz = request.mrz {
                return .mrz(try MRZ(mrz.trimmingCharacters(in: .whitespacesAndNewlines)).keySeed)
            }
        } catch {
            throw APIError(
                .badRequest, vi: "Mã truy cập (CAN/MRZ) không hợp lệ.",
                en: "The access key (CAN/MRZ) is not valid.")
        }
        throw APIError(.badRequest, vi: "Cần CAN hoặc MRZ.", en: "Give can or mrz.")
    }

    /// The health check-in read: identity and proof of genuineness without the 15 KB portrait.
    static let checkInFiles: [LDSFile] = [.dg(1), .dg(13), .dg(14), .dg(15), .sod]

    static func apiError(_ error: any Error, status: HTTPResponse.Status) -> APIError {
        if let error = error as? IntakeError {
            return APIError(status, code: error.code.rawValue, vi: error.vietnamese, en: error.english)
        }
        return APIError(.badRequest, vi: "Dữ liệu không hợp lệ.", en: "Invalid data.")
    }

    static func vietnamese(_ refusal: IntakeSession.Refusal) -> String {
        switch refusal {
        case .notInThisState: "Bước này không thực hiện được ở trạng thái hiện tại."
        case .portraitMissing: "Chưa có ảnh chân dung."
        case .notValidated: "Hồ sơ chưa được kiểm tra."
        case .validationFailed: "Hồ sơ chưa đạt yêu cầu; xem các lỗi kiểm tra."
        }
    }

    static func english(_ refusal: IntakeSession.Refusal) -> String {
        switch refusal {
        case .notInThisState: "This step is not possible in the current state."
        case .portraitMissing: "No live portrait yet."
        case .notValidated: "The application has not been validated yet."
        case .validationFailed: "The application does not pass validation; see the problems."
        }
    }
}
