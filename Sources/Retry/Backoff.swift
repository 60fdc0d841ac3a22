import Foundation

/// Capped exponential backoff with full jitter (a uniform draw in `0…min(cap, base·2^attempt)`), honouring a
/// server's `Retry-After` as a floor. Pure: the random source is passed in.
public struct Backoff: Sendable, Hashable, Codable {
    /// First ceiling, seconds.
    public var base: TimeInterval
    /// Largest ceiling, seconds.
    public var cap: TimeInterval

    /// Creates a policy (defaults: 0.5 s, capped at 5 minutes).
    public init(base: TimeInterval = 0.5, cap: TimeInterval = 300) {
        self.base = base
        self.cap = cap
    }

    /// The ceiling for `attempt` (0-based).
    public func ceiling(attempt: Int) -> TimeInterval {
        min(cap, base * pow(2, Double(min(attempt, 62))))
    }

    /// The delay before retry number `attempt`: full jitter below the ceiling, but never less than `retryAfter`.
    public func delay(
        attempt: Int, retryAfter: TimeInterval? = nil, using random: inout some RandomNumberGenerator
    ) -> TimeInterval {
        let jittered = Double.random(in: 0...ceiling(attempt: attempt), using: &random)
        guard let retryAfter else { return jittered }
        return max(min(retryAfter, cap), jittered)
    }
}
