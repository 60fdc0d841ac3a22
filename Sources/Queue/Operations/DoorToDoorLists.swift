import Foundation
import GRDB
import Intake
import Messages

/// The lists the door-to-door work runs on (issue 22, item 5). Each holds names, ID numbers and phone numbers in
/// full: supervisors only, every view audited (`list_view`: which list and how many rows, no personal data).
public enum DoorToDoorList: String, Sendable, Hashable, CaseIterable {
    /// Citizens recorded as not yet eligible or ineligible (latest record each), with no live application since.
    case refusals
    /// Applications the central approved and the citizen has not activated yet, with phone numbers.
    case awaitingActivation = "awaiting-activation"
    /// Citizens on an imported invitation list, invited on or before today, who never came (no live application,
    /// no refusal recorded).
    case absent
}

/// Which rows of a list: one commune, one hamlet (exact names), or all.
public struct DoorToDoorFilter: Sendable, Hashable {
    /// Five-digit commune code, nil for every commune.
    public var communeCode: String?
    /// The hamlet, nil for every hamlet.
    public var hamlet: String?

    /// Creates a filter.
    public init(communeCode: String? = nil, hamlet: String? = nil) {
        self.communeCode = communeCode
        self.hamlet = hamlet
    }
}

/// One citizen on the refusals list.
public struct RefusalListEntry: Sendable, Hashable {
    /// Commune code.
    public var communeCode: String
    /// The hamlet the refusal was recorded for, nil when none was.
    public var hamlet: String?
    /// The 12-digit ID number.
    public var idNumber: String
    /// The name on the card (nil for records made before names were kept).
    public var fullName: String?
    /// `notYetEligible` or `ineligible`.
    public var eligibilityClass: String
    /// The reason (`NotYetEligibleReason` or `IneligibleReason` raw value).
    public var reason: String
    /// Whether the local authority confirmed it.
    public var confirmed: Bool
    /// The Vietnamese day it was recorded.
    public var recordedOn: CalendarDate
    /// The officer's note.
    public var note: String
}

/// One application approved by the central and not activated yet.
public struct AwaitingActivationEntry: Sendable, Hashable {
    /// Commune code.
    public var communeCode: String
    /// The hamlet the application was taken for, nil when none was.
    public var hamlet: String?
    /// The application.
    public var applicationID: String
    /// ID number, name and phone: nil once the payload was purged after retention.
    public var idNumber: String?
    /// The name on the card.
    public var fullName: String?
    /// The phone number given at intake (national form).
    public var phone: String?
    /// The Vietnamese day the central approved it.
    public var approvedOn: CalendarDate
    /// Whole days from the approval's day to today (Vietnamese days, computed at the request).
    public var daysWaiting: Int
}

/// One invited citizen who has not come.
public struct AbsentEntry: Sendable, Hashable {
    /// Commune code.
    public var communeCode: String
    /// The hamlet whose list it is.
    public var hamlet: String
    /// The 12-digit ID number.
    public var idNumber: String
    /// The name as the hamlet wrote it.
    public var fullName: String
    /// The day the citizen was invited.
    public var invitedOn: CalendarDate
}

extension ApplicationQueue {
    /// SQL: a live application (the same rule as the store's one-live-application index) for `alias.id_hmac`.
    private static func liveApplication(_ alias: String) -> String {
        """
        EXISTS (SELECT 1 FROM application a WHERE a.id_hmac = \(alias).id_hmac
            AND a.local_state <> 'cancelled' AND a.central_state <> 'rejected')
        """
    }

    /// The `WHERE` terms and arguments of a filter on `alias`'s commune and `hamlet` expression.
    private static func filterTerms(_ filter: DoorToDoorFilter, commune: String, hamlet: String)
        -> (sql: String, arguments: StatementArguments)
    {
        var sql = ""
        var arguments: StatementArguments = []
        if let code = filter.communeCode {
            sql += " AND \(commune) = ?"
            arguments += [code]
        }
        if let name = filter.hamlet {
            sql += " AND \(hamlet) = ?"
            arguments += [name]
        }
        return (sql, arguments)
    }

