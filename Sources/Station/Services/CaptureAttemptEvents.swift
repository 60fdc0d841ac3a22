import Biometrics
import ControlAPI
import Foundation

extension StationEvent {
    /// The `capture.attempt` event of one decided attempt: the session, the finger's position, the attempt, its
    /// quality, accepted or not, and the advice codes. No image, nothing personal.
    init(_ attempt: CaptureAttempt) {
        self = .captureAttempt(
            session: attempt.session, finger: Int(attempt.finger.rawValue), attempt: attempt.attempt,
            quality: attempt.quality, accepted: attempt.accepted, advice: attempt.advice.map(\.rawValue),
            decidedAt: attempt.decidedAt)
    }
}

extension EventHub {
    /// What the fingerprint station calls for every decided attempt (`FingerprintStation(attempts:)`): the attempt
    /// published as `capture.attempt` at once, so the officer sees the quality and the advice while the capture's
    /// request is still running.
    var captureAttempts: @Sendable (CaptureAttempt) -> Void {
        { [self] attempt in publish(StationEvent(attempt)) }
    }
}
