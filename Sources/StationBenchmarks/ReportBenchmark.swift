import Foundation
import Intake
import Queue

/// The daily report's cost over a large store: the queue benchmark's bulk load (states spread, 60 days of
/// captures, 40 communes), a survey for every commune dated 60 days back, then the seed table and a phase's
/// activation count, timed.
public enum ReportBenchmark {
    /// Timings in milliseconds.
    public struct Report: Sendable, CustomStringConvertible {
        /// Applications in the store.
        public let applications: Int
        /// Seed table p50 / p99.
        public let seedTableP50: Double
        /// Seed table p99.
        public let seedTableP99: Double
        /// Commune report (intake counts, one day) p99.
        public let communeReportP99: Double
        /// Activations over a 60-day phase p99.
        public let phaseP99: Double
        /// The breakdowns (bundle, priority group, point, rejections, on hold, refusals) of one day, p99.
        public let breakdownsDayP99: Double
        /// The same over the 60 days (a campaign report's), p99.
        public let breakdownsCampaignP99: Double
        /// Samples per figure.
        public let samples: Int

        public var description: String {
            func f(_ value: Double) -> String { String(format: "%.2f", value) }
            return "report over \(applications) applications (\(samples) samples): seed table p50 \(f(seedTableP50)) "
                + "ms p99 \(f(seedTableP99)) ms; intake counts p99 \(f(communeReportP99)) ms; phase activations p99 "
                + "\(f(phaseP99)) ms; breakdowns p99 \(f(breakdownsDayP99)) ms (one day), "
                + "\(f(breakdownsCampaignP99)) ms (60 days)"
        }
    }

    /// Runs in `directory` (the store is filled by `QueueBenchmark.run` first, with small biometrics).
    public static func run(directory: String, applications: Int = 100_000, samples: Int = 50) throws -> Report {
        _ = try QueueBenchmark.run(
            directory: directory, applications: applications, biometricBytes: 1_000, samples: 5)
        let queue = try ApplicationQueue(
            configuration: .init(
                databasePath: directory + "/bench.sqlite", keyFilePath: directory + "/bench.key",
                minimumFreeBytes: 256 << 20))
        let today = CalendarDate(vietnamDayOf: Date())
        let start = today.adding(days: -60)
        let communes = (0..<40).map { String(format: "%05d", 10_000 + $0 * 7) }
        try queue.importSurvey(
            communes.map {
                CommuneSurvey(
                    communeCode: $0, communeName: "Xã \($0)", asOf: start, citizens14Plus: 20_000,
                    level1Activated: 100, level1Pending: 50, level2Activated: 500, level2Pending: 2_000)
            }, by: QueueActor(id: "bench", role: .supervisor))
        func timed(_ body: () throws -> Void) rethrows -> [Double] {
            var times: [Double] = []
            for _ in 0..<samples {
                let begin = DispatchTime.now().uptimeNanoseconds
                try body()
                times.append(Double(DispatchTime.now().uptimeNanoseconds - begin) / 1e6)
            }
            return times.sorted()
        }
        func p(_ sorted: [Double], _ q: Double) -> Double {
            sorted[min(sorted.count - 1, Int((Double(sorted.count) * q).rounded(.up)) - 1)]
        }
        let seed = try timed { _ = try queue.seedTable(on: today) }
        let intake = try timed { _ = try queue.communeReport(from: today, through: today) }
        let phase = try timed { _ = try queue.activationsReported(from: start, through: today) }
        let day = try timed { _ = try queue.reportBreakdowns(from: today, through: today) }
        let campaign = try timed { _ = try queue.reportBreakdowns(from: start, through: today) }
        return Report(
            applications: applications, seedTableP50: p(seed, 0.5), seedTableP99: p(seed, 0.99),
            communeReportP99: p(intake, 0.99), phaseP99: p(phase, 0.99), breakdownsDayP99: p(day, 0.99),
            breakdownsCampaignP99: p(campaign, 0.99), samples: samples)
    }
}
