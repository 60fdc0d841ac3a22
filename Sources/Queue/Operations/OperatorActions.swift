import Foundation
import GRDB
import Intake

extension ApplicationQueue {
    /// Withholds an application from upload (from `captured`, `ready` or `needsAttention`); a reason is required.
    @discardableResult
    public func hold(_ id: ApplicationID, by actor: QueueActor, reason: QueueReason) throws(QueueError)
        -> ApplicationStatus
    {
        try requireReason(reason)
        return try transition(id, by: actor, action: "hold", reason: reason) { row in
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

    /// Withdraws an application before upload; supervisors only, reason required.
    @discardableResult
    public func cancel(_ id: ApplicationID, by actor: QueueActor, reason: QueueReason) throws(QueueError)
        -> ApplicationStatus
    {
        guard actor.role != .officer else { throw QueueError(.notPermitted, "cancelling needs a supervisor") }
        try requireReason(reason)
        return try transition(id, by: actor, action: "cancel", reason: reason) { row in
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

    private func requireReason(_ reason: QueueReason) throws(QueueError) {
        guard !reason.code.trimmingCharacters(in: .whitespaces).isEmpty else {
            throw QueueError(.reasonRequired, "a reason code is required")
        }
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
