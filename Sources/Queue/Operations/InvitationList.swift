import Foundation
import GRDB
import Intake
import Messages

/// One citizen on a hamlet's invitation list: invited to a registration point on a day (issue 22, item 5).
public struct Invitation: Sendable, Hashable, Codable {
    /// Five-digit commune code.
    public var communeCode: String
    /// The hamlet (thôn, ấp, bản, tổ dân phố) whose list it is.
    public var hamlet: String
    /// The citizen's 12-digit ID number.
    public var idNumber: CitizenID
    /// The name as the hamlet wrote it.
    public var fullName: String
    /// The day the citizen was invited to come.
    public var invitedOn: CalendarDate

    /// Creates a value (no checks: `InvitationCSV.parse` checks imported rows).
    public init(communeCode: String, hamlet: String, idNumber: CitizenID, fullName: String, invitedOn: CalendarDate) {
        self.communeCode = communeCode
        self.hamlet = hamlet
        self.idNumber = idNumber
        self.fullName = fullName
        self.invitedOn = invitedOn
    }
}

/// One problem in an invitation file, placed by line and column (`CSVIssue`).
public typealias InvitationIssue = CSVIssue<InvitationIssueCode>

/// An invitation file refused as a whole (nothing imported): every problem found, in file order.
public typealias InvitationImportError = CSVImportError<InvitationIssueCode>

/// The stable codes of an invitation file's problems.
public enum InvitationIssueCode: String, CSVIssueCode {
    /// Not UTF-8 (e.g. a Windows-1258 export).
    case encoding = "invitation.encoding"
    /// The header is not exactly `InvitationCSV.header`.
    case header = "invitation.header"
    /// A row has too few or too many columns.
    case columns = "invitation.columns"
    /// A commune code that is not 5 digits, an empty hamlet or name, a bad day.
    case field = "invitation.field"
    /// An ID number that is not 12 digits.
    case idNumber = "invitation.id_number"
    /// A citizen listed twice in the file.
    case duplicate = "invitation.duplicate"
    /// No rows.
    case empty = "invitation.empty"

    /// The refusal of a whole file.
    public static var invalidFile: String { "invitation.invalid" }
}

/// A hamlet's invitation list as CSV: UTF-8 with or without BOM, the exact header `InvitationCSV.header`, one row
/// per citizen, RFC 4180 quoting, CRLF or LF. A file may hold several hamlets and days.
public enum InvitationCSV {
    /// The header, exactly.
    public static let columns = ["commune_code", "hamlet", "id_number", "full_name", "invited_day"]
    /// The header line.
    public static var header: String { columns.joined(separator: ",") }

    /// Parses and checks a whole file; throws every problem found, or returns all rows.
    public static func parse(_ data: Data) throws(InvitationImportError) -> [Invitation] {
        var issues = CSVIssues<InvitationIssueCode>()
        func add(_ code: InvitationIssueCode, _ line: Int, _ column: Int, _ message: Message) {
            issues.add(code, line, column, message)
        }
        let (lines, undecodable) = CSVInput.lines(data)
        for bad in undecodable { add(.encoding, bad.line, bad.column, Message(.surveyEncoding)) }
        guard issues.isEmpty else { throw issues.error }
        guard let first = lines.first, !lines.allSatisfy({ $0.text.trimmingCharacters(in: .whitespaces).isEmpty })
        else {
            throw InvitationImportError(issues: [
                InvitationIssue(code: .empty, line: 1, column: 0, Message(.surveyEmpty))
            ])
        }
        let headerFields = CSVInput.fields(first.text)
        if headerFields != columns {
            let column =
                Array(zip(headerFields, columns)).firstIndex { $0 != $1 }.map { $0 + 1 }
                ?? min(headerFields.count, columns.count) + 1
            throw InvitationImportError(issues: [
                InvitationIssue(code: .header, line: 1, column: column, Message(.surveyHeader, ["header": header]))
            ])
        }
        var rows: [Invitation] = []
        var seen: [String: Int] = [:]
        for (number, text) in lines.dropFirst() where !text.trimmingCharacters(in: .whitespaces).isEmpty {
            let values = CSVInput.fields(text).map { $0.trimmingCharacters(in: .whitespaces) }
            guard values.count == columns.count else {
                add(
                    .columns, number, min(values.count, columns.count) + 1,
                    Message(.surveyColumns, ["found": "\(values.count)", "expected": "\(columns.count)"]))
                continue
            }
            let code = values[0]
            if code.count != 5 || !code.allSatisfy({ $0.isASCII && $0.isNumber }) {
                add(.field, number, 1, Message(.surveyCommuneCode))
            }
            if values[1].isEmpty { add(.field, number, 2, Message(.invitationHamlet)) }
            let id = CitizenID(values[2])
            if let id {
                if let earlier = seen[id.digits] {
                    add(.duplicate, number, 3, Message(.invitationDuplicate, ["line": "\(earlier)"]))
                } else {
                    seen[id.digits] = number
                }
            } else {
                add(.idNumber, number, 3, Message(.invitationIDNumber))
            }
            if values[3].isEmpty { add(.field, number, 4, Message(.invitationFullName)) }
            let day = CalendarDate(iso: values[4])
            if day == nil { add(.field, number, 5, Message(.surveyAsOf)) }
            guard let id, let day, !values[1].isEmpty, !values[3].isEmpty, code.count == 5 else { continue }
            rows.append(
                Invitation(communeCode: code, hamlet: values[1], idNumber: id, fullName: values[3], invitedOn: day))
        }
        guard issues.isEmpty else { throw issues.error }
        guard !rows.isEmpty else {
            throw InvitationImportError(issues: [
                InvitationIssue(code: .empty, line: 2, column: 0, Message(.surveyNoRows))
            ])
        }
        return rows
    }
}

