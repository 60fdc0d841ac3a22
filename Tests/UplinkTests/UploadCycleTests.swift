import CentralAPI
import Crypto
import Foundation
import Intake
import Queue
import Retry
import StationTestKit
import Testing
import Uplink

/// The upload cycle in process (issue 18 item 2): the pure `UploadCycle` alone, then `Uploader.drain` against a
/// fake central and a test clock in milliseconds. No sockets, no sleeping: the waits are read off the clock.
@Suite struct UploadCycleTests {
    typealias Cycle = UploadCycle<TestClock>
    static func instant(_ milliseconds: Int64) -> TestClock.Instant { .init(milliseconds: milliseconds) }
    static func failure(_ code: CentralError.Code, status: Int?, retryAfter: Double? = nil) -> CentralClient.CallError {
        CentralClient.CallError(error: CentralError(code, "test"), status: status, retryAfter: retryAfter)
    }

    // MARK: - The machine alone

    @Test func phasesProbeFirstThenBatchesThenFinish() {
        var cycle = Cycle(deadline: Self.instant(60_000), backoff: Backoff(base: 1, cap: 2))
        #expect(cycle.phase == .ready)
        guard case .probe = cycle.start(now: Self.instant(0)) else {
            Issue.record("probe first")
            return
        }
        #expect(cycle.phase == .probing)
        guard case .uploadBatch = cycle.probed(now: Self.instant(10)) else {
            Issue.record("batch")
            return
        }
        #expect(cycle.phase == .uploading)
        // After a finished batch: the next batch straight away, no probe.
        guard case .uploadBatch = cycle.uploaded(batch: true, sentSomething: true, now: Self.instant(20)) else {
            Issue.record("next batch without a probe")
            return
        }
        guard case .finish = cycle.uploaded(batch: false, sentSomething: false, now: Self.instant(30)) else {
            Issue.record("finish when nothing is left")
            return
        }
        #expect(cycle.phase == .finished)
        #expect(!cycle.deadlineReached)
        #expect(cycle.batches == 1)
    }

    @Test func transientFailuresBackOffAndProbeAgainOthersStop() {
        var random = SystemRandomNumberGenerator()
        var cycle = Cycle(deadline: Self.instant(60_000), backoff: Backoff(base: 1, cap: 2))
        _ = cycle.start(now: Self.instant(0))
        // Retry-After 2 s with a 2 s cap: exactly 2000 ms whatever the jitter draws.
        guard
            case .wait(let until, let delay, let code) = cycle.failed(
                Self.failure(.unavailable, status: 503, retryAfter: 2), now: Self.instant(5), using: &random)
        else {
            Issue.record("a 503 waits")
            return
        }
        #expect(until == Self.instant(2_005) && delay == 2 && code == "central.unavailable")
        #expect(cycle.phase == .waiting(until: Self.instant(2_005)))
        guard case .probe = cycle.woke(now: until) else {
            Issue.record("probe after a wait")
            return
        }
        // Without Retry-After: full jitter below the ceiling of the second retry (2 s).
        guard
            case .wait(_, let second, _) = cycle.failed(
                Self.failure(.transport, status: nil), now: Self.instant(2_010), using: &random)
        else {
            Issue.record("a transport failure waits")
            return
        }
        #expect(second >= 0 && second <= 2)
        #expect(cycle.retryCount == 2)
        #expect(cycle.lastFailure?.code == .transport)
        // Not transient: an answer not signed by the pinned key stops the cycle at once.
        guard
            case .fail(let error) = cycle.failed(
                Self.failure(.centralUnauthenticated, status: nil), now: Self.instant(2_020), using: &random)
        else {
            Issue.record("an unauthenticated answer stops")
            return
        }
        #expect(error.error.code == .centralUnauthenticated)
        #expect(cycle.phase == .failed(code: "uplink.central_unauthenticated"))
    }

