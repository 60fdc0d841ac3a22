import CentralAPI
import Foundation
import Intake
import Queue

/// Goodput figures for `station-bench`: drains `applications` through the full path (queue → packaging →
/// manifest → chunked signed upload → per-item acknowledgement → queue) to a running `central-receiver`, then
/// sends the same number of bytes as ONE plain upload (`PUT /admin/sink`) in the same run, so the overhead of
/// the protocol is measured against the raw link. Works on loopback, or across a shaped link (netns + tbf).
public enum UplinkBenchmark {
    /// Results.
    public struct Report: Sendable, CustomStringConvertible {
        /// Applications drained.
        public let applications: Int
        /// Envelope bytes delivered.
        public let payloadBytes: Int
        /// Wall time of the drain, seconds.
        public let drainSeconds: Double
        /// Wall time of the plain upload of the same bytes, seconds.
        public let rawSeconds: Double
        /// Retries during the drain.
        public let retries: Int

        /// Payload bytes per second through the protocol.
        public var goodput: Double { Double(payloadBytes) / max(drainSeconds, 1e-9) }
        /// Bytes per second of the plain upload.
        public var raw: Double { Double(payloadBytes) / max(rawSeconds, 1e-9) }

        public var description: String {
            func f(_ value: Double) -> String { String(format: "%.2f", value) }
            return """
                uplink benchmark: \(applications) applications, \(payloadBytes) payload bytes
                  drain        \(f(drainSeconds)) s  goodput \(f(goodput / 1_048_576)) MiB/s  (\(retries) retries)
                  plain upload \(f(rawSeconds)) s  raw     \(f(raw / 1_048_576)) MiB/s
                  efficiency   \(f(100 * goodput / max(raw, 1e-9))) %
                """
        }
    }

    /// Runs against the receiver at `baseURL` (started with `--token token`), in a fresh `directory`.
    public static func run(
        baseURL: String, token: String, directory: String, applications: Int = 300, biometricBytes: Int = 20_000,
        policy: BatchPolicy = BatchPolicy(maxCount: 50), chunkSize: Int = 256 << 10
    ) async throws -> Report {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let queue = try ApplicationQueue(
            configuration: .init(
                databasePath: directory + "/queue.sqlite", keyFilePath: directory + "/queue.key",
                minimumFreeBytes: 16 << 20))
        let client = CentralClient(baseURL: baseURL)
        var credentials = try StationCredentials.load(directory: directory, stationID: "bench-\(UUID().uuidString)")
        credentials = try await Uploader.enroll(client: client, credentials: credentials, token: token)
        for (index, citizen) in SampleApplications.citizens(applications, start: 500_000).enumerated() {
            let application = SampleApplications.application(
                for: citizen, biometricBytes: biometricBytes, seed: index)
            try queue.commit(application, by: .system)
            try queue.transition(application.id, to: ApplicationStatus(local: .ready, central: .unknown), by: .system)
        }
        let counter = ByteCounter()
        let uploader = try Uploader(
            queue: queue, credentials: credentials,
            configuration: .init(client: client, policy: policy, chunkSize: chunkSize, stateDirectory: directory),
            events: { event in
                if case .batchOffered(_, _, let bytes) = event { counter.add(bytes) }
            })
        let start = Date()
        let report = try await uploader.drain(until: Date().addingTimeInterval(600))
        let drainSeconds = Date().timeIntervalSince(start)
        let bytes = counter.total
        let rawStart = Date()
        _ = try await client.call(
            "PUT", "/admin/sink", body: SampleApplications.bytes(bytes, seed: 7), credentials: nil, timeout: 600)
        let rawSeconds = Date().timeIntervalSince(rawStart)
        return Report(
            applications: applications, payloadBytes: bytes, drainSeconds: drainSeconds, rawSeconds: rawSeconds,
            retries: report.retries)
    }
}

/// A thread-safe byte total for event callbacks.
final class ByteCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var value = 0
    func add(_ bytes: Int) { lock.withLock { value += bytes } }
    var total: Int { lock.withLock { value } }
}
