/// The retry loop of one piece of work as a value: counts consecutive failures, says how long to wait before the
/// next try (by its `Backoff`), and when to give up (after `maxRetries` retries in a row; nil: never, the caller's
/// deadline decides). A success starts the count again. Pure: no clock, no sleeping; the caller waits the delay on
/// its own clock. Used by every retry loop of the package (the upload cycle, the payload transfer, the PC/SC
/// monitor) instead of a counter and a formula at each call site.
public struct RetrySchedule: Sendable, Hashable {
    /// The delays.
    public let backoff: Backoff
    /// Most retries in a row; nil: no limit.
    public let maxRetries: Int?
    /// Failures since the last success.
    public private(set) var failures = 0

    /// Creates a schedule with no failures yet.
    public init(backoff: Backoff, maxRetries: Int? = nil) {
        self.backoff = backoff
        self.maxRetries = maxRetries
    }

    /// The work succeeded: the next failure waits the first ceiling again.
    public mutating func succeeded() { failures = 0 }

    /// The work failed: the delay before the next try (at least `retryAfter`, the server's wish), or nil when the
    /// limit of retries in a row is reached.
    public mutating func failed(
        retryAfter: Double? = nil, using random: inout some RandomNumberGenerator
    ) -> Double? {
        let attempt = failures
        failures += 1
        if let maxRetries, failures > maxRetries { return nil }
        return backoff.delay(attempt: attempt, retryAfter: retryAfter, using: &random)
    }

    /// As `failed(retryAfter:using:)` with the system's random source.
    public mutating func failed(retryAfter: Double? = nil) -> Double? {
        var random = SystemRandomNumberGenerator()
        return failed(retryAfter: retryAfter, using: &random)
    }
}
