import Foundation
import GRDB
import Intake

/// A row the uploader may put in a batch: clear columns only (no personal data).
public struct UplinkCandidate: Sendable, Hashable {
    /// The application.
    public let id: ApplicationID
    /// Its current status.
    public let status: ApplicationStatus
    /// When it was taken.
    public let capturedAt: Date
    /// Size of the sealed payload at rest, a good estimate of the packaged size.
    public let sealedBytes: Int
    /// Where it was taken.
    public let communeCode: String
    /// Who took it.
    public let operatorID: String
}

/// One change the uploader asks for: the target is computed from the current status inside the transaction;
/// returning nil leaves the row alone (e.g. C06 said nothing new).
public struct UplinkChange: Sendable {
    /// The application.
    public let id: ApplicationID
    /// Audit action, e.g. `upload_ack`, `status_sync`, `export`.
    public let action: String
    /// Clear reason code for the audit log (C06's reason code, never personal data).
    public let reasonCode: String?
    /// The next statuses from the current one; several steps are applied in order (e.g. received → accepted →
    /// activated), each checked against `TransitionTable` and audited.
    public let steps: @Sendable (ApplicationStatus) -> [ApplicationStatus]

    /// Creates a change.
    public init(
        id: ApplicationID, action: String, reasonCode: String? = nil,
        steps: @escaping @Sendable (ApplicationStatus) -> [ApplicationStatus]
    ) {
        self.id = id
        self.action = action
        self.reasonCode = reasonCode
        self.steps = steps
    }
}

/// What `applyUplinkChanges` did.
public struct UplinkChangeOutcome: Sendable, Hashable {
    /// Rows that moved (at least one step applied).
    public var changed: Set<ApplicationID> = []
    /// Changes refused by the transition table (row left at its last allowed step), or unknown ids, by id.
    public var refusals: [ApplicationID: String] = [:]
}

extension ApplicationQueue {
    /// Rows in `states` (oldest first), at most `limit`: what the uploader batches or exports.
    public func uplinkCandidates(in states: Set<LocalState>, limit: Int) throws(QueueError) -> [UplinkCandidate] {
        let list = states.map { "'\($0.rawValue)'" }.sorted().joined(separator: ",")
        return try read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT id, local_state, central_state, central_reason, captured_at, commune_code, operator_id,
                        length(payload) AS sealed
                    FROM application WHERE local_state IN (\(list)) AND payload IS NOT NULL
                    ORDER BY captured_at, id LIMIT ?
                    """, arguments: [limit]
            ).compactMap { row -> UplinkCandidate? in
                guard let id = ApplicationID(row["id"] as String) else { return nil }
                return UplinkCandidate(
                    id: id, status: Self.status(row),
                    capturedAt: Date(timeIntervalSince1970: Double(row["captured_at"] as Int64) / 1000),
                    sealedBytes: row["sealed"] ?? 0, communeCode: row["commune_code"], operatorID: row["operator_id"])
            }
        }
    }

    /// Ids of applications C06 has (or may have) and has not finished with: local `uploaded` or `exported`,
    /// central not `rejected` or `activated`. What status sync asks about.
    public func uplinkOpenApplications(limit: Int) throws(QueueError) -> [ApplicationID] {
        try read { db in
            try String.fetchAll(
                db,
                sql: """
                    SELECT id FROM application
                    WHERE local_state IN ('uploaded', 'exported') AND central_state NOT IN ('rejected', 'activated')
                    ORDER BY updated_at, id LIMIT ?
                    """, arguments: [limit]
            ).compactMap(ApplicationID.init)
        }
    }

    /// Applies many changes in ONE transaction, each step written by the store's one state writer (checked against
    /// `TransitionTable`, audited), so a
    /// server's answer moves all its rows or none. A change whose step is refused by the table is skipped (its
    /// row is left at its last allowed step) and reported; unknown ids are reported too.
    @discardableResult
    public func applyUplinkChanges(_ changes: [UplinkChange], by actor: QueueActor) throws(QueueError)
        -> UplinkChangeOutcome
    {
        guard !changes.isEmpty else { return UplinkChangeOutcome() }
        let now = nowMilliseconds
        return try write(expectedBytes: 1024 * changes.count) { db in
            var outcome = UplinkChangeOutcome()
            for change in changes {
                guard
                    let row = try Row.fetchOne(
                        db, sql: "SELECT local_state, central_state, central_reason FROM application WHERE id = ?",
                        arguments: [change.id.text])
                else {
                    outcome.refusals[change.id] = "not found"
                    continue
                }
                var old = Self.status(row)
                for new in change.steps(old) {
                    if let refusal = try Self.writeStatus(
                        db, id: change.id, from: old, to: new, by: actor, action: change.action,
                        reasonCode: change.reasonCode, at: now)
                    {
                        outcome.refusals[change.id] = "\(old) → \(new): \(refusal)"
                        break
                    }
                    old = new
                    outcome.changed.insert(change.id)
                }
            }
            return outcome
        }
    }
}
