import Foundation
import Messages
import Testing

@testable import Biometrics

/// Every attempt of a capture reaches the station's observer as soon as it is decided, before the capture returns
/// (what the daemon publishes as `capture.attempt`), and the advice codes have names in the catalog's vocabulary.
@Suite struct CaptureAttemptTests {
    final class Seen: @unchecked Sendable {
        private let lock = NSLock()
        private var attempts: [CaptureAttempt] = []
        func add(_ attempt: CaptureAttempt) { lock.withLock { attempts.append(attempt) } }
        var all: [CaptureAttempt] { lock.withLock { attempts } }
    }

    @Test func everyAttemptIsReportedBeforeTheCaptureReturns() async throws {
        let seen = Seen()
        let station = try FingerprintStation(
            configuration: BiometricsConfiguration(
                simulator: [.partial, .good], useUSB: false, policy: CapturePolicy(threshold: 50, maxAttempts: 3)),
            attempts: { seen.add($0) })
        let started = Date()
        let pending = try await station.beginCapture(for: ClaimOwner(session: "s-1"), finger: .leftIndex)
        // Reported while the flow ran: nothing is added once it has returned.
        let reported = seen.all
        #expect(reported.map(\.attempt) == [1, 2])
        #expect(reported.map(\.accepted) == [false, true])
        #expect(reported.allSatisfy { $0.session == "s-1" && $0.finger == .leftIndex })
        #expect(reported[0].advice.contains(.moveToCentre) && reported[0].quality < 50)
        #expect(reported[1].advice.isEmpty && reported[1].quality == pending.outcome.quality.score)
        #expect(reported.allSatisfy { $0.decidedAt >= started && $0.decidedAt <= Date() })
        _ = try await pending.record()
        #expect(seen.all.count == 2)
    }

    @Test func adviceVocabularyNamesEveryCode() {
        #expect(Set(Term.advice.values) == Set(CaptureAdvice.allCases.map(\.rawValue)))
        for advice in CaptureAdvice.allCases {
            #expect(Term.advice.name(advice.rawValue, .vietnamese) == advice.vietnamese)
            #expect(Term.advice.name(advice.rawValue, .english) == advice.english)
        }
        #expect(Term.finger.name("2", .vietnamese) == "ngón trỏ tay phải")
        #expect(Term.finger.name("7", .english) == "left index finger")
    }
}