    /// Rows ordered by their keys in turn, each in Vietnamese alphabetical order, a missing key (no hamlet) last.
    private static func ordered(_ a: [String?], _ b: [String?]) -> Bool {
        for (left, right) in zip(a, b) {
            guard let left else {
                if right == nil { continue }
                return false
            }
            guard let right else { return true }
            let order = TextLayout.vietnameseOrder(left, right)
            if order != .orderedSame { return order == .orderedAscending }
        }
        return false
    }

    private func requireSupervisor(_ actor: QueueActor, _ list: DoorToDoorList) throws(QueueError) {
        guard actor.role != .officer else {
            throw QueueError(.notPermitted, "the \(list.rawValue) list is for supervisors (names, ID numbers, phones)")
        }
    }

    /// Records that `actor` saw `rows` rows of `list` (no personal data in clear).
    private func auditView(_ list: DoorToDoorList, rows: Int, by actor: QueueActor) throws(QueueError) {
        let now = nowMilliseconds
        try write(expectedBytes: 512) { db in
            try AuditLog.append(
                db, at: now, actor: actor.id, action: "list_view", applicationID: nil, from: nil,
                to: "list:\(list.rawValue) rows:\(rows)", reasonCode: nil, actorUID: actor.uid)
        }
    }

    /// Not-yet-eligible and ineligible citizens (the latest record of each), who have no live application since,
    /// by commune, hamlet and name. Supervisors only; audited.
    public func refusalList(_ filter: DoorToDoorFilter = .init(), by actor: QueueActor) throws(QueueError)
        -> [RefusalListEntry]
    {
        try requireSupervisor(actor, .refusals)
        let terms = Self.filterTerms(filter, commune: "e.commune_code", hamlet: "COALESCE(h.hamlet, '')")
        let rows = try read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT e.commune_code, h.hamlet, e.class, e.confirmed, e.key_id, e.payload
                    FROM eligibility e LEFT JOIN eligibility_hamlet h ON h.seq = e.seq
                    WHERE e.seq = (SELECT MAX(seq) FROM eligibility WHERE id_hmac = e.id_hmac)
                        AND e.class IN ('notYetEligible', 'ineligible') AND NOT \(Self.liveApplication("e"))
                        \(terms.sql)
                    """, arguments: terms.arguments)
        }
        var entries: [RefusalListEntry] = []
        for row in rows {
            let plaintext = try sealer.open(row["payload"], keyID: row["key_id"], context: "eligibility")
            guard let record = try? PropertyListDecoder().decode(EligibilityRecord.self, from: plaintext) else {
                throw QueueError(.corruptPayload, "eligibility record does not decode")
            }
            let reason: String
            switch record.eligibility {
            case .notYetEligible(let why): reason = why.rawValue
            case .ineligible(let why): reason = why.rawValue
            case .eligibleLevel1, .eligibleLevel2: continue
            }
            entries.append(
                RefusalListEntry(
                    communeCode: row["commune_code"], hamlet: row["hamlet"], idNumber: record.idNumber.digits,
                    fullName: record.fullName, eligibilityClass: row["class"], reason: reason,
                    confirmed: row["confirmed"], recordedOn: record.recordedOn, note: record.note))
        }
        entries.sort {
            Self.ordered(
                [$0.communeCode, $0.hamlet, $0.fullName ?? "", $0.idNumber],
                [
                    $1.communeCode, $1.hamlet, $1.fullName ?? "", $1.idNumber,
                ])
        }
        try auditView(.refusals, rows: entries.count, by: actor)
        return entries
    }

    /// Applications the central approved and the citizen has not activated, with phone numbers, by commune,
    /// hamlet and name; days waiting counted to today (the store's clock) in Vietnamese days. Supervisors only;
    /// audited.
    public func awaitingActivationList(_ filter: DoorToDoorFilter = .init(), by actor: QueueActor)
        throws(QueueError) -> [AwaitingActivationEntry]
    {
        try requireSupervisor(actor, .awaitingActivation)
        let today = CalendarDate(vietnamDayOf: configuration.now())
        let terms = Self.filterTerms(filter, commune: "a.commune_code", hamlet: "COALESCE(h.hamlet, '')")
        let rows = try read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT a.id, a.commune_code, h.hamlet, a.accepted_at, a.updated_at, a.key_id, a.payload
                    FROM application a LEFT JOIN application_hamlet h ON h.application_id = a.id
                    WHERE a.central_state = 'accepted' AND a.local_state <> 'cancelled' \(terms.sql)
                    """, arguments: terms.arguments)
        }
        var entries: [AwaitingActivationEntry] = []
        for row in rows {
            let id: String = row["id"]
            var identity: (idNumber: String, fullName: String, phone: String?)?
            if let keyID = row["key_id"] as Int?, let payload = row["payload"] as Data?, let appID = ApplicationID(id) {
                let application = try sealer.openApplication(payload, keyID: keyID, id: appID)
                identity = (
                    application.identity.idNumber.digits, application.identity.fullName,
                    application.phone?.national
                )
            }
            let approvedAt: Int64 = row["accepted_at"] ?? row["updated_at"]
            let approvedOn = CalendarDate(vietnamDayOf: Date(timeIntervalSince1970: Double(approvedAt) / 1000))
            entries.append(
                AwaitingActivationEntry(
                    communeCode: row["commune_code"], hamlet: row["hamlet"], applicationID: id,
                    idNumber: identity?.idNumber, fullName: identity?.fullName, phone: identity?.phone,
                    approvedOn: approvedOn, daysWaiting: max(0, today.daysSinceEpoch - approvedOn.daysSinceEpoch)))
        }
        entries.sort {
            Self.ordered(
                [$0.communeCode, $0.hamlet, $0.fullName ?? "", $0.applicationID],
                [
                    $1.communeCode, $1.hamlet, $1.fullName ?? "", $1.applicationID,
                ])
        }
        try auditView(.awaitingActivation, rows: entries.count, by: actor)
        return entries
    }

    /// Citizens on the imported invitation lists, invited on or before today (the store's clock, Vietnamese day),
    /// who have no live application and no refusal recorded (matched on the keyed hash of the ID number), by
    /// commune, hamlet, day and name. Supervisors only; audited.
    public func absentList(_ filter: DoorToDoorFilter = .init(), by actor: QueueActor) throws(QueueError)
        -> [AbsentEntry]
    {
        try requireSupervisor(actor, .absent)
        let today = CalendarDate(vietnamDayOf: configuration.now())
        let terms = Self.filterTerms(filter, commune: "i.commune_code", hamlet: "i.hamlet")
        let rows = try read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT i.commune_code, i.hamlet, i.invited_day, i.key_id, i.payload FROM invitation i
                    WHERE i.invited_day <= ? AND NOT \(Self.liveApplication("i"))
                        AND NOT EXISTS (SELECT 1 FROM eligibility e WHERE e.id_hmac = i.id_hmac)
                        \(terms.sql)
                    """, arguments: StatementArguments([today.iso]) + terms.arguments)
        }
        var entries: [AbsentEntry] = []
        for row in rows {
            let opened = try openInvitation(row)
            guard let day = CalendarDate(iso: row["invited_day"]) else {
                throw QueueError(.corruptPayload, "an invitation's day does not read")
            }
            entries.append(
                AbsentEntry(
                    communeCode: row["commune_code"], hamlet: row["hamlet"], idNumber: opened.idNumber,
                    fullName: opened.fullName, invitedOn: day))
        }
        entries.sort {
            Self.ordered(
                [$0.communeCode, $0.hamlet, $0.invitedOn.iso, $0.fullName, $0.idNumber],
                [
                    $1.communeCode, $1.hamlet, $1.invitedOn.iso, $1.fullName, $1.idNumber,
                ])
        }
        try auditView(.absent, rows: entries.count, by: actor)
        return entries
    }
}
