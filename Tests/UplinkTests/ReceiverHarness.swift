import CentralAPI
import Foundation
import Intake
import Queue
import Retry
import StationTestKit
import Uplink

/// The kit's `central-receiver` process with this suite's population (sample citizens as CSV), a `CentralClient`,
/// TLS pinning and the receiver's admin routes.
final class ReceiverProcess: CentralReceiverProcess, @unchecked Sendable {
    /// Set when the receiver serves TLS: the CA the station pins.
    var pinnedCA: String?
    override var baseURL: String { "\(pinnedCA == nil ? "http" : "https")://\(host):\(port)" }
    /// Its data folder (`parts/` holds the partial payloads of unfinished batches).
    var dataDirectory: URL { directory.appendingPathComponent("central") }
    var client: CentralClient { CentralClient(baseURL: baseURL, timeout: 20, pinnedCA: pinnedCA) }

    /// Starts a receiver with a population of `citizens` (plus the fixture CSV rows) and extra flags.
    init(
        citizens: [SampleApplications.Citizen] = [], flags: [String] = [], tokens: Int = 4,
        populationFile: String? = nil, link: ShapedLink? = nil
    ) throws {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("uplink-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let csv = ["id_number,full_name,date_of_birth,sex,note"] + citizens.map(\.csvLine)
        let population = directory.appendingPathComponent("population.csv")
        try csv.joined(separator: "\n").write(to: population, atomically: true, encoding: .utf8)
        // The test reads the admin routes over the link.
        let linkFlags = link.map { ["--admin-peer", $0.hostAddress] } ?? []
        try super.init(
            directory: directory, dataDirectory: directory.appendingPathComponent("central"),
            population: populationFile ?? population.path, tokens: tokens,
            host: link?.namespaceAddress ?? "127.0.0.1", flags: flags + linkFlags,
            wrap: { argv in link.map { $0.command(argv) } ?? argv })
    }

    func admin<T: Decodable>(_ method: String, _ path: String, body: Data = Data(), as type: T.Type) async throws -> T {
        let data = try await client.send(method, path, body: body, headers: [])
        return try JSONDecoder().decode(type, from: data)
    }

    struct Stats: Decodable {
        var payloadBytesRead: Int
        var payloadBytesKept: Int
        var itemsStored: Int
        var itemBytesStored: Int
        var duplicatesOffered: Int
        var injected503: Int
        var injectedDrops: Int
        var injectedPartialAcks: Int
        var injectedBadSignatures: Int
        var chunksHeld: Int
        var partsAbandoned: Int
        var batchesResumed: Int
        var abandonedReoffered: Int
        /// Chip evidence re-checks (`--trust`); nil: a figure the receiver does not report.
        var chipVerified: Int?
        var chipEvidenceRejected: Int?
        var chipPassiveOnly: Int?
        var refusals: [String: Int]
    }

    /// Partial payload files left at the receiver.
    func partFiles() throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: dataDirectory.appendingPathComponent("parts").path)
    }

    func stats() async throws -> Stats { try await admin("GET", "/admin/stats", as: Stats.self) }
    func items() async throws -> [String] { try await admin("GET", "/admin/items", as: [String].self) }

    struct Faults: Codable {
        var errorRate: Double = 0
        var latencyMilliseconds: Int = 0
        var dropRate: Double = 0
        var partialAckRate: Double = 0
        var bytesPerSecond: Int = 0
        var retryAfterSeconds: Int = 0
        var badSignatureRate: Double = 0
        var holdAtOffset: Int = 0
        var holdAfterItems: Int = 0
    }

    func setFaults(_ faults: Faults) async throws {
        _ = try await client.send("POST", "/admin/faults", body: try JSONEncoder().encode(faults), headers: [])
    }
}

/// A station: a queue, enrolled credentials, in a temporary folder.
final class StationFixture: @unchecked Sendable {
    let directory: String
    let queue: ApplicationQueue
    var credentials: StationCredentials
    let stationID: String

    init(receiver: ReceiverProcess, token: String? = nil) async throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("station-\(UUID().uuidString)").path
        stationID = "station-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        queue = try ApplicationQueue(
            configuration: .init(
                databasePath: directory + "/queue.sqlite", keyFilePath: directory + "/queue.key",
                minimumFreeBytes: 16 << 20))
        credentials = try StationCredentials.load(directory: directory, stationID: stationID)
        credentials = try await Uploader.enroll(
            client: receiver.client, credentials: credentials, token: token ?? receiver.token,
            centralFingerprint: receiver.fingerprint)
    }

    deinit { try? FileManager.default.removeItem(atPath: directory) }

    /// Commits and releases applications for `citizens`; returns their ids.
    @discardableResult
    func addReady(_ citizens: [SampleApplications.Citizen], biometricBytes: Int = 20_000) throws -> [ApplicationID] {
        try citizens.enumerated().map { index, citizen in
            let application = SampleApplications.application(for: citizen, biometricBytes: biometricBytes, seed: index)
            try queue.commit(application, by: .system)
            try queue.transition(application.id, to: ApplicationStatus(local: .ready, central: .unknown), by: .system)
            return application.id
        }
    }

    func uploader(
        _ receiver: ReceiverProcess, policy: BatchPolicy = BatchPolicy(maxCount: 40), chunkSize: Int = 64 << 10,
        events: @escaping @Sendable (UplinkEvent) -> Void = { _ in }
    ) throws -> Uploader {
        try Uploader(
            queue: queue, credentials: credentials,
            configuration: .init(
                client: receiver.client, policy: policy, backoff: Backoff(base: 0.02, cap: 0.3), chunkSize: chunkSize,
                stateDirectory: directory),
            events: events)
    }

    func statuses(_ ids: [ApplicationID]) throws -> [ApplicationStatus] { try ids.map { try queue.status(of: $0) } }
}

/// Thread-safe event log for uploader callbacks.
final class EventLog: @unchecked Sendable {
    private let lock = NSLock()
    private var events: [UplinkEvent] = []
    func append(_ event: UplinkEvent) { lock.withLock { events.append(event) } }
    var all: [UplinkEvent] { lock.withLock { events } }
}
