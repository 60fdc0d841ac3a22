import Foundation
import GRDB
import Intake

/// The role-appropriate view of an application: personal data masked unless a supervisor asked.
public struct ApplicationView: Sendable, Hashable {
    /// The non-personal receipt columns.
    public let item: QueueItem
    /// Whether personal data below is shown in full.
    public let unmasked: Bool
    /// ID number, masked unless `unmasked`.
    public let idNumber: String
    /// Full name, initials only unless `unmasked`.
    public let fullName: String
    /// Date of birth, year only unless `unmasked`.
    public let dateOfBirth: String
    /// Phone, masked unless `unmasked`.
    public let phone: String?
    /// Finger positions with quality or exception.
    public let fingerprints: [String]
    /// Live portrait dimensions.
    public let livePortraitSize: String
    /// Authentication verdict.
    public let authenticity: AuthenticityVerdict
    /// Priority group.
    public let priorityGroup: PriorityGroup?
    /// Registration point.
    public let placeName: String
}

extension ApplicationQueue {
    /// Shows one application. Officers see personal data masked; a supervisor may ask for it unmasked, which
    /// is recorded in the audit log. After purge, only the receipt is shown (`queue.purged`).
    public func show(_ id: ApplicationID, as actor: QueueActor, unmasked: Bool = false) throws(QueueError)
        -> ApplicationView
    {
        if unmasked, actor.role != .supervisor {
            throw QueueError(.notPermitted, "only a supervisor may see unmasked personal data")
        }
        let row = try read { db in
            try Row.fetchOne(db, sql: "SELECT \(Self.itemColumns) FROM application WHERE id = ?", arguments: [id.text])
        }
        guard let row else { throw QueueError(.notFound, "no application \(id)") }
        let application = try self.application(id)
        if unmasked {
            _ = try write(expectedBytes: 1024) { db in
                try AuditLog.append(
                    db, at: self.nowMilliseconds, actor: actor.id, action: "show_unmasked", applicationID: id.text,
                    from: nil, to: nil, reasonCode: nil, actorUID: actor.uid)
            }
        }
        let identity = application.identity
        return ApplicationView(
            item: Self.item(row), unmasked: unmasked,
            idNumber: unmasked ? identity.idNumber.digits : identity.idNumber.masked,
            fullName: unmasked ? identity.fullName : Self.maskName(identity.fullName),
            dateOfBirth: unmasked ? identity.dateOfBirth.iso : "\(identity.dateOfBirth.year)-**-**",
            phone: application.phone.map { unmasked ? $0.national : $0.masked },
            fingerprints: application.fingerprints.map(\.description),
            livePortraitSize: "\(application.livePortrait.width)×\(application.livePortrait.height)",
            authenticity: application.authenticity, priorityGroup: application.priorityGroup,
            placeName: application.point.placeName)
    }

    /// `NGUYỄN VĂN AN` → `N. V. A.`
    static func maskName(_ name: String) -> String {
        name.split(separator: " ").compactMap { $0.first.map { "\($0)." } }.joined(separator: " ")
    }
}
