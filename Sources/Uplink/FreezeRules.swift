import Foundation
import Messages
import Queue

#if canImport(Glibc)
    import Glibc
#endif

/// Offline freeze rules (configuration): past these limits the station refuses NEW intakes, naming the rule and
/// what to do; uploads and exports keep working so the station can get back under the limits.
public struct FreezeRules: Sendable, Hashable, Codable {
    /// Most days since the last successful sync with the central (or since first start, if never).
    public var maxDaysWithoutSync: Double
    /// Most applications not yet uploaded nor exported (captured, ready, batched, held, needsAttention).
    public var maxPendingApplications: Int
    /// Least free bytes on the store's file system.
    public var minFreeBytes: Int64

    /// Creates rules (defaults: 7 days, 2 000 applications, 512 MiB).
    public init(maxDaysWithoutSync: Double = 7, maxPendingApplications: Int = 2_000, minFreeBytes: Int64 = 512 << 20) {
        self.maxDaysWithoutSync = maxDaysWithoutSync
        self.maxPendingApplications = maxPendingApplications
        self.minFreeBytes = minFreeBytes
    }

    /// What the evaluator looks at.
    public struct Inputs: Sendable, Hashable {
        /// The last successful sync (upload or status sync), or the station's first start.
        public var lastSync: Date
        /// Now.
        public var now: Date
        /// Applications not yet uploaded nor exported.
        public var pendingApplications: Int
        /// Free bytes on the store's file system.
        public var freeBytes: Int64
        /// Creates inputs.
        public init(lastSync: Date, now: Date, pendingApplications: Int, freeBytes: Int64) {
            self.lastSync = lastSync
            self.now = now
            self.pendingApplications = pendingApplications
            self.freeBytes = freeBytes
        }
    }

    /// A broken rule, with the message for the operator (message catalog, the code is the key).
    public struct Violation: Sendable, Hashable, CustomStringConvertible {
        /// Stable rule code: `freeze.no_sync`, `freeze.too_many_pending`, `freeze.low_disk`.
        public let code: String
        /// The operator message and its figures.
        public let operatorMessage: Message
        /// The operator message in `language`.
        public func message(_ language: Language) -> String { operatorMessage.text(language) }
        public var description: String { "\(code): \(message(.english))" }
    }

    /// The broken rules (empty: intake allowed). Boundaries: exactly `maxDaysWithoutSync` days is still allowed;
    /// a new intake is refused when it would make the pending count exceed the limit; free space exactly at the
    /// minimum is allowed.
    public func evaluate(_ inputs: Inputs) -> [Violation] {
        var violations: [Violation] = []
        let days = inputs.now.timeIntervalSince(inputs.lastSync) / 86_400
        if days > maxDaysWithoutSync {
            let arguments = ["days": String(format: "%.1f", days), "limit": formatted(maxDaysWithoutSync)]
            violations.append(
                Violation(code: "freeze.no_sync", operatorMessage: Message(.freezeNoSync, arguments)))
        }
        if inputs.pendingApplications + 1 > maxPendingApplications {
            let arguments = ["count": "\(inputs.pendingApplications)", "limit": "\(maxPendingApplications)"]
            violations.append(
                Violation(code: "freeze.too_many_pending", operatorMessage: Message(.freezeTooManyPending, arguments)))
        }
        if inputs.freeBytes < minFreeBytes {
            let arguments = ["free": "\(inputs.freeBytes >> 20)", "minimum": "\(minFreeBytes >> 20)"]
            violations.append(
                Violation(code: "freeze.low_disk", operatorMessage: Message(.freezeLowDisk, arguments)))
        }
        return violations
    }

    private func formatted(_ value: Double) -> String { String(format: "%g", value) }
}

extension FreezeRules.Inputs {
    /// Gathers the inputs for a station: pending counts from the queue, the last sync from the uploader's state
    /// folder, free space of `storeDirectory`'s file system.
    public static func gather(
        pendingApplications: Int, stateDirectory: String, storeDirectory: String, now: Date = Date()
    ) -> FreezeRules.Inputs {
        var info = statvfs()
        let free = statvfs(storeDirectory, &info) == 0 ? Int64(info.f_bavail) * Int64(info.f_frsize) : Int64.max
        return FreezeRules.Inputs(
            lastSync: SyncRecord(directory: stateDirectory).lastSync(), now: now,
            pendingApplications: pendingApplications, freeBytes: free)
    }
}

extension FreezeRules {
    /// Local states that count as "not yet uploaded nor exported".
    public static let pendingStates: [LocalState] = [.captured, .ready, .batched, .held, .needsAttention]

    /// Pending applications in a queue summary.
    public static func pending(in summary: StatusSummary) -> Int {
        pendingStates.reduce(0) { $0 + summary.count($1) }
    }
}
