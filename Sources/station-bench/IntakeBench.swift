import Foundation
import StationBenchmarks
import StationTestKit

/// `station-bench intake`: issue 19's machine time of one intake, card read → commit with no human waits, through
/// the daemon with pcscd → vpcd → the simulated CCCD and the simulated fingerprint module, against the sum of its
/// parts (card read, two captures, validation, commit) each measured alone in the same run on the same daemon
/// (goal: whole ≤ 1.2× the sum). What "alone" means is `IntakeBenchmark`'s doc comment. `--portrait phone` sends a
/// phone's 12 MP photo instead of the console's webcam shot (the portrait is not among the parts).
enum IntakeBench {
    static func run(intakes: Int, portrait: IntakeBenchmark.Portrait) async throws {
        say(
            "== Intake: \(intakes) intakes card read → commit through stationd (pcscd → vpcd → simulated CCCD, "
                + "simulated fingerprint module, no human waits), each beside its parts measured alone "
                + "(goal: whole ≤ 1.2× the sum of the parts)")
        let directory = LivePCSC.packageRoot.appendingPathComponent(".build/station-bench/intake-\(getpid())")
        defer { try? FileManager.default.removeItem(at: directory) }
        let lease = try await LivePCSC.acquire()  // one pcscd per process: libpcsclite reads its socket path once
        let report = try IntakeBenchmark.run(
            harness: lease.harness, directory: directory,
            options: IntakeBenchmark.Options(intakes: intakes, portrait: portrait))
        say(report.description)
    }
}
