import Foundation
import GRDB
import Intake

/// The short reference on each application's receipt (`ShortReference`, `K7M2-QX4G`): given at commit, unique on
/// the station (the `application_reference` table's primary key), and accepted wherever an application id is.
extension ApplicationQueue {
    /// Gives `id` a new reference inside the caller's transaction, drawing again while the one drawn is taken.
    static func assignReference(
        _ db: Database, to id: String, from newReference: () -> ShortReference
    ) throws {
        // 29⁷ references: a collision is rare, a hundred in a row means the source is broken.
        for _ in 0..<100 {
            try db.execute(
                sql: "INSERT OR IGNORE INTO application_reference (reference, application_id) VALUES (?, ?)",
                arguments: [newReference().compact, id])
            if db.changesCount == 1 { return }
            if try Bool.fetchOne(
                db, sql: "SELECT 1 FROM application_reference WHERE application_id = ?", arguments: [id]) == true
            {
                return
            }
        }
        throw QueueError(.storage, "no free short reference after 100 draws")
    }

    /// The reference of one application; nil for none (only before the migration that gives every row one).
    public func reference(of id: ApplicationID) throws(QueueError) -> ShortReference? {
        try read { db in
            try String.fetchOne(
                db, sql: "SELECT reference FROM application_reference WHERE application_id = ?", arguments: [id.text]
            ).flatMap(ShortReference.init(parsing:))
        }
    }

    /// The application a reference names. Throws `queue.not_found` when no application on this station has it.
    public func applicationID(for reference: ShortReference) throws(QueueError) -> ApplicationID {
        let text = try read { db in
            try String.fetchOne(
                db, sql: "SELECT application_id FROM application_reference WHERE reference = ?",
                arguments: [reference.compact])
        }
        guard let text, let id = ApplicationID(text) else {
            throw QueueError(.notFound, "no application with reference \(reference)")
        }
        return id
    }

    /// The application an officer named, by its id (a UUID) or its short reference in any form people type it
    /// (`k7m2 qx4g`). Throws the reference's own error (`reference.check`, …) for text that is neither, and
    /// `queue.not_found` for a well-formed reference no application here has.
    public func resolve(_ text: String) throws -> ApplicationID {
        if let id = ApplicationID(text) { return id }
        let reference = try ShortReference.parse(text)
        return try applicationID(for: reference)
    }
}
