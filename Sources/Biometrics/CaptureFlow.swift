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
    public init(threshold: Int = 50, maxAttempts: Int = 3, fingerTimeout: Duration = .seconds(30),
                removalTimeout: Duration = .seconds(10)) {
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
}

/// Press–assess–retry: captures until the quality threshold is met or the attempts run out; a blank or uniform
/// best image is refused outright.
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
    public func run(on scanner: any FingerprintScanner,
                    advise: @Sendable ([CaptureAdvice]) -> Void = { _ in }) async throws -> CaptureOutcome {
        var best: (FingerprintImage, QualityReport)?
        var adviceGiven: [[CaptureAdvice]] = []
        var attempts = 0
        for attempt in 1...max(1, policy.maxAttempts) {
            try Task.checkCancellation()
            let image: FingerprintImage
            do {
                image = try await scanner.captureOnce(fingerTimeout: policy.fingerTimeout,
                                                      removalTimeout: policy.removalTimeout)
            } catch let error as BiometricError where error.code == .timeout && best != nil {
                // The person did not press again: keep the best image so far (below the threshold, with the
                // advice already given) rather than lose it. A lost device still fails the capture.
                break
            }
            attempts = attempt
            let report = assessor.assess(image)
            if best == nil || report.score > best!.1.score { best = (image, report) }
            if report.score >= policy.threshold && !report.isBlank {
                return CaptureOutcome(image: image, quality: report, attempts: attempt, meetsThreshold: true,
                                      adviceGiven: adviceGiven)
            }
            let advice = report.advice.isEmpty ? [CaptureAdvice.keepStill] : report.advice
            adviceGiven.append(advice)
            advise(advice)
        }
        guard let (image, report) = best, !report.isBlank else {
            throw BiometricError(.qualityTooLow, "no finger image in \(policy.maxAttempts) attempts (blank or uniform)")
        }
        return CaptureOutcome(image: image, quality: report, attempts: attempts, meetsThreshold: false,
                              adviceGiven: adviceGiven)
    }
}
