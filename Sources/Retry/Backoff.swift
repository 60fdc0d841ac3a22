import Foundation

/// Capped exponential backoff: the ceiling for retry `attempt` (0-based) is `min(cap, base·2^attempt)`. With full
/// jitter (the default) the delay is a uniform draw in `0…ceiling`, so stations that lost the link together do not
/// come back together; without jitter it is the ceiling itself (a local service such as pcscd, where there is
/// nobody to collide with). A server's `Retry-After` is a floor (itself capped). Pure: the random source is passed
/// in. The one backoff of the package: the uploader's retries and the PC/SC monitor's reconnects use it.
public struct Backoff: Sendable, Hashable, Codable {
    /// How the delay is drawn below the ceiling.
    public enum Jitter: String, Sendable, Hashable, Codable {
        /// Uniform in `0…ceiling`.
        case full
        /// Exactly the ceiling.
        case none
    }

    /// First ceiling, seconds.
    public var base: TimeInterval
    /// Largest ceiling, seconds.
    public var cap: TimeInterval
    /// How the delay is drawn.
    public var jitter: Jitter

    /// Creates a policy (defaults: 0.5 s, capped at 5 minutes, full jitter).
    public init(base: TimeInterval = 0.5, cap: TimeInterval = 300, jitter: Jitter = .full) {
        self.base = base
        self.cap = cap
        self.jitter = jitter
    }

    /// The ceiling for `attempt` (0-based).
    public func ceiling(attempt: Int) -> TimeInterval {
        min(cap, base * pow(2, Double(min(attempt, 62))))
    }

    /// The delay before retry number `attempt`: drawn below the ceiling as `jitter` says, but never less than
    /// `retryAfter` (capped).
    public func delay(
        attempt: Int, retryAfter: TimeInterval? = nil, using random: inout some RandomNumberGenerator
    ) -> TimeInterval {
        let ceiling = ceiling(attempt: attempt)
        let drawn = jitter == .full ? Double.random(in: 0...ceiling, using: &random) : ceiling
        guard let retryAfter else { return drawn }
        return max(min(retryAfter, cap), drawn)
    }
}