    @Test func aWaitPastTheDeadlineEndsTheCycle() {
        var random = SystemRandomNumberGenerator()
        var cycle = Cycle(deadline: Self.instant(1_500), backoff: Backoff(base: 1, cap: 2))
        _ = cycle.start(now: Self.instant(0))
        guard
            case .finish = cycle.failed(
                Self.failure(.unavailable, status: 503, retryAfter: 2), now: Self.instant(0), using: &random)
        else {
            Issue.record("no wait past the deadline")
            return
        }
        #expect(cycle.deadlineReached)
        var late = Cycle(deadline: Self.instant(0), backoff: Backoff())
        guard case .finish = late.start(now: Self.instant(0)) else {
            Issue.record("nothing starts after the deadline")
            return
        }
    }

    // MARK: - The drain against a fake central

    @Test func drainUploadsEveryRowThroughTheFakeCentral() async throws {
        let station = try InProcessStation()
        let ids = try station.addReady(3)
        let central = FakeCentral()
        let clock = TestClock()
        var phases: [Cycle.Phase] = []
        let report = try await station.uploader(central).drain(
            until: Self.instant(60_000), clock: clock, observe: { phases.append($0) })
        #expect(report.batches == 1 && report.received == 3 && report.refused == 0 && report.retries == 0)
        let received = ApplicationStatus(local: .uploaded, central: .received)
        #expect(try station.statuses(ids) == Array(repeating: received, count: 3))
        #expect(phases == [.probing, .uploading, .uploading, .finished])
        #expect(clock.sleeps.isEmpty)
        #expect(central.calls == ["probe", "offer", "put@0"])
        #expect(SyncRecord(directory: station.directory).read()?.lastSync != nil)
    }

