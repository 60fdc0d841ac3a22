import Foundation
import Messages

extension ControlPaths {
    /// `GET` the officers' records (operators); `POST` one (supervisors); `POST /v1/operators/{account}/disable`.
    public static let operators = "/v1/operators"
}

/// `POST /v1/operators` body: one officer. The full name is personal data: `stationctl` reads it from a file,
/// standard input or a prompt, never from its own command line.
public struct OperatorCreateRequest: Codable, Sendable, Hashable {
    /// The local account (user name) the officer logs in with.
    public var account: String
    /// Staff number (số hiệu cán bộ).
    public var staffNumber: String
    /// Full name.
    public var fullName: String
    /// Unit (đơn vị).
    public var unit: String
    /// Team (tổ công tác).
    public var team: String
    /// Five-digit commune code.
    public var commune: String
    /// Creates a value.
    public init(account: String, staffNumber: String, fullName: String, unit: String, team: String, commune: String) {
        self.account = account
        self.staffNumber = staffNumber
        self.fullName = fullName
        self.unit = unit
        self.team = team
        self.commune = commune
    }
}

/// One officer's record as the control API shows it.
public struct OperatorWire: Codable, Sendable, Hashable {
    /// The local account.
    public var account: String
    /// Staff number.
    public var staffNumber: String
    /// Full name.
    public var fullName: String
    /// Unit.
    public var unit: String
    /// Team.
    public var team: String
    /// Commune code.
    public var commune: String
    /// Whether intakes under the account are refused.
    public var disabled: Bool
    /// Recorded at.
    public var createdAt: Date
    /// Recorded by (user name).
    public var createdBy: String
    /// Disabled at.
    public var disabledAt: Date?
    /// Disabled by.
    public var disabledBy: String?
    /// Creates a value.
    public init(
        account: String, staffNumber: String, fullName: String, unit: String, team: String, commune: String,
        disabled: Bool, createdAt: Date, createdBy: String, disabledAt: Date?, disabledBy: String?
    ) {
        self.account = account
        self.staffNumber = staffNumber
        self.fullName = fullName
        self.unit = unit
        self.team = team
        self.commune = commune
        self.disabled = disabled
        self.createdAt = createdAt
        self.createdBy = createdBy
        self.disabledAt = disabledAt
        self.disabledBy = disabledBy
    }
}

/// One official's line of `/v1/reports/:period` (`officers`): applications taken in the period under the account.
/// The record's fields are absent for an account with no officer record ("(chưa đăng ký)").
public struct OfficerReportLineWire: Codable, Sendable, Hashable {
    /// The local account recorded on the applications.
    public var account: String
    /// Staff number.
    public var staffNumber: String?
    /// Full name.
    public var fullName: String?
    /// Unit.
    public var unit: String?
    /// Team.
    public var team: String?
    /// Applications taken (not cancelled).
    public var taken: Int
    /// Pending at C06 or on the station.
    public var pending: Int
    /// Accepted, not yet activated.
    public var accepted: Int
    /// Activated.
    public var activated: Int
    /// Rejected.
    public var rejected: Int
    /// Taken against the per-day quota over the period (`quota.officer_daily`, `quota.team_daily`; absent when none).
    public var quota: QuotaProgressWire? = nil
    /// Creates a value.
    public init(
        account: String, staffNumber: String?, fullName: String?, unit: String?, team: String?, taken: Int,
        pending: Int, accepted: Int, activated: Int, rejected: Int
    ) {
        self.account = account
        self.staffNumber = staffNumber
        self.fullName = fullName
        self.unit = unit
        self.team = team
        self.taken = taken
        self.pending = pending
        self.accepted = accepted
        self.activated = activated
        self.rejected = rejected
    }
}

/// One team's line of `/v1/reports/:period` (`teams`); accounts with no record form the team "(chưa đăng ký)".
public struct TeamReportLineWire: Codable, Sendable, Hashable {
    /// Unit (absent for the unregistered).
    public var unit: String?
    /// Team.
    public var team: String
    /// Accounts counted.
    public var officers: Int
    /// Applications taken (not cancelled).
    public var taken: Int
    /// Pending at C06 or on the station.
    public var pending: Int
    /// Accepted, not yet activated.
    public var accepted: Int
    /// Activated.
    public var activated: Int
    /// Rejected.
    public var rejected: Int
    /// Taken against the per-day quota over the period (`quota.officer_daily`, `quota.team_daily`; absent when none).
    public var quota: QuotaProgressWire? = nil
    /// Creates a value.
    public init(
        unit: String?, team: String, officers: Int, taken: Int, pending: Int, accepted: Int, activated: Int,
        rejected: Int
    ) {
        self.unit = unit
        self.team = team
        self.officers = officers
        self.taken = taken
        self.pending = pending
        self.accepted = accepted
        self.activated = activated
        self.rejected = rejected
    }
}

