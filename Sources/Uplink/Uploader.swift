import CentralAPI
import Foundation
import Intake
import Queue
import Retry

/// Store-and-forward upload: batches ready applications, packages them, offers a manifest, uploads the payload
/// in resumable chunks, and moves the rows with each answer in one transaction. Exactly once: the application
/// id is the idempotency key at the central, rows stay `batched` until an answer names them, and `batched`
/// leftovers (cut link, partial answer, crash) are offered again first, answered `alreadyHave` if they arrived.
///
/// The drain is `UploadCycle` (a pure state machine over a `Clock`) performed against a `Central` (the real
/// `CentralClient`, or a fake in tests) and the store's one executor (`StoreGateway`); `uplink-state.json` is read
/// and written through its one owner, `SyncRecord`.
public final class Uploader: Sendable {
    /// Settings.
    public struct Configuration: Sendable {
        /// The central (`CentralClient`; tests pass a fake).
        public var client: any Central
        /// Batching.
        public var policy: BatchPolicy
        /// Retry timing.
        public var backoff: Backoff
        /// Most payload bytes per request. The receiver keeps what arrives as it arrives (durably every 64 KiB),
        /// so a cut costs what was in flight, not a chunk; each request costs a round trip, so the default sends
        /// a whole batch (up to the policy's 4 MiB) in one request.
        public var chunkSize: Int
        /// Where `uplink-state.json` (last successful sync) is kept.
        public var stateDirectory: String
        /// Takes a master list a status answer delivered, with why its central signature does not verify under
        /// the pinned key (nil: it verifies). The sync goes on whatever it does.
        public var masterLists: (@Sendable (DeliveredMasterList, _ signatureProblem: String?) async -> Void)?
        /// Creates settings.
        public init(
            client: any Central, policy: BatchPolicy = BatchPolicy(), backoff: Backoff = Backoff(),
            chunkSize: Int = 8 << 20, stateDirectory: String
        ) {
            self.client = client
            self.policy = policy
            self.backoff = backoff
            self.chunkSize = chunkSize
            self.stateDirectory = stateDirectory
        }
    }

    let gateway: StoreGateway
    let configuration: Configuration
    let record: SyncRecord
    let credentials: StationCredentials
    let events: @Sendable (UplinkEvent) -> Void
    /// Envelopes packaged ahead, while the previous batch was on the wire (see `prefetch`).
    let packagedAhead = PackageCache()

    /// Creates an uploader for an enrolled station, with a store executor of its own (tools and tests; the daemon
    /// passes its one `StoreGateway`).
    public convenience init(
        queue: ApplicationQueue, credentials: StationCredentials, configuration: Configuration,
        events: @escaping @Sendable (UplinkEvent) -> Void = { _ in }
    ) throws(UplinkError) {
        try self.init(
            store: StoreGateway(queue: queue), credentials: credentials, configuration: configuration, events: events)
    }

    /// Creates an uploader for an enrolled station whose queue calls run on `store`.
    public init(
        store: StoreGateway, credentials: StationCredentials, configuration: Configuration,
        events: @escaping @Sendable (UplinkEvent) -> Void = { _ in }
    ) throws(UplinkError) {
        guard credentials.centralKey != nil else { throw UplinkError(.notEnrolled, "the station is not enrolled") }
        guard credentials.pinnedCentral != nil else {
            throw UplinkError(
                .notEnrolled,
                "the central's signing key is not pinned: enroll again (same token) with the fingerprint confirmed")
        }
        gateway = store
        self.credentials = credentials
        self.configuration = configuration
        self.events = events
        record = SyncRecord(directory: configuration.stateDirectory)
        record.prepare()
    }