    @Test func retriesWaitTheBackoffOnTheClock() async throws {
        let station = try InProcessStation()
        let ids = try station.addReady(2)
        let central = FakeCentral()
        // Two probes answered 503 Retry-After 2, then a payload request cut by a 429 Retry-After 2: with a 2 s cap
        // every wait is exactly 2000 ms.
        central.probeFailures = [
            Self.failure(.unavailable, status: 503, retryAfter: 2),
            Self.failure(.unavailable, status: 503, retryAfter: 2),
        ]
        central.putFailures = [(keep: 0, error: Self.failure(.unavailable, status: 429, retryAfter: 2))]
        let clock = TestClock()
        var phases: [Cycle.Phase] = []
        let report = try await station.uploader(central, backoff: Backoff(base: 1, cap: 2)).drain(
            until: Self.instant(60_000), clock: clock, observe: { phases.append($0) })
        #expect(clock.sleeps == [2_000, 2_000, 2_000])
        #expect(clock.now == Self.instant(6_000))
        #expect(report.retries == 3 && report.received == 2)
        #expect(
            phases == [
                .probing, .waiting(until: Self.instant(2_000)), .probing, .waiting(until: Self.instant(4_000)),
                .probing, .uploading, .uploading, .finished,
            ])
        #expect(central.calls == ["probe", "probe", "probe", "offer", "put@0", "progress", "put@0"])
        #expect(try station.statuses(ids).allSatisfy { $0.local == .uploaded })
    }

    @Test func aRefusedItemGoesToNeedsAttentionWithItsReasonTheOthersUpload() async throws {
        let station = try InProcessStation()
        let ids = try station.addReady(3)
        let central = FakeCentral()
        central.refuseOnOffer = [ids[0].text: "central.bad_envelope"]
        central.refuseOnReceipt = [ids[2].text: "central.hash_mismatch"]
        let report = try await station.uploader(central).drain(until: Self.instant(60_000), clock: TestClock())
        #expect(report.received == 1 && report.refused == 2)
        let statuses = try station.statuses(ids)
        #expect(statuses[0].local == .needsAttention && statuses[2].local == .needsAttention)
        #expect(statuses[1] == ApplicationStatus(local: .uploaded, central: .received))
        let reasons = try [ids[0], ids[2]].map { id in
            try station.queue.auditTrail(for: id).last { $0.action == "upload_refused" }?.reasonCode
        }
        #expect(reasons == ["central.bad_envelope", "central.hash_mismatch"])
    }

    @Test func aLyingOrUnauthenticatedAnswerMovesNoRowAndIsNotRetried() async throws {
        // An answer not signed by the pinned key (the real client throws this before returning it).
        let station = try InProcessStation()
        let ids = try station.addReady(2)
        let central = FakeCentral()
        central.offerFailures = [Self.failure(.centralUnauthenticated, status: nil)]
        let clock = TestClock()
        await #expect(throws: CentralClient.CallError.self) {
            try await station.uploader(central).drain(until: Self.instant(60_000), clock: clock)
        }
        #expect(clock.sleeps.isEmpty)
        #expect(try station.statuses(ids).allSatisfy { $0.local == .batched && $0.central == .unknown })
        #expect(SyncRecord(directory: station.directory).read()?.lastSync == nil)

        // A signed answer that does not add up (it expects other bytes than the batch holds): refused, no row moves.
        let other = try InProcessStation()
        let more = try other.addReady(2)
        let liar = FakeCentral()
        liar.lieAboutLength = true
        do {
            try await other.uploader(liar).drain(until: Self.instant(60_000), clock: TestClock())
            Issue.record("a lying answer must stop the drain")
        } catch let error as UplinkError {
            #expect(error.code == .central)
        }
        #expect(try other.statuses(more).allSatisfy { $0.local == .batched })
        #expect(!liar.calls.contains { $0.hasPrefix("put") })
    }

    @Test func anInterruptedBatchResumesAtTheCentralsOffset() async throws {
        let station = try InProcessStation()
        let ids = try station.addReady(3)
        let central = FakeCentral()
        // The first payload request is cut after the central kept 1000 bytes; the answer is a refusal that stops
        // the run (as a crash would): the batch stays spooled, the rows batched.
        central.putFailures = [(keep: 1_000, error: Self.failure(.malformed, status: 400))]
        await #expect(throws: CentralClient.CallError.self) {
            try await station.uploader(central).drain(until: Self.instant(60_000), clock: TestClock())
        }
        #expect(try station.statuses(ids).allSatisfy { $0.local == .batched })
        // A new uploader (a restart) offers the SAME batch; the central says what it holds; the rest goes from there.
        let report = try await station.uploader(central).drain(until: Self.instant(60_000), clock: TestClock())
        #expect(report.received == 3)
        #expect(central.offeredBatches.count == 2 && Set(central.offeredBatches).count == 1)
        #expect(central.calls.filter { $0.hasPrefix("put") } == ["put@0", "put@1000"])
        #expect(central.bytesReceived == central.batchLength)  // no byte twice
        #expect(try station.statuses(ids).allSatisfy { $0 == ApplicationStatus(local: .uploaded, central: .received) })
    }

    @Test func aCutMidPayloadResumesWithinTheSameDrain() async throws {
        let station = try InProcessStation()
        let ids = try station.addReady(2)
        let central = FakeCentral()
        central.putFailures = [(keep: 700, error: Self.failure(.transport, status: nil))]
        let clock = TestClock()
        let report = try await station.uploader(central, backoff: Backoff(base: 0.25, cap: 0.25, jitter: .none))
            .drain(until: Self.instant(60_000), clock: clock)
        #expect(report.received == 2 && report.retries == 1)
        #expect(clock.sleeps == [250])
        #expect(central.calls.filter { $0.hasPrefix("put") } == ["put@0", "put@700"])
        #expect(central.bytesReceived == central.batchLength)
        #expect(try station.statuses(ids).allSatisfy { $0.local == .uploaded })
    }
}

/// A station in a temporary folder: a queue and credentials pinned to made-up central keys.
final class InProcessStation: @unchecked Sendable {
    let directory: String
    let queue: ApplicationQueue
    let credentials: StationCredentials

