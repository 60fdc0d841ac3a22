import Foundation

extension ControlPaths {
    /// `GET` the officers' records (operators); `POST` one (supervisors); `POST /v1/operators/{account}/disable`.
    public static let operators = "/v1/operators"
}

extension ControlErrorCode {
    /// The caller's account (or the officer a supervisor takes the intake for) is disabled in the operator records.
    public static let operatorDisabled = "control.operator_disabled"
    /// An operator record's field is not valid (`detail` names the field).
    public static let operatorInvalid = "control.operator_invalid"
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
    public init(account: String, staffNumber: String, fullName: String, unit: String, team: String, commune: String)
    {
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