    /// Enrolls the station with a one-time token and pins the central's keys, only if their fingerprint is
    /// `centralFingerprint` (printed by the central, confirmed by the technician) and the answer is signed by the
    /// signing key it announces. Throws `uplink.central_fingerprint_mismatch` (nothing pinned) when it is not,
    /// `uplink.central_key_changed` when other keys are pinned and no supervisor confirmed the change
    /// (`changeConfirmedBy`).
    public static func enroll(
        client: CentralClient, credentials: StationCredentials, token: String, centralFingerprint: String,
        changeConfirmedBy: String? = nil
    ) async throws -> StationCredentials {
        let request = EnrollmentRequest(
            stationID: credentials.stationID, token: token,
            signingKey: credentials.signingKey.publicKey.rawRepresentation)
        do {
            let body = try CanonicalEncoding.encode(request)
            let headers = [(RequestSigning.Header.nonce, CentralClient.nonce())]
            let exchange = try await client.exchange("POST", CentralPath.enrollment, body: body, headers: headers)
            let data = try CentralClient.interpret(exchange)
            let answer = try client.decode(EnrollmentResponse.self, data)
            guard let announced = answer.centralSigningKey else {
                throw UplinkError(.centralUnauthenticated, "the central does not sign its answers: not pinned")
            }
            // Proof that whoever answers holds the signing key it announces; the fingerprint check below says
            // whether that key is the central's.
            try CentralClient.authenticate(
                exchange, method: "POST", path: CentralPath.enrollment, headers: headers, signingKey: announced)
            return try credentials.enrolled(
                answer, confirmedFingerprint: centralFingerprint, changeConfirmedBy: changeConfirmedBy)
        } catch let error as CentralClient.CallError {
            if error.error.code == .centralUnauthenticated {
                throw UplinkError(.centralUnauthenticated, error.error.reason)
            }
            throw UplinkError(.central, "enrollment refused", central: error.error)
        }
    }

    // MARK: - Drain

    /// What a drain did.
    public struct DrainReport: Sendable, Hashable {
        /// Batches finished.
        public var batches = 0
        /// Items the central now holds (received or already had).
        public var received = 0
        /// Items moved to needsAttention.
        public var refused = 0
        /// Payload bytes sent (including resent bytes).
        public var bytesSent = 0
        /// Retries after transient failures.
        public var retries = 0
        /// Daily and weekly reports the central acknowledged.
        public var reports = 0
    }

    /// Uploads until nothing is ready or batched, retrying transient failures with backoff until `deadline`.
    /// `force` sends partial batches without waiting for the policy's age.
    @discardableResult
    public func drain(until deadline: Date, force: Bool = true) async throws -> DrainReport {
        let clock = ContinuousClock()
        let left = max(0, deadline.timeIntervalSinceNow)
        return try await drain(
            until: clock.now.advanced(by: .milliseconds(Int64(left * 1000))), clock: clock, force: force)
    }

    /// As `drain(until:force:)`, with the deadline and every wait on `clock` (tests pass a test clock). Performs
    /// the actions of an `UploadCycle`.
    @discardableResult
    public func drain<C: Clock>(
        until deadline: C.Instant, clock: C, force: Bool = true, observe: (UploadCycle<C>.Phase) -> Void = { _ in }
    ) async throws -> DrainReport where C.Duration == Duration {
        var report = DrainReport()
        var cycle = UploadCycle<C>(deadline: deadline, backoff: configuration.backoff)
        var generator = SystemRandomNumberGenerator()
        var action = cycle.start(now: clock.now)
        loop: while true {
            observe(cycle.phase)
            switch action {
            case .finish: break loop
            case .fail(let error): throw error
            case .probe, .uploadBatch, .wait: break
            }
            do {
                switch action {
                case .probe:
                    // Cheap probe before work and after failures: no link, no batch cut, no rows moved. Its
                    // answer must be signed by the pinned central key; a TLS failure is reported as such.
                    if let failure = await configuration.client.probeFailure(
                        timeout: min(5, configuration.client.timeout), credentials: credentials)
                    {
                        if failure.error.code == .transport { events(.offline) }
                        throw failure
                    }
                    events(.centralAnswered)
                    action = cycle.probed(now: clock.now)
                case .uploadBatch:
                    let before = report.batches + report.reports
                    let sent = try await uploadBatch(force: force, clock: clock, report: &report)
                    action = cycle.uploaded(
                        batch: report.batches + report.reports > before, sentSomething: sent, now: clock.now)
                case .wait(let until, let delay, let code):
                    events(.retrying(after: delay, code: code, stalledFor: cycle.stalledFor(now: clock.now) ?? 0))
                    try await clock.sleep(until: until, tolerance: nil)
                    action = cycle.woke(now: clock.now)
                case .finish, .fail:
                    break
                }
            } catch let error as CentralClient.CallError {
                // The cycle decides: a transient failure waits and probes again, anything else stops it.
                action = cycle.failed(error, now: clock.now, using: &generator)
            }
        }
        report.retries += cycle.retryCount
        if try await store({ queue in try !queue.uplinkCandidates(in: [.ready, .batched], limit: 1).isEmpty }), force {
            throw UplinkError(.deadline, "applications remain after the deadline", central: cycle.lastFailure)
        }
        if try await reportsWaiting(), cycle.deadlineReached {
            throw UplinkError(.deadline, "reports remain after the deadline", central: cycle.lastFailure)
        }
        return report
    }

