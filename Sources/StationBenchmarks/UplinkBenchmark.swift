import CentralAPI
import Foundation
import Intake
import Queue
import Retry
import StationTestKit
import Uplink

/// Goodput figures for `station-bench uplink`: drains `applications` through the full path (queue → packaging
/// → spool → manifest → signed upload → per-item acknowledgement → queue) to a running `central-receiver` through a
/// `DelayProxy` (the link's latency), then sends the same number of bytes as ONE plain upload
/// (`PUT /admin/sink`) over the same path in the same run, so the protocol's overhead is measured against the raw
/// link. Then a cut: one more batch, every connection dropped half-way, the bytes sent again counted at the
/// receiver and at the station. Over a `ShapedLink` (rate + loss) when there is one, else on loopback.
public enum UplinkBenchmark {
    /// What to run.
    public struct Options: Sendable {
        /// Applications drained and measured.
        public var applications: Int
        /// Fingerprint record bytes per application (plus ~18 KB of portraits).
        public var biometricBytes = 20_000
        /// Batching.
        public var policy = BatchPolicy()
        /// Most bytes per payload request.
        public var chunkSize = 8 << 20
        /// Latency added by the proxy, each way.
        public var delay: TimeInterval = 0.1
        /// Applications in the batch that is cut half-way (0: no cut phase).
        public var cutApplications = 40
        /// Creates options.
        public init(applications: Int) { self.applications = applications }
    }

    /// Results.
    public struct Report: Sendable, CustomStringConvertible {
        /// The path, for the heading.
        public let link: String
        /// Whether the path was rate limited (a shaped link): only then is the raw upload a link's throughput.
        public let shaped: Bool
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
        /// Bytes on the wire during the drain and the plain upload (both directions).
        public let wireBytesDrain: Int
        public let wireBytesRaw: Int
        /// Where the wire bytes were counted.
        public let wireSource: String
        /// The cut batch: its bytes, the cuts made, payload bytes the receiver read twice, and bytes that went
        /// upstream through the proxy beyond the batch (requests refused or cut, requests' HTTP and signature
        /// headers, the manifest).
        public let cutBatchBytes: Int
        public let cuts: Int
        public let cutReread: Int
        public let cutResent: Int
        /// Seconds from the first offer of the cut batch to its last acknowledgement.
        public let cutSeconds: Double
        /// Bytes on the wire while the cut batch went through.
        public let cutWireBytes: Int
        /// Applications the receiver holds at the end, and how many were sent.
        public let receiverItems: Int
        public let expectedItems: Int
        /// Applications the receiver stored (a second copy of one would count twice).
        public let receiverStored: Int

        /// Payload bytes per second through the protocol.
        public var goodput: Double { Double(payloadBytes) / max(drainSeconds, 1e-9) }
        /// Bytes per second of the plain upload.
        public var raw: Double { Double(payloadBytes) / max(rawSeconds, 1e-9) }
        /// Wire bytes per payload byte during the drain, and during the cut batch.
        public var wireRatio: Double { Double(wireBytesDrain) / Double(max(payloadBytes, 1)) }
        public var cutWireRatio: Double { Double(cutWireBytes) / Double(max(cutBatchBytes, 1)) }
        /// Bytes the cut made cross the link again: the cut batch's wire bytes beyond an uncut batch's.
        public var cutResentOnWire: Int { max(0, cutWireBytes - Int(Double(cutBatchBytes) * wireRatio)) }
        /// Goodput as a share of the raw link throughput (goal ≥ 0.9).
        public var ratio: Double { goodput / max(raw, 1e-9) }

        public var description: String {
            func f(_ value: Double, _ digits: Int = 2) -> String { String(format: "%.\(digits)f", value) }
            func share(_ part: Int, _ whole: Int) -> String { f(100 * Double(part) / Double(max(whole, 1)), 1) + " %" }
            let each = payloadBytes / max(applications, 1)
            let goal = shaped ? "(goal ≥ 0.9×)" : "(no rate limit, round trips dominate: the goal is for a shaped link)"
            let rawRatio = Double(wireBytesRaw) / Double(max(payloadBytes, 1))
            return [
                "uplink benchmark over \(link)",
                "  \(applications) applications, \(payloadBytes) payload bytes (\(each) B each)",
                "  drain          \(f(drainSeconds, 1)) s  goodput \(f(goodput * 8 / 1000, 0)) kbit/s"
                    + "  (\(retries) retries)",
                "  plain upload   \(f(rawSeconds, 1)) s  raw     \(f(raw * 8 / 1000, 0)) kbit/s"
                    + "  (same bytes, one PUT, same path)",
                "  goodput / raw  \(f(ratio))×  \(goal)",
                "  on the wire    \(wireBytesDrain / max(applications, 1)) B per application ="
                    + " \(f(wireRatio))× payload; plain upload \(f(rawRatio))× (\(wireSource))",
                "  cut mid-batch  \(cutBatchBytes) B batch, \(cuts) cut(s), done in \(f(cutSeconds, 1)) s:"
                    + " receiver read again \(cutReread) B;",
                "                 on the wire \(f(cutWireRatio))× the batch (uncut \(f(wireRatio))×) ="
                    + " \(cutResentOnWire) B sent again (\(share(cutResentOnWire, cutBatchBytes)) of the batch);",
                "                 \(cutResent) B handed to the link beyond the batch"
                    + " (incl. socket buffers the cut dropped)",
                "  exactly once   \(receiverItems)/\(expectedItems) applications at the receiver,"
                    + " \(receiverStored) stored",
            ].joined(separator: "\n")
        }
    }

    struct ReceiverStats: Decodable {
        var payloadBytesRead: Int
        var payloadBytesKept: Int
        var itemsStored: Int
    }