    init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("cycle-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        queue = try ApplicationQueue(
            configuration: .init(
                databasePath: directory + "/queue.sqlite", keyFilePath: directory + "/queue.key",
                minimumFreeBytes: 16 << 20))
        let loaded = try StationCredentials.load(directory: directory, stationID: "station-cycle")
        let answer = EnrollmentResponse(
            stationID: "station-cycle", centralKey: Curve25519.KeyAgreement.PrivateKey().publicKey.rawRepresentation,
            centralSigningKey: Curve25519.Signing.PrivateKey().publicKey.rawRepresentation)
        credentials = try loaded.enrolled(answer, confirmedFingerprint: answer.keys?.fingerprint ?? "")
    }

    deinit { try? FileManager.default.removeItem(atPath: directory) }

    func addReady(_ count: Int) throws -> [ApplicationID] {
        try SampleApplications.citizens(count, start: 500).enumerated().map { index, citizen in
            let application = SampleApplications.application(for: citizen, biometricBytes: 2_000, seed: index)
            try queue.commit(application, by: .system)
            try queue.transition(application.id, to: ApplicationStatus(local: .ready, central: .unknown), by: .system)
            return application.id
        }
    }

    func uploader(_ central: FakeCentral, backoff: Backoff = Backoff(base: 0.5, cap: 8)) throws -> Uploader {
        try Uploader(
            queue: queue, credentials: credentials,
            configuration: .init(client: central, backoff: backoff, stateDirectory: directory))
    }

    func statuses(_ ids: [ApplicationID]) throws -> [ApplicationStatus] { try ids.map { try queue.status(of: $0) } }
}

/// A central in process: answers the upload protocol from memory, with scripted failures and lies.
final class FakeCentral: Central, @unchecked Sendable {
    private let lock = NSLock()
    private struct Batch {
        var send: [ManifestItem]
        var length: Int
        var held = Data()
        var results: [ItemResult]?
    }
    private var batches: [String: Batch] = [:]
    private var log: [String] = []
    private var offered: [String] = []
    private var received = 0
    private var lastLength = 0
    private var stored: Set<String> = []

    /// Failures answered, in order, before the calls succeed.
    var probeFailures: [CentralClient.CallError] = []
    var offerFailures: [CentralClient.CallError] = []
    /// A payload request keeps `keep` bytes of its chunk, then fails.
    var putFailures: [(keep: Int, error: CentralClient.CallError)] = []
    /// Items refused when offered, or once their bytes arrived: application id → reason.
    var refuseOnOffer: [String: String] = [:]
    var refuseOnReceipt: [String: String] = [:]
    /// Answer the manifest with a payload length one byte longer than the items offered for sending.
    var lieAboutLength = false
    /// Failures answered to reports, in order, before they are stored.
    var reportFailures: [CentralClient.CallError] = []
    private var reportReceipts: [String: ReportReceipt] = [:]
    /// The reports stored, by id (each once).
    var reportsStored: [String: ReportReceipt] { lock.withLock { reportReceipts } }

    var timeout: TimeInterval { 5 }
    var calls: [String] { lock.withLock { log } }
    var offeredBatches: [String] { lock.withLock { offered } }
    var bytesReceived: Int { lock.withLock { received } }
    var batchLength: Int { lock.withLock { lastLength } }

    func probeFailure(timeout: TimeInterval, credentials: StationCredentials?) async -> CentralClient.CallError? {
        lock.withLock {
            log.append("probe")
            return probeFailures.isEmpty ? nil : probeFailures.removeFirst()
        }
    }

    func offer(_ manifest: BatchManifest, credentials: StationCredentials) async throws(CentralClient.CallError)
        -> ManifestResponse
    {
        let outcome: Result<ManifestResponse, CentralClient.CallError> = lock.withLock {
            log.append("offer")
            if !offerFailures.isEmpty { return .failure(offerFailures.removeFirst()) }
            offered.append(manifest.batchID)
            var decisions: [ManifestDecision] = []
            var send: [ManifestItem] = []
            for item in manifest.items {
                if stored.contains(item.applicationID) {
                    decisions.append(ManifestDecision(applicationID: item.applicationID, decision: .alreadyHave))
                } else if let reason = refuseOnOffer[item.applicationID] {
                    decisions.append(
                        ManifestDecision(applicationID: item.applicationID, decision: .refused, reason: reason))
                } else {
                    decisions.append(ManifestDecision(applicationID: item.applicationID, decision: .send))
                    send.append(item)
                }
            }
            let length = send.reduce(0) { $0 + $1.payloadSize }
            let batch = batches[manifest.batchID] ?? Batch(send: send, length: length)
            batches[manifest.batchID] = batch
            lastLength = batch.length
            return .success(
                ManifestResponse(
                    batchID: manifest.batchID, decisions: decisions,
                    uploadLength: batch.length + (lieAboutLength ? 1 : 0), uploadOffset: batch.held.count))
        }
        return try outcome.get()
    }