/// The officers and teams tables as people read them: terminal table and CSV for Excel (UTF-8 with BOM, CRLF).
public enum OfficerTableText {
    /// The label of accounts with no officer record.
    public static let unregistered = "(chưa đăng ký)"
    static let counts: [MessageKey] = [
        .ctlReportColumnTaken, .ctlReportColumnPending, .ctlReportColumnAccepted, .ctlReportColumnActivated,
        .ctlReportColumnRejected,
    ]

    /// Header and rows of the officers table (numbers from the 5th column on).
    public static func officers(_ lines: [OfficerReportLineWire], language: Language) -> ([String], [[String]]) {
        let columns: [MessageKey] = [
            .ctlOperatorColumnAccount, .ctlOperatorColumnStaffNumber, .ctlOperatorColumnFullName,
            .ctlOperatorColumnTeam,
        ]
        let quotas = lines.contains { $0.quota != nil }
        let header = (columns + counts + (quotas ? quotaColumns : [])).map { $0.text(language) }
        let rows = lines.map { line in
            [line.account, line.staffNumber ?? "", line.fullName ?? unregistered, line.team ?? unregistered]
                + [line.taken, line.pending, line.accepted, line.activated, line.rejected].map(String.init)
                + (quotas ? quotaCells(line.quota) : [])
        }
        return (header, rows)
    }

    /// The quota columns, shown when a quota is configured: the period's quota, what it is short by, and the
    /// applications a day needed to reach the quota over the campaign phase by its end.
    static let quotaColumns: [MessageKey] = [.reportColumnQuota, .reportColumnQuotaRemaining, .reportColumnPerDay]

    static func quotaCells(_ quota: QuotaProgressWire?) -> [String] {
        guard let quota else { return ["", "", ""] }
        return [String(quota.quota), String(quota.remaining), quota.perDayToFinishPhase.map(String.init) ?? ""]
    }

    /// Header and rows of the teams table (numbers from the 3rd column on).
    public static func teams(_ lines: [TeamReportLineWire], language: Language) -> ([String], [[String]]) {
        let columns: [MessageKey] = [.ctlOperatorColumnUnit, .ctlOperatorColumnTeam, .ctlReportColumnOfficers]
        let quotas = lines.contains { $0.quota != nil }
        let header = (columns + counts + (quotas ? quotaColumns : [])).map { $0.text(language) }
        let rows = lines.map { line in
            let numbers = [line.officers, line.taken, line.pending, line.accepted, line.activated, line.rejected]
            return [line.unit ?? "", line.team] + numbers.map(String.init) + (quotas ? quotaCells(line.quota) : [])
        }
        return (header, rows)
    }

    /// CSV for Excel: UTF-8 with BOM, CRLF, fields with commas or quotes quoted.
    public static func csv(_ header: [String], _ rows: [[String]]) -> Data {
        let text =
            ([header] + rows).map { $0.map(SeedTableText.csvField).joined(separator: ",") }
            .joined(separator: "\r\n") + "\r\n"
        return Data([0xEF, 0xBB, 0xBF]) + Data(text.utf8)
    }

    /// A terminal table aligned by display width, numbers right-aligned from column `firstNumber`, a total row.
    public static func table(_ header: [String], _ rows: [[String]], firstNumber: Int, language: Language) -> String {
        var total = [MessageKey.ctlTotal.text(language)] + Array(repeating: "", count: firstNumber - 1)
        for column in firstNumber..<header.count {
            total.append(String(rows.compactMap { Int($0[column]) }.reduce(0, +)))
        }
        let all = rows + [total]
        let widths = header.indices.map { column in
            ([header] + all).map { TextLayout.displayWidth($0[column]) }.max() ?? 0
        }
        func render(_ cells: [String], numeric: Bool) -> String {
            cells.enumerated().map { column, cell in
                let pad = String(repeating: " ", count: widths[column] - TextLayout.displayWidth(cell))
                return numeric && column >= firstNumber ? pad + cell : cell + pad
            }.joined(separator: "  ").replacingOccurrences(of: "\\s+$", with: "", options: .regularExpression)
        }
        var out = [render(header, numeric: false)]
        out.append(widths.map { String(repeating: "─", count: $0) }.joined(separator: "  "))
        out += all.map { render($0, numeric: true) }
        return out.joined(separator: "\n")
    }
}