/// What an invitation import did.
public struct InvitationImportOutcome: Sendable, Hashable {
    /// Citizens in the file.
    public var citizens: Int
    /// Lists (commune, hamlet, day) in the file.
    public var lists: Int
    /// Citizens of earlier imports of those lists, replaced.
    public var replaced: Int
}

/// The sealed part of an invitation row.
private struct SealedInvitation: Codable {
    var idNumber: String
    var fullName: String
}

extension ApplicationQueue {
    /// Stores checked invitation rows in one transaction. A list is (commune, hamlet, day): each list the file
    /// names replaces that list's earlier import whole, so importing the same file again changes nothing. The ID
    /// number is kept as its keyed hash (the one applications and refusals carry) with the number and the name
    /// sealed. Supervisors only; audited `invitations_import` with counts, no names.
    @discardableResult
    public func importInvitations(_ rows: [Invitation], by actor: QueueActor) throws(QueueError)
        -> InvitationImportOutcome
    {
        guard actor.role != .officer else {
            throw QueueError(.notPermitted, "invitation lists are imported by a supervisor")
        }
        var sealed: [(row: Invitation, idHMAC: Data, keyID: Int, payload: Data)] = []
        for row in rows {
            let plaintext: Data
            do {
                plaintext = try JSONEncoder().encode(
                    SealedInvitation(idNumber: row.idNumber.digits, fullName: row.fullName))
            } catch {
                throw QueueError(.storage, "cannot encode an invitation")
            }
            let (keyID, payload) = try sealer.seal(plaintext, context: "invitation")
            sealed.append((row, sealer.citizenHash(row.idNumber), keyID, payload))
        }
        let lists = Set(rows.map { [$0.communeCode, $0.hamlet, $0.invitedOn.iso] })
        let now = nowMilliseconds
        return try write(expectedBytes: 512 * rows.count + 4096) { db in
            var replaced = 0
            for list in lists {
                try db.execute(
                    sql: "DELETE FROM invitation WHERE commune_code = ? AND hamlet = ? AND invited_day = ?",
                    arguments: [list[0], list[1], list[2]])
                replaced += db.changesCount
            }
            for item in sealed {
                try db.execute(
                    sql: """
                        INSERT INTO invitation (commune_code, hamlet, invited_day, id_hmac, imported_at, key_id,
                            payload)
                        VALUES (?, ?, ?, ?, ?, ?, ?)
                        """,
                    arguments: [
                        item.row.communeCode, item.row.hamlet, item.row.invitedOn.iso, item.idHMAC, now, item.keyID,
                        item.payload,
                    ])
            }
            try AuditLog.append(
                db, at: now, actor: actor.id, action: "invitations_import", applicationID: nil, from: nil,
                to: "lists:\(lists.count) citizens:\(rows.count)", reasonCode: nil, actorUID: actor.uid)
            return InvitationImportOutcome(citizens: rows.count, lists: lists.count, replaced: replaced)
        }
    }

    /// Opens an invitation row's sealed ID number and name.
    func openInvitation(_ row: Row) throws(QueueError) -> (idNumber: String, fullName: String) {
        let plaintext = try sealer.open(row["payload"], keyID: row["key_id"], context: "invitation")
        guard let value = try? JSONDecoder().decode(SealedInvitation.self, from: plaintext) else {
            throw QueueError(.corruptPayload, "an invitation does not decode")
        }
        return (value.idNumber, value.fullName)
    }
}
