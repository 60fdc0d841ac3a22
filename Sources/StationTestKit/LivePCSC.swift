import Foundation

/// The one private pcscd a test process shares.
///
/// libpcsclite reads the socket path once per process, so every live test in the process (whatever its test
/// target) talks to the same pcscd. A test takes a `Lease` for its whole run: leases are handed out one at a time,
/// in order, so a test that restarts pcscd or pulls a card never disturbs another.
///
/// A test's time limit counts its wait for the lease: the whole suite's live tests queue for the one reader (about
/// 450 s of live tests on 2 cores), so live tests take `.timeLimit(.minutes(10))`, a guard against a hang, not a
/// budget for their own work (a 4-minute limit ran out in the queue once the suite gained four live tests).
public enum LivePCSC {
    private static let started: Result<PCSCHarness, Error> = Result {
        try PCSCHarness(directory: packageRoot.appendingPathComponent(".build/station-harness/\(getpid())"))
    }
    private static let mutex = FIFOMutex()

    /// The package's root folder (from this file's compile-time path).
    public static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    /// Exclusive use of the harness until the lease is released (dropped).
    public final class Lease: Sendable {
        /// The harness.
        public let harness: PCSCHarness
        init(harness: PCSCHarness) { self.harness = harness }
        deinit { LivePCSC.mutex.unlock() }
    }

    /// Waits for exclusive use of the harness, starting it on first use.
    public static func acquire() async throws -> Lease {
        let harness = try started.get()
        await mutex.lock()
        return Lease(harness: harness)
    }
}

/// An async mutex that hands the lock to waiters in arrival order and can be released synchronously (from a deinit).
final class FIFOMutex: @unchecked Sendable {
    private let lock = NSLock()
    private var locked = false
    private var waiters: [CheckedContinuation<Void, Never>] = []

    func lock() async {
        await withCheckedContinuation { continuation in
            let acquired = lock.withLock { () -> Bool in
                if locked {
                    waiters.append(continuation)
                    return false
                }
                locked = true
                return true
            }
            if acquired { continuation.resume() }
        }
    }

    func unlock() {
        let next = lock.withLock { () -> CheckedContinuation<Void, Never>? in
            if waiters.isEmpty {
                locked = false
                return nil
            }
            return waiters.removeFirst()
        }
        next?.resume()
    }
}