    func sendPayload(_ chunk: Data, batchID: String, offset: Int, credentials: StationCredentials)
        async throws(CentralClient.CallError) -> UploadProgress
    {
        let outcome: Result<UploadProgress, CentralClient.CallError> = lock.withLock {
            log.append("put@\(offset)")
            guard var batch = batches[batchID] else {
                return .failure(.init(error: CentralError(.unknownBatch, "no batch"), status: 404, retryAfter: nil))
            }
            guard offset == batch.held.count else {
                return .failure(
                    .init(error: CentralError(.offsetMismatch, "offset"), status: 409, retryAfter: nil))
            }
            if !putFailures.isEmpty {
                let (keep, error) = putFailures.removeFirst()
                batch.held.append(chunk.prefix(keep))
                received += min(keep, chunk.count)
                batches[batchID] = batch
                return .failure(error)
            }
            batch.held.append(chunk)
            received += chunk.count
            if batch.held.count >= batch.length { batch.results = complete(batch) }
            batches[batchID] = batch
            return .success(
                UploadProgress(
                    batchID: batchID, offset: batch.held.count, length: batch.length, results: batch.results))
        }
        return try outcome.get()
    }

    /// The results of a complete payload: every item received, unless refused on receipt.
    private func complete(_ batch: Batch) -> [ItemResult] {
        batch.send.map { item in
            if let reason = refuseOnReceipt[item.applicationID] {
                return ItemResult(applicationID: item.applicationID, outcome: .refused, reason: reason)
            }
            stored.insert(item.applicationID)
            return ItemResult(applicationID: item.applicationID, outcome: .received)
        }
    }

    func progress(batchID: String, credentials: StationCredentials) async throws(CentralClient.CallError)
        -> UploadProgress
    {
        let outcome: Result<UploadProgress, CentralClient.CallError> = lock.withLock {
            log.append("progress")
            guard let batch = batches[batchID] else {
                return .failure(.init(error: CentralError(.unknownBatch, "no batch"), status: 404, retryAfter: nil))
            }
            return .success(
                UploadProgress(
                    batchID: batchID, offset: batch.held.count, length: batch.length, results: batch.results))
        }
        return try outcome.get()
    }

    func status(_ query: StatusQuery, credentials: StationCredentials) async throws(CentralClient.CallError)
        -> (answer: StatusAnswer, evidence: SignedCentralAnswer)
    {
        lock.withLock {
            log.append("status")
            let items = query.applicationIDs.map { id in
                StatusItem(applicationID: id, state: stored.contains(id) ? .received : .unknown)
            }
            return (
                StatusAnswer(items: items),
                SignedCentralAnswer(signedMessage: Data(), body: Data(), signature: Data(), keyID: "fake")
            )
        }
    }

    func submitReport(_ submission: ReportSubmission, credentials: StationCredentials)
        async throws(CentralClient.CallError) -> ReportReceipt
    {
        let outcome: Result<ReportReceipt, CentralClient.CallError> = lock.withLock {
            log.append("report:\(submission.reportID)")
            if !reportFailures.isEmpty { return .failure(reportFailures.removeFirst()) }
            if let stored = reportReceipts[submission.reportID] { return .success(stored) }
            let receipt = ReportReceipt(
                reportID: submission.reportID, receivedAt: Date(), contentSHA256: submission.contentSHA256)
            reportReceipts[submission.reportID] = receipt
            return .success(receipt)
        }
        return try outcome.get()
    }
}
