import Foundation
import GRDB
import Intake

/// Why a supervisor held or cancelled an application: a closed set of codes kept in clear in the audit log (for
/// reports and review). Anything more, which may name the citizen, goes in the note, which is sealed like the
/// payloads and shown only to supervisors.
public enum OperatorReason: String, Sendable, Hashable, CaseIterable {
    /// The citizen asked (to wait, to withdraw).
    case citizenRequest
    /// Something in the application is wrong and must be corrected.
    case dataError
    /// The citizen already has another application.
    case duplicate
    /// A reader, scanner or camera fault spoiled the capture.
    case deviceFault
    /// Anything else (say what in the note).
    case other

    /// Parses a code, or throws `queue.unknown_reason` naming the valid ones (never echoing the text given).
    public init(code: String) throws(QueueError) {
        guard let reason = OperatorReason(rawValue: code.trimmingCharacters(in: .whitespaces)) else {
            throw QueueError(
                .unknownReason,
                "the reason must be one of \(Self.allCases.map(\.rawValue).joined(separator: ", ")); "
                    + "free text goes in the note")
        }
        self = reason
    }
}

/// One entry of an application's history as its caller may see it: the note's text only for a supervisor who
/// asked for unmasked data.
public struct HistoryLine: Sendable, Hashable {
    /// When.
    public let at: Date
    /// Who (operator id or `system`).
    public let actor: String
    /// What (`commit`, `hold`, `cancel`, …).
    public let action: String
    /// Status before, if it changed.
    public let from: String?
    /// Status after, if it changed.
    public let to: String?
    /// The reason code in clear.
    public let reasonCode: String?
    /// Whether a sealed note is attached.
    public let hasNote: Bool
    /// The note, unsealed (supervisors asking for unmasked data only).
    public let note: String?
}

extension ApplicationQueue {
    /// Withholds an application from upload (from `captured`, `ready` or `needsAttention`) with a reason code
    /// (in clear) and an optional free-text note (sealed).
    @discardableResult
    public func hold(_ id: ApplicationID, by actor: QueueActor, reason: OperatorReason, note: String? = nil)
        throws(QueueError) -> ApplicationStatus
    {
        try transition(id, by: actor, action: "hold", reason: Self.reason(reason, note)) { row in
            var status = Self.status(row)
            status.local = .held
            return status
        }
    }

    /// Returns a held application to the state it was held from (`captured` or `ready`; `ready` if it was
    /// held from `needsAttention`).
    @discardableResult
    public func release(_ id: ApplicationID, by actor: QueueActor) throws(QueueError) -> ApplicationStatus {
        try transition(id, by: actor, action: "release", reason: nil) { row in
            var status = Self.status(row)
            guard status.local == .held else {
                throw QueueError(.illegalTransition, "only a held application can be released")
            }
            status.local = (row["held_from"] as String?) == LocalState.captured.rawValue ? .captured : .ready
            return status
        }
    }

    /// Withdraws an application before upload; supervisors only, with a reason code (in clear) and an optional
    /// free-text note (sealed).
    @discardableResult
    public func cancel(_ id: ApplicationID, by actor: QueueActor, reason: OperatorReason, note: String? = nil)
        throws(QueueError) -> ApplicationStatus
    {
        guard actor.role != .officer else { throw QueueError(.notPermitted, "cancelling needs a supervisor") }
        return try transition(id, by: actor, action: "cancel", reason: Self.reason(reason, note)) { row in
            var status = Self.status(row)
            status.local = .cancelled
            return status
        }
    }

    /// Puts a `needsAttention` application back to `ready` for another attempt.
    @discardableResult
    public func retry(_ id: ApplicationID, by actor: QueueActor) throws(QueueError) -> ApplicationStatus {
        try transition(id, by: actor, action: "retry", reason: nil) { row in
            var status = Self.status(row)
            guard status.local == .needsAttention else {
                throw QueueError(.illegalTransition, "only a needsAttention application can be retried")
            }
            status.local = .ready
            return status
        }
    }

    /// The audit reason: the code in clear, the note (if it holds anything) to be sealed.
    private static func reason(_ code: OperatorReason, _ note: String?) -> QueueReason {
        let text = note?.trimmingCharacters(in: .whitespacesAndNewlines)
        return QueueReason(code: code.rawValue, note: text?.isEmpty == false ? text : nil)
    }

    /// An application's history, oldest first. Notes are unsealed only when `withNotes` (supervisors: the
    /// caller has asked for unmasked data, which the audit records); otherwise only their presence shows.
    public func history(_ id: ApplicationID, as actor: QueueActor, withNotes: Bool) throws(QueueError)
        -> [HistoryLine]
    {
        if withNotes, actor.role == .officer { throw QueueError(.notPermitted, "notes are for supervisors") }
        var lines: [HistoryLine] = []
        for entry in try auditTrail(for: id) {
            lines.append(
                HistoryLine(
                    at: Date(timeIntervalSince1970: Double(entry.atMilliseconds) / 1000), actor: entry.actor,
                    action: entry.action, from: entry.from, to: entry.to, reasonCode: entry.reasonCode,
                    hasNote: entry.sealedNote != nil, note: withNotes ? try auditNote(entry, as: actor) : nil))
        }
        return lines
    }

    /// A SQLite pragma's value on the writing connection, for status pages and tests.
    public func pragma(_ name: String) throws(QueueError) -> String? {
        guard name.allSatisfy({ $0.isLetter || $0 == "_" }) else { return nil }
        do {
            return try pool.writeWithoutTransaction { db in try String.fetchOne(db, sql: "PRAGMA \(name)") }
        } catch {
            throw ApplicationQueue.map(error)
        }
    }
}