    /// The spool of the batch in flight.
    var outbox: Outbox { Outbox(directory: configuration.stateDirectory + "/outbox") }

    /// Uploads one batch: the spooled batch of an interrupted run first (same id, same bytes: the central resumes
    /// at its offset), else a new one. Returns false when there was nothing (or not yet enough) to send.
    func uploadBatch<C: Clock>(force: Bool, clock: C, report: inout DrainReport) async throws -> Bool
    where C.Duration == Duration {
        // The day's reports first: small, and due before 17:00.
        if try await sendNextReport(report: &report) { return true }
        if let spooled = outbox.load() {
            let ids = spooled.items.map(\.id)
            let open = try await store { queue in
                Set(try ids.filter { try queue.status(of: $0).local == .batched })
            }
            if !open.isEmpty {
                try await offer(
                    spooled.manifest, packaged: spooled.items, open: open, clock: clock, report: &report)
                return true
            }
            outbox.clear()
        }
        let policy = configuration.policy
        let waiting = try await store { queue in
            try queue.uplinkCandidates(in: [.ready, .batched], limit: policy.maxCount + 1)
        }
        let leftovers = waiting.contains { $0.status.local == .batched }
        let count = policy.take(
            sizes: waiting.map(\.sealedBytes), oldest: waiting.first?.capturedAt, now: Date(),
            force: force || leftovers)
        guard count > 0 else { return false }
        // Nothing is sealed out of a damaged store (queue.store_damaged stops the drain; the rows stay as they are).
        try await store { queue in try queue.checkIntegrity() }
        let chosen = Array(waiting.prefix(count))

        // Intent first: ready → batched, durably, before anything leaves the station.
        let intent = chosen.filter { $0.status.local == .ready }.map { candidate in
            UplinkChange(id: candidate.id, action: "batch") { status in
                var next = status
                next.local = .batched
                return [next]
            }
        }
        try await store { queue in try queue.applyUplinkChanges(intent, by: .system) }

        var packaged: [PackagedItem] = []
        var broken: [UplinkChange] = []
        for candidate in chosen {
            do {
                if let ready = packagedAhead.take(candidate.id) {
                    packaged.append(ready)
                    continue
                }
                let application = try await store { queue in try queue.application(candidate.id) }
                packaged.append(try Packager.package(application, credentials: credentials))
            } catch let error as QueueError {
                broken.append(Self.attention(candidate.id, reason: error.code.rawValue))
            } catch {
                broken.append(Self.attention(candidate.id, reason: CentralError.Code.packaging.rawValue))
            }
        }
        let brokenChanges = broken
        try await store { queue in try queue.applyUplinkChanges(brokenChanges, by: .system) }
        report.refused += broken.count
        guard !packaged.isEmpty else { return true }

        let manifest = BatchManifest(
            batchID: UUID().uuidString, stationID: credentials.stationID, createdAt: Date(),
            items: packaged.map(\.item), dsCertificates: PackagedItem.dsCertificates(packaged))
        // Spool before offering: from the moment the central may hold part of it, the batch can be resumed.
        let spool = outbox
        let items = packaged
        try await store { _ in try spool.save(manifest, items: items) }
        try await offer(manifest, packaged: packaged, open: Set(packaged.map(\.id)), clock: clock, report: &report)
        return true
    }

