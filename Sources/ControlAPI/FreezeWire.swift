import Foundation

extension ControlPaths {
    /// `GET`: the offline freeze rules broken now, each with its message and what to do, in the caller's language.
    public static let freeze = "/v1/freeze"
}

/// One broken freeze rule (`GET /v1/freeze`): new intakes are refused until it is mended.
public struct FreezeRuleWire: Codable, Sendable, Hashable {
    /// The rule's stable code, as in `GET /v1/status` `freezeRules` (`freeze.no_sync`, `freeze.too_many_pending`,
    /// `freeze.low_disk`).
    public var code: String
    /// What is wrong, with its figures.
    public var message: String
    /// What the officer does about it.
    public var advice: String
    /// Creates a value.
    public init(code: String, message: String, advice: String) {
        self.code = code
        self.message = message
        self.advice = advice
    }
}
