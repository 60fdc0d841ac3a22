/// The official who takes the application; an opaque staff identifier, not a name.
public struct OperatorID: Sendable, Hashable, Codable, CustomStringConvertible {
    /// The identifier text.
    public let rawValue: String
    /// Creates an operator id.
    public init(_ rawValue: String) { self.rawValue = rawValue }
    public var description: String { rawValue }
}

/// Where applications are taken: a fixed team at the district police, or a mobile team at a commune hall,
/// school, factory or market.
public struct RegistrationPoint: Sendable, Hashable, Codable {
    /// Fixed or mobile.
    public enum Kind: String, Sendable, Hashable, Codable, CaseIterable {
        case fixed
        case mobile
    }

    /// Administrative code of the commune (5 digits in the national list).
    public var communeCode: String
    /// Fixed or mobile.
    public var kind: Kind
    /// Place name, e.g. "Nhà văn hóa thôn Đông".
    public var placeName: String

    /// Creates a point.
    public init(communeCode: String, kind: Kind, placeName: String) {
        self.communeCode = communeCode
        self.kind = kind
        self.placeName = placeName
    }
}

/// A supervisor's decision to accept what the rules would refuse, recorded with a reason and audited.
public struct SupervisorOverride: Sendable, Hashable, Codable {
    /// The supervisor.
    public var supervisor: OperatorID
    /// Why the override was granted (no personal data).
    public var reason: String

    /// Creates an override.
    public init(supervisor: OperatorID, reason: String) {
        self.supervisor = supervisor
        self.reason = reason
    }
}