    /// Offers `manifest`, uploads what the central asks for, and applies the answers to the rows in `open` (the
    /// rows still `batched`; a resumed batch may hold rows an earlier run already settled). Clears the spool at
    /// the end.
    func offer<C: Clock>(
        _ manifest: BatchManifest, packaged: [PackagedItem], open: Set<ApplicationID>, clock: C,
        report: inout DrainReport
    ) async throws where C.Duration == Duration {
        let batchID = manifest.batchID
        events(
            .batchOffered(batch: batchID, items: packaged.count, bytes: packaged.reduce(0) { $0 + $1.envelope.count }))
        // The audit head travels with every offer (a spooled batch offered again carries the head of now).
        var offered = manifest
        offered.audit = try await auditClaim()
        let answer = try await configuration.client.offer(offered, credentials: credentials)
        try recordAnchor(answer.auditAnchor)
        // Package the next batch while this one is on the wire: the link, not the CPU, sets the pace.
        let excluded = Set(packaged.map(\.id))
        let ahead = Task { await prefetch(excluding: excluded) }
        defer { ahead.cancel() }

        var changes: [UplinkChange] = []
        var send: [PackagedItem] = []
        let byID = Dictionary(uniqueKeysWithValues: packaged.map { ($0.item.applicationID, $0) })
        for decision in answer.decisions {
            guard let item = byID[decision.applicationID] else { continue }
            switch decision.decision {
            case .send: send.append(item)
            case .alreadyHave: changes.append(Self.received(item.id))
            case .refused: changes.append(Self.attention(item.id, reason: decision.reason ?? "central.refused"))
            }
        }
        let answered = changes.filter { open.contains($0.id) }
        try await store { queue in try queue.applyUplinkChanges(answered, by: .system) }
        report.received += answered.filter { $0.action == "upload_ack" }.count
        report.refused += answered.filter { $0.action != "upload_ack" }.count

        var results: [ItemResult] = []
        if !send.isEmpty {
            let payload = send.reduce(into: Data()) { $0.append($1.envelope) }
            guard payload.count == answer.uploadLength else {
                throw UplinkError(
                    .central, "the central expects \(answer.uploadLength) bytes, the station has \(payload.count)")
            }
            results = try await upload(
                batchID: batchID, payload: payload, from: answer.uploadOffset, clock: clock, report: &report)
        }
        var final: [UplinkChange] = []
        let sendIDs = Dictionary(uniqueKeysWithValues: send.map { ($0.item.applicationID, $0.id) })
        for result in results {
            guard let id = sendIDs[result.applicationID] else { continue }
            switch result.outcome {
            case .received: final.append(Self.received(id))
            case .refused: final.append(Self.attention(id, reason: result.reason ?? "central.refused"))
            }
        }
        let finalChanges = final.filter { open.contains($0.id) }
        try await store { queue in try queue.applyUplinkChanges(finalChanges, by: .system) }
        outbox.clear()
        let received = finalChanges.filter { $0.action == "upload_ack" }.count
        report.received += received
        report.refused += finalChanges.count - received
        report.batches += 1
        try recordSync()
        events(
            .batchFinished(
                batch: batchID, received: received + answered.filter { $0.action == "upload_ack" }.count,
                refused: finalChanges.count - received, unanswered: send.count - final.count))
    }

    /// Packages the applications the next batch will most likely hold (ready, oldest first, not in the batch on
    /// the wire) into `packagedAhead`. Read-only on the queue: the rows move only when that batch is cut. A
    /// failure just leaves the work to the next batch.
    func prefetch(excluding: Set<ApplicationID>) async {
        let limit = configuration.policy.maxCount
        packagedAhead.clear()
        guard
            let candidates = try? await store({ queue in
                try queue.uplinkCandidates(in: [.ready], limit: limit + excluding.count)
            })
        else { return }
        var bytes = 0
        for candidate in candidates.lazy.filter({ !excluding.contains($0.id) }).prefix(limit) {
            if Task.isCancelled || bytes > configuration.policy.maxBytes { return }
            guard let application = try? await store({ queue in try queue.application(candidate.id) }),
                let item = try? Packager.package(application, credentials: credentials)
            else { continue }
            bytes += item.envelope.count
            packagedAhead.put(item)
        }
    }

