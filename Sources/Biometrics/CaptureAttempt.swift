import Foundation

/// One attempt of a capture as the station reports it while the capture goes on: whose session, which finger, the
/// attempt's number, its quality, whether it was accepted, and the advice for the next press. No image and nothing
/// personal: what the officer's screen (and `stationctl watch`) shows live, before the capture's answer.
public struct CaptureAttempt: Sendable, Hashable {
    /// The session holding the scanner's claim (the intake session's id).
    public var session: String
    /// The finger being captured.
    public var finger: FingerPositionCode
    /// Attempt number, from 1.
    public var attempt: Int
    /// Quality 0–100.
    public var quality: Int
    /// The flow accepts this image and ends with it.
    public var accepted: Bool
    /// Advice for the next press (empty when accepted).
    public var advice: [CaptureAdvice]
    /// When the attempt was decided (its quality known, before the finger-removal wait).
    public var decidedAt: Date

    /// Builds a value.
    public init(
        session: String, finger: FingerPositionCode, attempt: Int, quality: Int, accepted: Bool,
        advice: [CaptureAdvice], decidedAt: Date
    ) {
        self.session = session
        self.finger = finger
        self.attempt = attempt
        self.quality = quality
        self.accepted = accepted
        self.advice = advice
        self.decidedAt = decidedAt
    }

    /// The attempt of `decision`, for `session` and `finger`, decided at `date`.
    public init(_ decision: CaptureDecision, session: String, finger: FingerPositionCode, at date: Date = Date()) {
        self.init(
            session: session, finger: finger, attempt: decision.attempt, quality: decision.quality.score,
            accepted: decision.accepted, advice: decision.advice, decidedAt: date)
    }
}
