import Foundation
import GRDB

/// An officer as a supervisor records them: the local account applications are attributed to (the user name of
/// the control socket's authenticated caller), staff number, full name, unit, team and commune.
public struct OperatorRecord: Sendable, Hashable {
    /// The local account (`operator_id` on the applications the officer takes).
    public let account: String
    /// Staff number (số hiệu cán bộ).
    public let staffNumber: String
    /// Full name (sealed at rest).
    public let fullName: String
    /// Unit (đơn vị), e.g. the district police.
    public let unit: String
    /// Team (tổ công tác).
    public let team: String
    /// Five-digit commune code the officer works in.
    public let communeCode: String
    /// When the record was made (ms since 1970).
    public let createdAtMilliseconds: Int64
    /// The supervisor who made it.
    public let createdBy: String
    /// When it was disabled (nil: active).
    public let disabledAtMilliseconds: Int64?
    /// The supervisor who disabled it.
    public let disabledBy: String?

    /// Whether intakes under this account are refused.
    public var isDisabled: Bool { disabledAtMilliseconds != nil }

    /// Creates a record (checked by `OperatorRecord.problems` before it is stored).
    public init(
        account: String, staffNumber: String, fullName: String, unit: String, team: String, communeCode: String,
        createdAtMilliseconds: Int64 = 0, createdBy: String = "", disabledAtMilliseconds: Int64? = nil,
        disabledBy: String? = nil
    ) {
        self.account = account
        self.staffNumber = staffNumber
        self.fullName = fullName
        self.unit = unit
        self.team = team
        self.communeCode = communeCode
        self.createdAtMilliseconds = createdAtMilliseconds
        self.createdBy = createdBy
        self.disabledAtMilliseconds = disabledAtMilliseconds
        self.disabledBy = disabledBy
    }

    /// Characters of a local account name (as `useradd` accepts them; `@` for directory accounts).
    static let accountCharacters = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-@")

    /// The fields at fault, each with why (English, for the technician): an account that is not a local account
    /// name, an empty or over-long value, a commune code that is not 5 digits.
    public var problems: [(field: String, reason: String)] {
        var found: [(String, String)] = []
        if account.isEmpty || account.count > 64 || !account.allSatisfy({ Self.accountCharacters.contains($0) }) {
            found.append(("account", "a local account name: 1-64 letters, digits, . _ - @"))
        }
        if staffNumber.isEmpty || staffNumber.count > 32
            || !staffNumber.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == ".") })
        {
            found.append(("staffNumber", "1-32 letters, digits, - or ."))
        }
        // As the OpenAPI schema says: 1-120 characters, no control character, at least one that is not a space.
        for (field, value) in [("fullName", fullName), ("unit", unit), ("team", team)]
        where value.unicodeScalars.isEmpty || value.unicodeScalars.count > 120
            || value.unicodeScalars.contains(where: { $0.value < 0x20 })
            || !value.unicodeScalars.contains(where: { $0.value > 0x20 })
        {
            found.append((field, "1-120 characters on one line"))
        }
        if communeCode.count != 5 || !communeCode.allSatisfy({ $0.isASCII && $0.isNumber }) {
            found.append(("commune", "exactly 5 digits"))
        }
        return found
    }
}

/// What happened to an operator record, in the audit log (never the full name).
public enum OperatorAuditAction: String, Sendable {
    /// A supervisor recorded an officer.
    case added = "operator_added"
    /// A supervisor disabled an officer's account for intake.
    case disabled = "operator_disabled"
}