    /// Uploads `payload` from `offset` in chunks; after a transient failure, waits by the backoff, asks the
    /// receiver how much it holds and resumes there (at most 12 retries in a row). Returns the per-item results of
    /// the completing chunk.
    func upload<C: Clock>(
        batchID: String, payload: Data, from offset: Int, clock: C, report: inout DrainReport
    ) async throws -> [ItemResult] where C.Duration == Duration {
        var offset = offset
        var retries = RetrySchedule(backoff: configuration.backoff, maxRetries: 12)
        // When the first chunk that failed was sent, since the last one that went through (the stall line).
        var stalledSince: C.Instant?
        while true {
            let sent = clock.now
            do {
                let (next, results) = try await step(
                    batchID: batchID, payload: payload, offset: offset, report: &report)
                if let results { return results }
                offset = next
                retries.succeeded()
                stalledSince = nil
            } catch let error as CentralClient.CallError where error.isTransient {
                guard let delay = retries.failed(retryAfter: error.retryAfter) else { throw error }
                report.retries += 1
                let since = stalledSince ?? sent
                stalledSince = since
                events(
                    .retrying(
                        after: delay, code: error.error.code.rawValue,
                        stalledFor: since.duration(to: clock.now) / .seconds(1)))
                try await clock.sleep(for: .milliseconds(Int64((delay * 1000).rounded())))
                // Resynchronise: the cut may have come after the receiver stored the chunk.
                if let state = try? await progress(batchID) {
                    if let results = state.results { return results }
                    offset = state.offset
                }
            }
        }
    }

    /// What the receiver holds of a batch.
    func progress(_ batchID: String) async throws -> UploadProgress {
        try await configuration.client.progress(batchID: batchID, credentials: credentials)
    }

    /// Sends the chunk at `offset`; returns the new offset, and the results once complete.
    func step(
        batchID: String, payload: Data, offset: Int, report: inout DrainReport
    ) async throws -> (Int, [ItemResult]?) {
        if offset >= payload.count {
            let state = try await progress(batchID)
            if let results = state.results { return (state.offset, results) }
            if state.offset >= payload.count {
                // The receiver holds every byte but is still checking and storing the items: ask again shortly
                // (answering "no results" here would offer the items again in a new batch).
                throw CentralClient.CallError(
                    error: CentralError(.unavailable, "the central is still storing the batch"), status: 503,
                    retryAfter: 1)
            }
            return (state.offset, nil)
        }
        let end = min(payload.count, offset + configuration.chunkSize)
        let chunk = payload.subdata(in: offset..<end)
        report.bytesSent += chunk.count
        let progress = try await configuration.client.sendPayload(
            chunk, batchID: batchID, offset: offset, credentials: credentials)
        events(.progress(batch: batchID, sentBytes: progress.offset, totalBytes: payload.count))
        return (progress.offset, progress.results)
    }

    /// Runs a queue call on the store's executor (its background lane: nobody waits on the upload).
    @discardableResult
    func store<T: Sendable>(_ body: @escaping @Sendable (ApplicationQueue) throws -> T) async throws -> T {
        try await gateway.run(on: .background, body)
    }

    static func received(_ id: ApplicationID) -> UplinkChange {
        UplinkChange(id: id, action: "upload_ack") { status in
            [
                ApplicationStatus(
                    local: .uploaded,
                    central: status.central.kind == .unknown || status.central == .resend
                        ? .received : status.central)
            ]
        }
    }

    static func attention(_ id: ApplicationID, reason: String) -> UplinkChange {
        UplinkChange(id: id, action: "upload_refused", reasonCode: reason) { status in
            var next = status
            next.local = .needsAttention
            return [next]
        }
    }

    // MARK: - Status sync

    /// Asks the central about every uploaded or exported application not yet finished, and records the answers
    /// (one transaction per page of 200). Asks once even with none open: the answer also carries the central's
    /// figures and any master list it delivers. Returns how many applications changed state.
    @discardableResult
    public func syncStatus() async throws -> Int {
        var changed = 0
        let ids = try await store { queue in try queue.uplinkOpenApplications(limit: 100_000) }
        var index = 0
        repeat {
            let page = Array(ids[index..<min(ids.count, index + 200)])
            index += page.count
            let query = StatusQuery(applicationIDs: page.map(\.text), audit: try await auditClaim())
            let (answer, evidence) = try await configuration.client.status(query, credentials: credentials)
            try recordAnchor(answer.auditAnchor)
            if let figures = answer.chipEvidence { try record.update { $0.chipEvidence = figures } }
            if let delivered = answer.masterList, let take = configuration.masterLists {
                let pinned = credentials.pinnedCentral?.signingKey ?? Data()
                await take(delivered, CentralSigning.masterListProblem(delivered, pinned: pinned))
            }
            // The signed answer is kept as evidence of the decisions, before they are applied: a payload is
            // purged only once a signed acceptance is recorded.
            let decided = answer.items.compactMap { item -> (ApplicationID, String)? in
                guard [.accepted, .activated, .rejected].contains(item.state),
                    let id = ApplicationID(item.applicationID)
                else { return nil }
                return (id, item.state.rawValue)
            }
            try await store { queue in try queue.recordCentralReceipts(evidence, states: decided) }
            let changes = answer.items.compactMap { item -> UplinkChange? in
                guard let id = ApplicationID(item.applicationID), item.state != .unknown else { return nil }
                return UplinkChange(id: id, action: "status_sync", reasonCode: item.reason) { status in
                    StatusSteps.steps(from: status, to: item)
                }
            }
            changed += try await store { queue in try queue.applyUplinkChanges(changes, by: .system).changed.count }
        } while index < ids.count
        try recordSync()
        events(.statusSynced(changed: changed))
        return changed
    }

