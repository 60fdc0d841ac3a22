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
        #expect(outcome.adviceGiven[0].contains(.moveToCentre)) // the partial print sits in a corner
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
        #expect(outcome.quality.score == QualityTests.report(.smudged, seed: 2).score) // smudged beat partial
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

    /// Whole chain: simulated capture → ISO 2011 record with JPEG 2000 → hash chain.
    @Test func captureToChainedRecord() async throws {
        let scanner = SimulatedScanner(script: [.good])
        try await scanner.open()
        let outcome = try await CaptureFlow().run(on: scanner)
        let record = try RecordBuilder.record(for: outcome.image, finger: .rightIndex, quality: outcome.quality.score)
        let bytes = try record.encoded()
        var chain = CaptureChain()
        let capture = chain.append(isoRecord: bytes, deviceID: scanner.deviceID, finger: .rightIndex,
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