extension ApplicationQueue {
    /// Records an officer (supervisors), the full name sealed, audited `operator_added` with the account, staff
    /// number, unit, team and commune (no name). Throws `queue.duplicate` when the account or the staff number is
    /// already recorded, `queue.not_permitted` for an officer.
    @discardableResult
    public func addOperator(_ record: OperatorRecord, by actor: QueueActor) throws(QueueError) -> OperatorRecord {
        guard actor.role != .officer else {
            throw QueueError(.notPermitted, "operator records are managed by a supervisor")
        }
        let now = nowMilliseconds
        let name = try sealer.seal(Data(record.fullName.utf8), context: "operator:" + record.account)
        return try write(expectedBytes: 1024) { db in
            if try Bool.fetchOne(
                db, sql: "SELECT EXISTS (SELECT 1 FROM operator WHERE account = ?)", arguments: [record.account])
                == true
            {
                throw QueueError(.duplicate, "the account \(record.account) is already recorded")
            }
            if try Bool.fetchOne(
                db, sql: "SELECT EXISTS (SELECT 1 FROM operator WHERE staff_number = ?)",
                arguments: [record.staffNumber]) == true
            {
                throw QueueError(.duplicate, "the staff number \(record.staffNumber) is already recorded")
            }
            try db.execute(
                sql: """
                    INSERT INTO operator (account, staff_number, unit, team, commune_code, name_key_id, name_sealed,
                        created_at, created_by)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [
                    record.account, record.staffNumber, record.unit, record.team, record.communeCode, name.keyID,
                    name.sealed, now, actor.id,
                ])
            try AuditLog.append(
                db, at: now, actor: actor.id, action: OperatorAuditAction.added.rawValue, applicationID: nil,
                from: nil,
                to: "operator:\(record.account) staff:\(record.staffNumber) unit:\(record.unit) team:\(record.team) "
                    + "commune:\(record.communeCode)", reasonCode: nil, actorUID: actor.uid)
            return OperatorRecord(
                account: record.account, staffNumber: record.staffNumber, fullName: record.fullName,
                unit: record.unit, team: record.team, communeCode: record.communeCode, createdAtMilliseconds: now,
                createdBy: actor.id)
        }
    }

    /// Disables an officer's account for intake (supervisors), audited `operator_disabled`. Disabling a disabled
    /// record changes nothing and writes nothing. Throws `queue.not_found` when the account is not recorded.
    @discardableResult
    public func disableOperator(_ account: String, by actor: QueueActor) throws(QueueError) -> OperatorRecord {
        guard actor.role != .officer else {
            throw QueueError(.notPermitted, "operator records are managed by a supervisor")
        }
        let now = nowMilliseconds
        try write(expectedBytes: 1024) { db in
            guard
                let disabled = try Row.fetchOne(
                    db, sql: "SELECT disabled_at FROM operator WHERE account = ?", arguments: [account])
            else { throw QueueError(.notFound, "no operator record for the account \(account)") }
            guard (disabled["disabled_at"] as Int64?) == nil else { return }
            try db.execute(
                sql: "UPDATE operator SET disabled_at = ?, disabled_by = ? WHERE account = ?",
                arguments: [now, actor.id, account])
            try AuditLog.append(
                db, at: now, actor: actor.id, action: OperatorAuditAction.disabled.rawValue, applicationID: nil,
                from: nil, to: "operator:\(account)", reasonCode: nil, actorUID: actor.uid)
        }
        guard let record = try operatorRecord(account) else {
            throw QueueError(.notFound, "no operator record for the account \(account)")
        }
        return record
    }

    /// Every recorded officer, by account, names unsealed.
    public func operators() throws(QueueError) -> [OperatorRecord] {
        let rows = try read { db in try Row.fetchAll(db, sql: "SELECT * FROM operator ORDER BY account") }
        var records: [OperatorRecord] = []
        for row in rows { records.append(try operatorRecord(row)) }
        return records
    }

    /// One officer's record (nil when the account is not recorded).
    public func operatorRecord(_ account: String) throws(QueueError) -> OperatorRecord? {
        let row = try read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM operator WHERE account = ?", arguments: [account])
        }
        return try row.map { row throws(QueueError) in try operatorRecord(row) }
    }

    private func operatorRecord(_ row: Row) throws(QueueError) -> OperatorRecord {
        let account: String = row["account"]
        let name = try sealer.open(row["name_sealed"], keyID: row["name_key_id"], context: "operator:" + account)
        return OperatorRecord(
            account: account, staffNumber: row["staff_number"], fullName: String(decoding: name, as: UTF8.self),
            unit: row["unit"], team: row["team"], communeCode: row["commune_code"],
            createdAtMilliseconds: row["created_at"], createdBy: row["created_by"],
            disabledAtMilliseconds: row["disabled_at"], disabledBy: row["disabled_by"])
    }
}