    // MARK: - Audit anchoring

    /// The audit head now, and the station's entry at the point the central last anchored.
    func auditClaim() async throws -> AuditClaim? {
        let anchored = record.read()?.auditAnchor?.point
        return try await store { queue -> AuditClaim? in
            guard let head = try queue.auditHead() else { return nil }
            var point: AuditPoint?
            if let anchored {
                let hash = try queue.auditLink(at: anchored.sequence)
                point = AuditPoint(sequence: anchored.sequence, hash: hash.map { ItemEnvelope.hex(Array($0)) } ?? "")
            }
            return AuditClaim(
                head: AuditPoint(sequence: head.sequence, hash: ItemEnvelope.hex(Array(head.hash))), anchored: point)
        }
    }

    /// Records the anchor a signed answer carried.
    func recordAnchor(_ anchor: AuditAnchor?) throws {
        guard let anchor else { return }
        try record.update { state in
            if (state.auditAnchor?.point.sequence ?? 0) <= anchor.point.sequence { state.auditAnchor = anchor }
        }
    }

    // MARK: - Sync time (for freeze rules)

    /// The last successful sync, or the first start if never synced.
    public func lastSync() -> Date { record.lastSync() }

    func recordSync() throws {
        try record.update { $0.lastSync = Date() }
    }
}

/// The transitions that record one status answer: walk the central states in order (received → accepted →
/// activated), so every step is one the transition table allows and the audit shows each.
public enum StatusSteps {
    /// The steps from `status` to what the central said.
    public static func steps(from status: ApplicationStatus, to item: StatusItem) -> [ApplicationStatus] {
        let order: [CentralState.Kind] = [.unknown, .received, .accepted, .activated]
        var steps: [ApplicationStatus] = []
        var current = status
        func go(_ central: CentralState) {
            let next = ApplicationStatus(local: .uploaded, central: central)
            if next != current {
                steps.append(next)
                current = next
            }
        }
        switch item.state {
        case .unknown:
            return []
        case .resend:
            return status.local == .uploaded ? [ApplicationStatus(local: .ready, central: .resend)] : []
        case .rejected:
            if status.central.kind == .unknown || status.central.kind == .received || status.central == .resend {
                go(.rejected(reason: item.reason ?? "UNSPECIFIED"))
            }
        case .received, .accepted, .activated:
            if status.central.kind == .rejected || status.central.kind == .activated { return [] }
            let target = order.firstIndex(of: CentralState.Kind(rawValue: item.state.rawValue) ?? .received) ?? 1
            let from = (order.firstIndex(of: status.central.kind) ?? 0) + 1
            guard from <= target else { return [] }
            for index in from...target {
                go(CentralState(kind: order[index], reason: nil))
            }
        }
        return steps
    }
}

/// Envelopes packaged ahead of their batch, by application (a sealed envelope stays valid: the application is
/// immutable once ready).
final class PackageCache: @unchecked Sendable {
    private let lock = NSLock()
    private var items: [ApplicationID: PackagedItem] = [:]
    func put(_ item: PackagedItem) { lock.withLock { items[item.id] = item } }
    func take(_ id: ApplicationID) -> PackagedItem? { lock.withLock { items.removeValue(forKey: id) } }
    func clear() { lock.withLock { items.removeAll() } }
}