    /// Runs against the receiver at `receiverURL` (`http://IPv4:port`, started with `--token token`, printing
    /// `centralFingerprint`), in a fresh
    /// `directory`. `wireBytes` reads interface counters (nil: the proxy's byte counts stand in).
    public static func run(
        receiverURL: String, token: String, centralFingerprint: String, directory: String, options: Options,
        link: String,
        wireBytes: (@Sendable () -> Int)? = nil
    ) async throws -> Report {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        guard let url = URL(string: receiverURL), let host = url.host, let port = url.port else {
            throw UplinkError(.central, "the receiver URL needs an IPv4 host and a port: \(receiverURL)")
        }
        let proxy = try DelayProxy(upstreamHost: host, upstreamPort: port, delay: options.delay)
        defer { proxy.stop() }
        let direct = CentralClient(baseURL: receiverURL)
        let client = CentralClient(baseURL: "http://127.0.0.1:\(proxy.port)", timeout: 30)
        let wire: @Sendable () -> Int = wireBytes ?? { proxy.bytesUpstream + proxy.bytesDownstream }
        let queue = try ApplicationQueue(
            configuration: .init(
                databasePath: directory + "/queue.sqlite", keyFilePath: directory + "/queue.key",
                minimumFreeBytes: 16 << 20))
        var credentials = try StationCredentials.load(directory: directory, stationID: "bench-\(UUID().uuidString)")
        credentials = try await Uploader.enroll(
            client: client, credentials: credentials, token: token, centralFingerprint: centralFingerprint)
        func add(_ count: Int, start: Int) throws {
            for (index, citizen) in SampleApplications.citizens(count, start: start).enumerated() {
                let application = SampleApplications.application(
                    for: citizen, biometricBytes: options.biometricBytes, seed: start + index)
                try queue.commit(application, by: .system)
                try queue.transition(
                    application.id, to: ApplicationStatus(local: .ready, central: .unknown), by: .system)
            }
        }
        func stats() async throws -> ReceiverStats {
            let data = try await direct.send("GET", "/admin/stats", body: Data(), headers: [])
            return try JSONDecoder().decode(ReceiverStats.self, from: data)
        }

        // 1. The drain.
        try add(options.applications, start: 500_000)
        let counter = ByteCounter()
        let uploader = try Uploader(
            queue: queue, credentials: credentials,
            configuration: .init(
                client: client, policy: options.policy, chunkSize: options.chunkSize, stateDirectory: directory),
            events: { event in
                if case .batchOffered(_, _, let bytes) = event { counter.add(bytes) }
            })
        let wire0 = wire()
        let start = Date()
        let report = try await uploader.drain(until: Date().addingTimeInterval(3600))
        let drainSeconds = Date().timeIntervalSince(start)
        let wire1 = wire()
        let bytes = counter.total

        // 2. The same bytes as one plain upload, same path.
        let rawStart = Date()
        _ = try await client.call(
            "PUT", "/admin/sink", body: SampleApplications.bytes(bytes, seed: 7), credentials: nil, timeout: 3600)
        let rawSeconds = Date().timeIntervalSince(rawStart)
        let wire2 = wire()

        // 3. A cut half-way through one more batch.
        var cutBatch = 0
        var cutResent = 0
        var cutReread = 0
        var cutSeconds = 0.0
        var cutWire = 0
        let cutsBefore = proxy.cuts
        if options.cutApplications > 0 {
            try add(options.cutApplications, start: 900_000)
            let before = try await stats()
            let upstreamBefore = proxy.bytesUpstream
            let cutStart = Date()
            let wireBefore = wire()
            let batchBytes = ByteCounter()
            let cutter = try Uploader(
                queue: queue, credentials: credentials,
                configuration: .init(
                    client: client, policy: BatchPolicy(maxCount: options.cutApplications, maxBytes: 1 << 30),
                    backoff: Backoff(base: 0.2, cap: 2), chunkSize: options.chunkSize, stateDirectory: directory),
                events: { event in
                    if case .batchOffered(_, _, let bytes) = event, batchBytes.total == 0 {
                        batchBytes.add(bytes)
                        proxy.cut(whenUpstreamReaches: proxy.bytesUpstream + bytes / 2)
                    }
                })
            try await cutter.drain(until: Date().addingTimeInterval(3600))
            cutSeconds = Date().timeIntervalSince(cutStart)
            cutWire = wire() - wireBefore
            let after = try await stats()
            cutBatch = batchBytes.total
            cutResent = proxy.bytesUpstream - upstreamBefore - cutBatch
            cutReread =
                (after.payloadBytesRead - before.payloadBytesRead)
                - (after.payloadBytesKept
                    - before.payloadBytesKept)
        }
        let items = try await direct.send("GET", "/admin/items", body: Data(), headers: [])
        let held = try JSONDecoder().decode([String].self, from: items).count
        return Report(
            link: link, shaped: wireBytes != nil, applications: options.applications, payloadBytes: bytes,
            drainSeconds: drainSeconds,
            rawSeconds: rawSeconds, retries: report.retries, wireBytesDrain: wire1 - wire0, wireBytesRaw: wire2 - wire1,
            wireSource: wireBytes == nil ? "bytes through the proxy, both ways" : "veth counters, both ways",
            cutBatchBytes: cutBatch, cuts: proxy.cuts - cutsBefore, cutReread: cutReread, cutResent: cutResent,
            cutSeconds: cutSeconds, cutWireBytes: cutWire,
            receiverItems: held, expectedItems: options.applications + options.cutApplications,
            receiverStored: try await stats().itemsStored)
    }
}

/// A thread-safe byte total for event callbacks.
final class ByteCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var value = 0
    func add(_ bytes: Int) { lock.withLock { value += bytes } }
    var total: Int { lock.withLock { value } }
}
