import Foundation

/// A capture flow's outcome whose record is still being encoded on the record-encoding thread.
public struct PipelinedCaptureOutcome: Sendable {
    /// The flow's outcome: image, quality, attempts, advice. Available before the record.
    public var outcome: CaptureOutcome
    /// When the outcome's image was assessed (the record's capture date).
    public var captureDate: Date
    /// The record bytes being encoded; await `encoding.value()` where they are needed.
    public var encoding: PendingRecordEncoding
}

extension CaptureFlow {
    /// Runs the flow and encodes the outcome's record off the critical path: as soon as an attempt is decided final
    /// (accepted, or the best of the last attempt) its record is queued on `queue`, so the JPEG 2000 + ISO
    /// encoding overlaps the finger-removal wait and whatever the caller does next. When the flow ends another way
    /// (the person did not press again), the best image is queued when the flow returns. An encoding failure is
    /// thrown where `encoding.value()` is awaited.
    public func runPipelined(
        on scanner: any FingerprintScanner, finger: FingerPositionCode,
        encoder: any CaptureRecordEncoder, queue: RecordEncodingQueue,
        advise: @Sendable ([CaptureAdvice]) -> Void = { _ in },
        decided: @Sendable (CaptureDecision) -> Void = { _ in }
    )
        async throws -> PipelinedCaptureOutcome
    {
        let started = StartedEncoding()
        let outcome = try await run(on: scanner, advise: advise) { decision in
            let date = Date()
            if decision.isBest { started.bestAttempt = decision.attempt }
            if decision.isFinal {
                let (image, score) = (decision.image, decision.quality.score)
                started.job = (
                    decision.attempt, date,
                    queue.submit {
                        try encoder.encode(image, finger: finger, quality: score, captureDate: date)
                    }
                )
            }
            decided(decision)
        }
        if let (attempt, date, encoding) = started.job, attempt == started.bestAttempt {
            return PipelinedCaptureOutcome(outcome: outcome, captureDate: date, encoding: encoding)
        }
        let (image, score, date) = (outcome.image, outcome.quality.score, Date())
        let encoding = queue.submit { try encoder.encode(image, finger: finger, quality: score, captureDate: date) }
        return PipelinedCaptureOutcome(outcome: outcome, captureDate: date, encoding: encoding)
    }
}

/// What the decision hook started (the hook runs synchronously inside the flow's task; the lock is for the compiler).
private final class StartedEncoding: @unchecked Sendable {
    private let lock = NSLock()
    private var _job: (Int, Date, PendingRecordEncoding)?
    private var _best = 0
    var job: (Int, Date, PendingRecordEncoding)? {
        get { lock.withLock { _job } }
        set { lock.withLock { _job = newValue } }
    }
    var bestAttempt: Int {
        get { lock.withLock { _best } }
        set { lock.withLock { _best = newValue } }
    }
}
