import Foundation
import StationBenchmarks
import StationTestKit
import Testing

/// A bounded slice of `station-bench intake`: the bench's own code path (the daemon, pcscd → vpcd → the simulated
/// CCCD, the simulated fingerprint module) with three measured rounds and one warm-up. Asserts the figures exist and
/// are well-formed, not how fast they are (a debug build on a shared machine).
@Suite(.serialized)
struct IntakeBenchmarkTests {
    @Test(.timeLimit(.minutes(10))) func intakeBenchSliceMeasuresTheWholeAndEachPart() async throws {
        let lease = try await LivePCSC.acquire()
        let directory = URL(fileURLWithPath: "/tmp/stationd-test-\(getpid())-intake-bench")
        defer { try? FileManager.default.removeItem(at: directory) }
        let report = try IntakeBenchmark.run(
            harness: lease.harness, directory: directory,
            options: IntakeBenchmark.Options(intakes: 3, warmUp: 1, settle: 0.02))
        print(report)
        #expect(report.authenticity == "genuine")
        #expect(report.whole.count == 3 && report.whole.allSatisfy { $0 > 0 })
        for step in IntakeBenchmark.Step.allCases {
            #expect(report.alone[step]?.count == 3, "\(step)")
            #expect(report.inWhole[step]?.count == 3, "\(step)")
            #expect(report.alone[step]?.allSatisfy { $0 > 0 } == true, "\(step)")
        }
        for part in IntakeBenchmark.Part.allCases {
            #expect(report.alone(part).count == 3 && report.alone(part).allSatisfy { $0 > 0 }, "\(part)")
        }
        // The whole is timed around its steps: never less than their sum.
        for round in 0..<3 {
            let steps = IntakeBenchmark.Step.allCases.reduce(0) { $0 + report.inWhole[$1]![round] }
            #expect(report.whole[round] >= steps)
        }
        // Two captures are two steps: more than either alone.
        #expect(
            report.alone(.captures).indices.allSatisfy { report.alone(.captures)[$0] > report.alone[.firstFinger]![$0] }
        )
        #expect(report.ratio.isFinite && report.ratio > 0)
        let text = report.description
        #expect(
            text.contains("whole intake, card read → commit ×3 (verdict genuine, portrait: 360×480 webcam JPEG): p50 "))
        for part in IntakeBenchmark.Part.allCases { #expect(text.contains("  \(part.label) ")) }
        #expect(text.contains("sum of the parts"))
        #expect(text.contains(String(format: "whole / sum of the parts: %.2f× at p50", report.ratio)))
        #expect(text.contains("(goal ≤ 1.2×: met at p50") || text.contains("(goal ≤ 1.2×: NOT met at p50"))
        #expect(text.contains(" at p90, ") && text.contains(" at p99 ("))
        #expect(!text.contains("nan"))
    }
}
