import Foundation
import GRDB
import Intake

/// What the citizen's printed receipt says: the short reference, the name, when and where the application was
/// taken, the bundle. The name is personal data: `receipt(_:as:)` gives it to the officer who took the application
/// or to a supervisor, and records each reading in the audit log.
public struct ApplicationReceipt: Sendable, Hashable {
    /// The application.
    public let id: ApplicationID
    /// Its short reference.
    public let reference: ShortReference
    /// The citizen's full name, as on the card.
    public let fullName: String
    /// When it was taken.
    public let capturedAt: Date
    /// Bundle kind (`utility`, `2in1`, `3in1`, `4in1`).
    public let bundle: String
    /// The registration point's name.
    public let placeName: String
    /// The commune's code.
    public let communeCode: String
}

extension ApplicationQueue {
    /// The receipt of one application, for the officer who took it or a supervisor (`queue.not_permitted` for
    /// another officer), audited as `receipt`. Throws `queue.not_found`, or `queue.purged` once the payload (and
    /// so the name) is gone after acceptance.
    public func receipt(_ id: ApplicationID, as actor: QueueActor) throws(QueueError) -> ApplicationReceipt {
        let row = try read { db in
            try Row.fetchOne(
                db,
                sql: """
                    SELECT operator_id, purged_at, r.reference AS reference FROM application
                    LEFT JOIN application_reference r ON r.application_id = application.id
                    WHERE application.id = ?
                    """, arguments: [id.text])
        }
        guard let row else { throw QueueError(.notFound, "no application \(id)") }
        if actor.role == .officer, (row["operator_id"] as String) != actor.id {
            throw QueueError(.notPermitted, "a receipt is printed by the officer who took the application")
        }
        guard let reference = (row["reference"] as String?).flatMap(ShortReference.init(parsing:)) else {
            throw QueueError(.storage, "the application has no short reference")
        }
        let application = try self.application(id)
        _ = try write(expectedBytes: 1024) { db in
            try AuditLog.append(
                db, at: self.nowMilliseconds, actor: actor.id, action: "receipt", applicationID: id.text,
                from: nil, to: nil, reasonCode: nil, actorUID: actor.uid)
        }
        return ApplicationReceipt(
            id: id, reference: reference, fullName: application.identity.fullName,
            capturedAt: application.capturedAt, bundle: application.bundle.kind,
            placeName: application.point.placeName, communeCode: application.point.communeCode)
    }
}
