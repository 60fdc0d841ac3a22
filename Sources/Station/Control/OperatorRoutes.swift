import ControlAPI
import Foundation
import Hummingbird
import Messages
import Queue

/// `/v1/operators`: the officers' records (list: operators; add and disable: supervisors; every change audited).
struct OperatorRoutes {
    let core: StationCore

    func add(to router: Router<StationRequestContext>) {
        router.get(RouterPath(ControlPaths.operators)) { _, context in
            try context.require(.operator)
            let records = try await Self.store(core) { try $0.operators() }
            return JSONResponse.make(records.map(Self.wire))
        }
        router.post(RouterPath(ControlPaths.operators)) { request, context in
            try context.require(.supervisor)
            let body = try await Body.decode(OperatorCreateRequest.self, request, core)
            let record = OperatorRecord(
                account: body.account, staffNumber: body.staffNumber.trimmingCharacters(in: .whitespaces),
                fullName: body.fullName.trimmingCharacters(in: Self.spaces),
                unit: body.unit.trimmingCharacters(in: Self.spaces),
                team: body.team.trimmingCharacters(in: Self.spaces), communeCode: body.commune)
            if !record.problems.isEmpty {
                let fields = record.problems.map(\.field).joined(separator: ", ")
                throw APIError(
                    .badRequest, code: ControlErrorCode.operatorInvalid,
                    Message(.controlOperatorInvalid, ["fields": fields]),
                    detail: record.problems.map { "\($0.field): \($0.reason)" }.joined(separator: "; "))
            }
            let actor = QueueRoutes.actor(context)
            let added = try await Self.store(core) { try $0.addOperator(record, by: actor) }
            core.logger.notice("operator recorded", metadata: ["account": "\(added.account)", "by": "\(actor.id)"])
            return JSONResponse.make(.created, Self.wire(added))
        }
        router.post(RouterPath("\(ControlPaths.operators)/:account/disable")) { _, context in
            try context.require(.supervisor)
            let account = context.parameters.get("account") ?? ""
            let actor = QueueRoutes.actor(context)
            let record = try await Self.store(core) { try $0.disableOperator(account, by: actor) }
            core.logger.notice("operator disabled", metadata: ["account": "\(account)", "by": "\(actor.id)"])
            return JSONResponse.make(Self.wire(record))
        }
    }

    /// Leading and trailing ASCII spaces are dropped from the free-text fields.
    static let spaces = CharacterSet(charactersIn: " ")

    static func wire(_ record: OperatorRecord) -> OperatorWire {
        OperatorWire(
            account: record.account, staffNumber: record.staffNumber, fullName: record.fullName, unit: record.unit,
            team: record.team, commune: record.communeCode, disabled: record.isDisabled,
            createdAt: Date(timeIntervalSince1970: Double(record.createdAtMilliseconds) / 1000),
            createdBy: record.createdBy,
            disabledAt: record.disabledAtMilliseconds.map { Date(timeIntervalSince1970: Double($0) / 1000) },
            disabledBy: record.disabledBy)
    }

    /// A store call with the operator records' own messages for their refusals.
    private static func store<T: Sendable>(
        _ core: StationCore, _ body: @escaping @Sendable (ApplicationQueue) throws -> T
    ) async throws -> T {
        do {
            return try await core.store.run(body)
        } catch let error as QueueError {
            switch error.code {
            case .duplicate:
                throw APIError(
                    .conflict, moduleCode: error.code.rawValue, Message(.controlOperatorDuplicate), detail: error.reason
                )
            case .notFound:
                throw APIError(
                    .notFound, moduleCode: error.code.rawValue, Message(.controlOperatorNotFound), detail: error.reason)
            default:
                throw QueueRoutes.map(error)
            }
        }
    }
}

/// The check at intake start: an account a supervisor disabled may not take applications.
enum OperatorGate {
    /// Throws 403 `control.operator_disabled` when `account` (the operator of record: the caller, or the officer a
    /// supervisor takes the intake for) is disabled in the operator records. An account with no record passes (its
    /// applications count under "(chưa đăng ký)" in the figures).
    static func refuseIfDisabled(_ account: String, _ core: StationCore) async throws {
        let record = try await core.store.run { try $0.operatorRecord(account) }
        guard let record, record.isDisabled else { return }
        throw APIError(
            .forbidden, code: ControlErrorCode.operatorDisabled,
            Message(.controlOperatorDisabled, ["account": account]),
            detail: "operator record \(account) disabled by \(record.disabledBy ?? "?")")
    }
}

/// The figures per official and team as the report route answers them.
enum OfficerReport {
    static func wire(_ line: OfficerFigures) -> OfficerReportLineWire {
        OfficerReportLineWire(
            account: line.account, staffNumber: line.record?.staffNumber, fullName: line.record?.fullName,
            unit: line.record?.unit, team: line.record?.team, taken: line.counts.taken, pending: line.counts.pending,
            accepted: line.counts.accepted, activated: line.counts.activated, rejected: line.counts.rejected)
    }

    static func wire(_ line: TeamFigures) -> TeamReportLineWire {
        TeamReportLineWire(
            unit: line.unit, team: line.team, officers: line.officers, taken: line.counts.taken,
            pending: line.counts.pending, accepted: line.counts.accepted, activated: line.counts.activated,
            rejected: line.counts.rejected)
    }
}
