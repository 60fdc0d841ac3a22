import Foundation

/// When a capture is good enough and how often to try.
public struct CapturePolicy: Sendable, Hashable {
    /// Minimum quality score (0–100) accepted at once.
    public var threshold: Int
    /// Attempts before giving up and returning the best one.
    public var maxAttempts: Int
    /// How long to wait for a finger each attempt.
    public var fingerTimeout: Duration
    /// How long to wait for the finger to be lifted.
    public var removalTimeout: Duration

    /// Builds a policy.
    public init(
        threshold: Int = 50, maxAttempts: Int = 3, fingerTimeout: Duration = .seconds(30),
        removalTimeout: Duration = .seconds(10)
    ) {
        self.threshold = threshold
        self.maxAttempts = maxAttempts
        self.fingerTimeout = fingerTimeout
        self.removalTimeout = removalTimeout
    }
}

/// The outcome of a capture flow.
public struct CaptureOutcome: Sendable {
    /// The best image obtained.
    public var image: FingerprintImage
    /// Its quality.
    public var quality: QualityReport
    /// Attempts made.
    public var attempts: Int
    /// Whether the best image reached the threshold.
    public var meetsThreshold: Bool
    /// Advice given after each rejected attempt, in order.
    public var adviceGiven: [[CaptureAdvice]]
    /// Whether the finger was seen lifted after the last image. `false`: it stayed on the sensor past the removal
    /// timeout (or the device stopped reporting); the image is still valid, but the next press must wait for a lift.
    public var fingerLifted: Bool = true
}

/// One attempt as soon as its quality is known (before the finger-removal wait).
public struct CaptureDecision: Sendable {
    /// Attempt number, from 1.
    public var attempt: Int
    /// The image.
    public var image: FingerprintImage
    /// Its quality.
    public var quality: QualityReport
    /// The flow accepts this image and ends with it (unless the device is lost during the removal wait).
    public var accepted: Bool
    /// The image scores above every earlier attempt (it is the flow's best so far).
    public var isBest: Bool
    /// No attempt follows this one.
    public var isLastAttempt: Bool
    /// Advice for the next attempt (empty when accepted).
    public var advice: [CaptureAdvice]

    /// Whether the flow's outcome will be this image (barring a lost device): accepted, or the best image of the
    /// last attempt (a non-blank one).
    public var isFinal: Bool { accepted || (isLastAttempt && isBest && !quality.isBlank) }
}

/// Press–assess–retry: captures until the quality threshold is met or the attempts run out; a blank or uniform
/// best image is refused outright.
///
/// Each image is scored as soon as it arrives, before the removal wait, and handed to `decided` with the
/// accept/retry decision; `runPipelined` starts the record's encoding there, so it overlaps the lift.
///
/// Finger removal: after each image the flow waits (up to `removalTimeout`) for the finger to be lifted, as the
/// UI needs the finger-off event. A removal wait that times out does not undo the capture: the frame is complete
/// when the last image byte arrives, as in libfprint, where a capture completes with the image and finger-off
/// matters only before the next scan. What the lift protects is the *next* attempt: a retry first waits for the
/// lift again, so one press is never scored twice; if the finger still stays, the flow ends with the best image
/// so far. A lost device still fails the capture.
public struct CaptureFlow: Sendable {
    /// The policy.
    public var policy: CapturePolicy
    /// The assessor.
    public var assessor: QualityAssessor

    /// Builds a flow.
    public init(policy: CapturePolicy = CapturePolicy(), assessor: QualityAssessor = QualityAssessor()) {
        self.policy = policy
        self.assessor = assessor
    }

    /// Runs the flow on an open scanner. `advise` is called after every rejected attempt (show it to the person).
    /// `decided` is called for every attempt as soon as its quality is known, before the finger-removal wait: the
    /// image and the accept/retry decision are available there, so work on an accepted image (its record) can start
    /// while the person lifts the finger.
    public func run(
        on scanner: any FingerprintScanner,
        advise: @Sendable ([CaptureAdvice]) -> Void = { _ in },
        decided: @Sendable (CaptureDecision) -> Void = { _ in }
    ) async throws -> CaptureOutcome {
        var best: (FingerprintImage, QualityReport)?
        var adviceGiven: [[CaptureAdvice]] = []
        var attempts = 0
        var lifted = true
        let lastAttempt = max(1, policy.maxAttempts)
        for attempt in 1...lastAttempt {
            try Task.checkCancellation()
            if !lifted {
                // The last attempt's finger is still down: a new press must start with a lift.
                advise([.liftFinger])
                lifted = try await liftSeen(on: scanner)
                if !lifted { break }  // never lifted: keep the best image rather than score the same press again
            }
            let image: FingerprintImage
            do {
                try await scanner.waitForFinger(timeout: policy.fingerTimeout)
                image = try await scanner.captureImage()
            } catch let error as BiometricError where error.code == .timeout && best != nil {
                // The person did not press again: keep the best image so far (below the threshold, with the
                // advice already given) rather than lose it. A lost device still fails the capture.
                break
            }
            attempts = attempt
            let report = assessor.assess(image)
            let isBest = best == nil || report.score > best!.1.score
            if isBest { best = (image, report) }
            let accepted = report.score >= policy.threshold && !report.isBlank
            let advice = accepted ? [] : (report.advice.isEmpty ? [CaptureAdvice.keepStill] : report.advice)
            decided(
                CaptureDecision(
                    attempt: attempt, image: image, quality: report, accepted: accepted,
                    isBest: isBest, isLastAttempt: attempt == lastAttempt, advice: advice))
            lifted = try await liftSeen(on: scanner)
            if accepted {
                return CaptureOutcome(
                    image: image, quality: report, attempts: attempt, meetsThreshold: true,
                    adviceGiven: adviceGiven, fingerLifted: lifted)
            }
            adviceGiven.append(advice)
            advise(advice)
        }
        guard let (image, report) = best, !report.isBlank else {
            throw BiometricError(.qualityTooLow, "no finger image in \(policy.maxAttempts) attempts (blank or uniform)")
        }
        return CaptureOutcome(
            image: image, quality: report, attempts: attempts, meetsThreshold: false,
            adviceGiven: adviceGiven, fingerLifted: lifted)
    }

    /// Waits for the finger to be lifted; `false` when the removal wait timed out (other errors propagate).
    private func liftSeen(on scanner: any FingerprintScanner) async throws -> Bool {
        do {
            try await scanner.waitForRemoval(timeout: policy.removalTimeout)
            return true
        } catch let error as BiometricError where error.code == .timeout {
            return false
        }
    }
}
