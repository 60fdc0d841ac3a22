import Foundation

/// A `Clock` for tests, in milliseconds: time moves only when a sleeper asks for it (`sleep` jumps to its deadline
/// at once) or when the test calls `advance(by:)`. Every sleep is recorded, so a test asserts the waits a state
/// machine chose (backoff, `Retry-After`) without waiting them.
public final class TestClock: Clock, @unchecked Sendable {
    /// A point on the test clock: milliseconds since it started.
    public struct Instant: InstantProtocol, CustomStringConvertible {
        /// Milliseconds since the clock started.
        public var milliseconds: Int64

        /// An instant.
        public init(milliseconds: Int64) { self.milliseconds = milliseconds }

        public func advanced(by duration: Swift.Duration) -> Instant {
            Instant(milliseconds: milliseconds + TestClock.milliseconds(duration))
        }

        public func duration(to other: Instant) -> Swift.Duration { .milliseconds(other.milliseconds - milliseconds) }

        public static func < (lhs: Instant, rhs: Instant) -> Bool { lhs.milliseconds < rhs.milliseconds }

        public var description: String { "t+\(milliseconds) ms" }
    }

    private let lock = NSLock()
    private var current = Instant(milliseconds: 0)
    private var recorded: [Int64] = []

    /// A clock at t+0.
    public init() {}

    public var now: Instant { lock.withLock { current } }

    public var minimumResolution: Swift.Duration { .milliseconds(1) }

    /// Jumps to `deadline` (if it is later) and returns; records the wait in milliseconds.
    public func sleep(until deadline: Instant, tolerance: Swift.Duration? = nil) async throws {
        try Task.checkCancellation()
        lock.withLock {
            recorded.append(max(0, deadline.milliseconds - current.milliseconds))
            if current < deadline { current = deadline }
        }
    }

    /// Moves the clock on.
    public func advance(by duration: Swift.Duration) {
        lock.withLock { current = current.advanced(by: duration) }
    }

    /// Every wait asked for, in milliseconds, in order.
    public var sleeps: [Int64] { lock.withLock { recorded } }

    static func milliseconds(_ duration: Swift.Duration) -> Int64 {
        let (seconds, attoseconds) = duration.components
        return seconds * 1000 + attoseconds / 1_000_000_000_000_000
    }
}
