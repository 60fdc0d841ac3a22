import CentralAPI
import Retry

/// The upload cycle as a pure state machine, generic over a `Clock`: what to do next (probe the central, upload a
/// batch, wait, stop) from what happened (started, probed, a batch went, a call failed, the wait ended). No I/O,
/// no sleeping: `Uploader.drain` performs the actions against a `Central` and the store, and sleeps on the clock;
/// tests drive it with a fake central and a test clock.
///
/// The rules: probe before the first batch and after every failure (no link or an impostor is found before a
/// batch is cut); a transient failure (`CallError.isTransient`: transport, 5xx, 429, 408, offset mismatch) waits
/// by the `RetrySchedule` (capped exponential backoff with full jitter, `Retry-After` as a floor), then probes
/// again; anything else stops the cycle at once; the cycle ends when nothing is left to send, or when the next
/// try could not start before the deadline.
public struct UploadCycle<C: Clock>: Sendable where C.Duration == Duration {
    /// Where the cycle is.
    public enum Phase: Sendable, Hashable {
        /// Not started.
        case ready
        /// Checking that the central answers (and is the pinned one).
        case probing
        /// A batch is being cut, offered, sent and answered.
        case uploading
        /// Backing off after a transient failure, until the instant.
        case waiting(until: C.Instant)
        /// Nothing more to do now: everything sent, or the deadline reached (`deadlineReached`).
        case finished
        /// Stopped by a failure that waiting does not mend (TLS, an unauthenticated answer, a refusal).
        case failed(code: String)
    }

    /// What the driver does next.
    public enum Action: Sendable {
        /// Probe the central; then `probed()` or `failed(_:now:)`.
        case probe
        /// Upload one batch; then `uploaded(batch:now:)` or `failed(_:now:)`.
        case uploadBatch
        /// Sleep until the instant (`delay` seconds, for the progress event); then `woke(now:)`.
        case wait(until: C.Instant, delay: Double, code: String)
        /// Stop: done, or the deadline is reached.
        case finish
        /// Stop and report this error.
        case fail(CentralClient.CallError)
    }

    /// Where the cycle is.
    public private(set) var phase: Phase = .ready
    /// When the cycle must stop trying.
    public let deadline: C.Instant
    /// Consecutive failures and the delays between them.
    public private(set) var retries: RetrySchedule
    /// Retries after transient failures so far.
    public private(set) var retryCount = 0
    /// The last transient failure (reported with `uplink.deadline` if rows remain).
    public private(set) var lastFailure: CentralError?
    /// The deadline stopped the cycle (rather than "nothing left").
    public private(set) var deadlineReached = false
    /// Batches finished so far.
    public private(set) var batches = 0
    /// When the attempt (probe or batch) that first failed transiently was started, since the last attempt that
    /// went through: how long the central has not taken anything (`stalledFor(now:)`). Nil while attempts go
    /// through; a stall line reads it, nothing decides by it.
    public private(set) var stalledSince: C.Instant?
    /// When the attempt under way (the last probe or batch handed out) started.
    private var attemptStarted: C.Instant?

    /// A cycle that must stop by `deadline`.
    public init(deadline: C.Instant, backoff: Backoff) {
        self.deadline = deadline
        retries = RetrySchedule(backoff: backoff)
    }

    /// The cycle starts.
    public mutating func start(now: C.Instant) -> Action { next(now: now) }

    /// The central answered the probe.
    public mutating func probed(now: C.Instant) -> Action {
        stalledSince = nil
        guard now < deadline else { return finish(deadline: true) }
        phase = .uploading
        attemptStarted = now
        return .uploadBatch
    }

    /// A batch went through (`finished`: offered and answered; false: nothing or not yet enough to send).
    public mutating func uploaded(batch finished: Bool, sentSomething: Bool, now: C.Instant) -> Action {
        stalledSince = nil
        guard sentSomething else { return finish(deadline: false) }
        if finished { batches += 1 }
        retries.succeeded()
        return next(now: now)
    }

    /// A call failed.
    public mutating func failed(
        _ error: CentralClient.CallError, now: C.Instant, using random: inout some RandomNumberGenerator
    ) -> Action {
        guard error.isTransient else {
            phase = .failed(code: error.error.code.rawValue)
            return .fail(error)
        }
        lastFailure = error.error
        if stalledSince == nil { stalledSince = attemptStarted ?? now }
        guard let delay = retries.failed(retryAfter: error.retryAfter, using: &random) else {
            return finish(deadline: true)
        }
        retryCount += 1
        let until = now.advanced(by: .milliseconds(Int64((delay * 1000).rounded())))
        guard until < deadline else { return finish(deadline: true) }
        phase = .waiting(until: until)
        return .wait(until: until, delay: delay, code: error.error.code.rawValue)
    }

    /// The wait ended.
    public mutating func woke(now: C.Instant) -> Action { next(now: now) }

    /// Seconds from `stalledSince` to `now` (nil: not stalled).
    public func stalledFor(now: C.Instant) -> Double? {
        stalledSince.map { $0.duration(to: now) / .seconds(1) }
    }

    /// Probe before the first batch and after a failure; otherwise straight to the next batch.
    private mutating func next(now: C.Instant) -> Action {
        guard now < deadline else { return finish(deadline: true) }
        attemptStarted = now
        if batches == 0 || retries.failures > 0 {
            phase = .probing
            return .probe
        }
        phase = .uploading
        return .uploadBatch
    }

    private mutating func finish(deadline reached: Bool) -> Action {
        deadlineReached = reached
        phase = .finished
        return .finish
    }
}
