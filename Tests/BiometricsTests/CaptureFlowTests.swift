import Foundation
import Testing

@testable import Biometrics

@Suite struct CaptureFlowTests {
    @Test func retriesWithAdviceUntilThreshold() async throws {
        let scanner = SimulatedScanner(script: [.partial, .smudged, .good])
        try await scanner.open()
        let collected = AdviceLog()
        let outcome = try await CaptureFlow(policy: CapturePolicy(threshold: 50, maxAttempts: 4))
            .run(on: scanner) { collected.add($0) }
        #expect(outcome.meetsThreshold)
        #expect(outcome.attempts == 3)
        #expect(outcome.quality.score >= 50)
        #expect(outcome.adviceGiven.count == 2)
        #expect(outcome.adviceGiven[0].contains(.moveToCentre))  // the partial print sits in a corner
        #expect(collected.all.count == 2)
    }

    @Test func blankOnlyIsRefused() async throws {
        let scanner = SimulatedScanner(fallback: .blank)
        try await scanner.open()
        await #expect {
            _ = try await CaptureFlow(policy: CapturePolicy(threshold: 50, maxAttempts: 2)).run(on: scanner)
        } throws: { ($0 as? BiometricError)?.code == .qualityTooLow }
    }

    @Test func bestAttemptReturnedWhenThresholdNeverMet() async throws {
        let scanner = SimulatedScanner(script: [.partial, .smudged])
        try await scanner.open()
        let outcome = try await CaptureFlow(policy: CapturePolicy(threshold: 95, maxAttempts: 2)).run(on: scanner)
        #expect(!outcome.meetsThreshold)
        #expect(outcome.attempts == 2)
        #expect(outcome.quality.score == QualityTests.report(.smudged, seed: 2).score)  // smudged beat partial
    }

    @Test func personWhoDoesNotPressAgainKeepsTheBestImage() async throws {
        let scanner = SimulatedScanner(script: [.smudged, .good])
        try await scanner.open()
        // After the first (rejected) attempt nobody presses again: the next wait times out.
        let outcome = try await CaptureFlow(policy: CapturePolicy(threshold: 95, maxAttempts: 3))
            .run(on: scanner) { _ in scanner.inject(.timeout) }
        #expect(!outcome.meetsThreshold)
        #expect(outcome.attempts == 1)
        #expect(outcome.adviceGiven.count == 1)
        #expect(outcome.quality.score == QualityTests.report(.smudged, seed: 1).score)
    }

    @Test func deviceLostAfterAnAttemptStillFails() async throws {
        let scanner = SimulatedScanner(script: [.smudged, .good])
        try await scanner.open()
        await #expect {
            _ = try await CaptureFlow(policy: CapturePolicy(threshold: 95, maxAttempts: 3))
                .run(on: scanner) { _ in scanner.inject(.unplug) }
        } throws: { ($0 as? BiometricError)?.code == .deviceLost }
    }

    /// The finger stays on the sensor after a good image: the image stands (it was complete when its last byte
    /// arrived), the outcome says the lift was not seen.
    @Test func fingerLeftOnAfterAGoodImageKeepsTheImage() async throws {
        let scanner = SimulatedScanner(script: [.good])
        try await scanner.open()
        scanner.inject(.fingerStays)
        let outcome = try await CaptureFlow(policy: CapturePolicy(threshold: 50, removalTimeout: .milliseconds(100)))
            .run(on: scanner)
        #expect(outcome.meetsThreshold && outcome.attempts == 1)
        #expect(!outcome.fingerLifted)
        #expect(outcome.image.pixels == SyntheticFingerprint().generate(.good, seed: 1).pixels)
    }

    /// A retry after a finger that stayed first waits for the lift (advising it), then takes a new press.
    @Test func retryWaitsForTheLiftBeforeTheNextPress() async throws {
        let scanner = SimulatedScanner(script: [.smudged, .good])
        try await scanner.open()
        scanner.inject(.fingerStays)  // the first removal wait times out, the second one sees the lift
        let collected = AdviceLog()
        let outcome = try await CaptureFlow(policy: CapturePolicy(threshold: 50, removalTimeout: .milliseconds(100)))
            .run(on: scanner) { collected.add($0) }
        #expect(outcome.meetsThreshold && outcome.attempts == 2 && outcome.fingerLifted)
        #expect(collected.all.contains([.liftFinger]))
        #expect(collected.all.count == 2)  // the quality advice of attempt 1, then "lift your finger"
        #expect(outcome.adviceGiven.count == 1)
    }

    /// The finger never lifts: no second press is taken (it would be the same press scored twice); the best image
    /// so far is returned.
    @Test func fingerNeverLiftedEndsWithTheBestImage() async throws {
        let scanner = SimulatedScanner(script: [.smudged, .good])
        try await scanner.open()
        scanner.inject(.fingerStays)
        let outcome = try await CaptureFlow(
            policy: CapturePolicy(
                threshold: 95, maxAttempts: 3,
                removalTimeout: .milliseconds(100))
        )
        .run(on: scanner) { _ in scanner.inject(.fingerStays) }
        #expect(outcome.attempts == 1 && !outcome.meetsThreshold && !outcome.fingerLifted)
        #expect(outcome.quality.score == QualityTests.report(.smudged, seed: 1).score)
    }

    /// Whole chain: simulated capture → ISO 2011 record with JPEG 2000 → hash chain.
    @Test func captureToChainedRecord() async throws {
        let scanner = SimulatedScanner(script: [.good])
        try await scanner.open()
        let outcome = try await CaptureFlow().run(on: scanner)
        let record = try RecordBuilder.record(for: outcome.image, finger: .rightIndex, quality: outcome.quality.score)
        let bytes = try record.encoded()
        var chain = CaptureChain()
        let capture = chain.append(
            isoRecord: bytes, deviceID: scanner.deviceID, finger: .rightIndex,
            quality: outcome.quality.score)
        #expect(capture.previousHash == CaptureChain.anchor)
        #expect(try FingerImageRecord(decoding: capture.isoRecord).image().pixels == outcome.image.pixels)
        #expect(capture.timestampISO8601.hasSuffix("Z"))
    }
}

final class AdviceLog: @unchecked Sendable {
    private let lock = NSLock()
    private var items: [[CaptureAdvice]] = []
    func add(_ advice: [CaptureAdvice]) { lock.withLock { items.append(advice) } }
    var all: [[CaptureAdvice]] { lock.withLock { items } }
}
