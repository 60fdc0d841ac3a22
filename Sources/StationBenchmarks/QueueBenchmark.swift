import Foundation
import Intake
import Queue
import StationTestKit

/// Figures for the queue at production scale, for `station-bench` (a benchmark, not a test).
///
/// Fills a store with `applications` applications (bulk-loaded in large transactions, states spread like a
/// campaign: most accepted or activated, some pending, held or needing attention), then measures:
/// the status summary, a filtered page (state + commune, 50 rows), and committing one application with about
/// `biometricBytes` of biometrics under `synchronous=FULL` (one fsync'd transaction each).
public enum QueueBenchmark {
    /// Results; times in milliseconds.
    public struct Report: Sendable, CustomStringConvertible {
        /// Applications in the store when measured.
        public let applications: Int
        /// Time to bulk-load the store (not a production path).
        public let fillSeconds: Double
        /// Status summary, median.
        public let summaryP50: Double
        /// Status summary, 99th percentile.
        public let summaryP99: Double
        /// Filtered page of 50, median.
        public let pageP50: Double
        /// Filtered page of 50, 99th percentile.
        public let pageP99: Double
        /// Commit of one application, median.
        public let commitP50: Double
        /// Commit of one application, 99th percentile.
        public let commitP99: Double
        /// (database + WAL) bytes after a checkpoint, divided by the number of applications.
        public let bytesPerApplication: Int
        /// Samples per measurement.
        public let samples: Int

        public var description: String {
            func f(_ value: Double) -> String { String(format: "%.2f", value) }
            return """
                queue benchmark: \(applications) applications (fill \(f(fillSeconds)) s), \(samples) samples each
                  status summary  p50 \(f(summaryP50)) ms  p99 \(f(summaryP99)) ms
                  filtered page   p50 \(f(pageP50)) ms  p99 \(f(pageP99)) ms
                  commit (FULL)   p50 \(f(commitP50)) ms  p99 \(f(commitP99)) ms
                  file size       \(bytesPerApplication) bytes per application
                """
        }
    }

    /// Runs the benchmark in `directory` (created if needed; the store is left there for inspection).
    public static func run(
        directory: String, applications: Int = 100_000, biometricBytes: Int = 30_000, samples: Int = 300
    ) throws -> Report {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let configuration = ApplicationQueue.Configuration(
            databasePath: directory + "/bench.sqlite", keyFilePath: directory + "/bench.key",
            minimumFreeBytes: 256 << 20)
        let queue = try ApplicationQueue(configuration: configuration)
        let communes = (0..<40).map { String(format: "%05d", 10_000 + $0 * 7) }
        // The kit's sample application (two ~half-`biometricBytes` records, a ~12 KB live portrait); every copy gets
        // its own ID number below.
        let template = SampleApplications.application(
            for: SampleApplications.citizens(1)[0], biometricBytes: biometricBytes)

        let fillStart = Date()
        var remaining = applications - (try queue.summary().total)
        while remaining > 0 {
            let count = min(remaining, 2_000)
            try queue.bulkLoad(template: template, count: count, communes: communes, idNumber: randomCitizen)
            remaining -= count
        }
        let fillSeconds = Date().timeIntervalSince(fillStart)
        try queue.checkpoint()

        func measure(_ body: (Int) throws -> Void) rethrows -> [Double] {
            var times: [Double] = []
            for i in 0..<samples {
                let start = DispatchTime.now().uptimeNanoseconds
                try body(i)
                times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6)
            }
            return times.sorted()
        }
        let summary = try measure { _ in _ = try queue.summary() }
        let states: [LocalState] = [.ready, .held, .needsAttention, .uploaded, .captured]
        let page = try measure { i in
            _ = try queue.list(
                QueueFilter(localStates: [states[i % states.count]], communeCode: communes[i % communes.count]),
                limit: 50)
        }
        let commit = try measure { _ in
            var application = template
            application.id = ApplicationID()
            application.identity.idNumber = randomCitizen()
            application.capturedAt = Date()
            try queue.commit(application, by: .system)
        }
        try queue.checkpoint()
        let total = try queue.summary().total
        let size = fileSize(configuration.databasePath) + fileSize(configuration.databasePath + "-wal")
        func p(_ sorted: [Double], _ q: Double) -> Double {
            sorted[min(sorted.count - 1, Int(Double(sorted.count) * q))]
        }
        return Report(
            applications: total, fillSeconds: fillSeconds, summaryP50: p(summary, 0.5), summaryP99: p(summary, 0.99),
            pageP50: p(page, 0.5), pageP99: p(page, 0.99), commitP50: p(commit, 0.5), commitP99: p(commit, 0.99),
            bytesPerApplication: Int(size / Int64(max(total, 1))), samples: samples)
    }

    static func fileSize(_ path: String) -> Int64 {
        ((try? FileManager.default.attributesOfItem(atPath: path)[.size]) as? NSNumber)?.int64Value ?? 0
    }

    static func randomCitizen() -> CitizenID {
        var generator = SystemRandomNumberGenerator()
        return CitizenID(String(format: "%012llu", generator.next(upperBound: UInt64(999_999_999_999))))!
    }
}
