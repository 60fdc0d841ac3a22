import CentralAPI
import ControlAPI
import Foundation
import Logging
import Messages
import Queue
import ServiceLifecycle
import Uplink

/// The upload service when `uplink.url` is configured: enrolls the station at start (once, with `uplink.token`,
/// pinning the central's keys only if they match `uplink.central_fingerprint`; else on `stationctl enroll`), then every `uplink.interval_seconds` and on `POST /v1/upload` releases captured applications,
/// drains the ready ones to the central and syncs statuses. Also answers exports and the freeze rules.
///
/// One cycle runs at a time, on this service's own task, woken by `wakes` (an upload asked for, an enrollment, the
/// interval's tick; the stream ends at shutdown), not by polling; queue work goes through the store's one executor.
final class UplinkUploadService: UploadService, Service {
    /// Why the service wakes.
    enum Wake: Sendable {
        /// `POST /v1/upload`.
        case uploadRequested
        /// New credentials (an enrollment): a first cycle now, not at the next interval.
        case enrolled
        /// The interval has passed since the last cycle.
        case due
    }

    /// What the service needs from the configuration.
    struct Settings: Sendable {
        var url: String
        var token: String?
        var stateDirectory: String
        var stationID: String
        var pinnedCA: String?
        var centralFingerprint: String?
        var interval: Double
        var freezeRules: FreezeRules
        var storeDirectory: String

        init(_ configuration: StationConfiguration) {
            url = configuration.uplinkURL ?? ""
            token = configuration.uplinkToken
            stateDirectory = configuration.uplinkState
            let host = ProcessInfo.processInfo.hostName.split(separator: ".").first.map(String.init) ?? "host"
            stationID = configuration.uplinkStationID ?? "station-\(configuration.point.communeCode)-\(host)"
            pinnedCA = configuration.uplinkPinnedCA
            centralFingerprint = configuration.uplinkCentralFingerprint
            interval = configuration.uplinkInterval
            freezeRules = FreezeRules(
                maxDaysWithoutSync: configuration.freezeMaxDaysWithoutSync,
                maxPendingApplications: configuration.freezeMaxPending,
                minFreeBytes: configuration.freezeMinFreeBytes)
            storeDirectory = (configuration.databasePath as NSString).deletingLastPathComponent
        }
    }

    private struct State {
        var phase = UplinkPhase.notEnrolled
        var requested = false
        var sentBytes = 0
        var totalBytes = 0
        var sent = 0
        var total = 0
        var credentials: StationCredentials?
        var uploader: Uploader?
        /// The batch whose acknowledged bytes were last counted, and how many (metrics).
        var ackedBatch = ""
        var ackedBytes = 0
        /// Code of the last failed cycle or enrollment (nil after a good cycle).
        var lastError: String?
        /// Since when the central has taken nothing, why, and the next try (nil while it answers).
        var stall: Stall?
    }

    /// An upload that does not move (`UploadStall` on the wire, with the seconds counted when it is read).
    struct Stall: Sendable, Hashable {
        var since: Date
        var code: String
        var retries: Int
        var nextRetryAt: Date

        /// Another failed attempt, `stalledFor` seconds into the stall as its reporter counts it (an earlier
        /// start kept: the stall lasts until the central answers), the next try `after` seconds from now.
        static func failed(
            _ stall: Stall?, code: String, stalledFor: Double, after: Double, now: Date = Date()
        ) -> Stall {
            Stall(
                since: min(stall?.since ?? now, now.addingTimeInterval(-max(0, stalledFor))), code: code,
                retries: (stall?.retries ?? 0) + 1, nextRetryAt: now.addingTimeInterval(max(0, after)))
        }
    }

    let settings: Settings
    let store: StoreGateway
    let hub: EventHub
    let logger: Logger
    private let state = Mutex(State())
    /// `uplink-state.json`, through its one owner.
    let record: SyncRecord
    /// What wakes the service; at most one wake waits (a request during a cycle gives one more cycle).
    private let wakes: AsyncStream<Wake>
    let wake: AsyncStream<Wake>.Continuation
    /// Where master lists the central delivers are installed.
    private let anchors: TrustAnchorStore
    /// Code of the last delivered master list refused (nil: none, or one installed since).
    /// The master list refused last (its code for the status) and which delivery it was (a hash of the list and its
    /// signature): the same refused list delivered again at every status sync is audited once.
    private let refusedList = Mutex<(code: String, delivery: String)?>(nil)
    /// The pending interval tick.
    private let tick = Mutex<Task<Void, Never>?>(nil)
    /// The export job running, or the last one.
    private let exportJob = Mutex(ExportStatus())

    init(settings: Settings, store: StoreGateway, hub: EventHub, anchors: TrustAnchorStore, logger: Logger) {
        self.anchors = anchors
        self.settings = settings
        self.store = store
        self.hub = hub
        self.logger = logger
        try? FileManager.default.createDirectory(
            atPath: settings.stateDirectory, withIntermediateDirectories: true,
            attributes: [.posixPermissions: 0o700])
        record = SyncRecord(directory: settings.stateDirectory)
        record.prepare()
        (wakes, wake) = AsyncStream.makeStream(of: Wake.self, bufferingPolicy: .bufferingNewest(1))
    }

    var client: CentralClient { CentralClient(baseURL: settings.url, timeout: 30, pinnedCA: settings.pinnedCA) }

    // MARK: - UploadService

    func status() async -> UploadStatus {
        let current = state.withLock { $0 }
        let record = current.credentials == nil ? nil : self.record.read()
        var status = UploadStatus(
            configured: true, state: current.phase.rawValue, lastSyncAt: record?.lastSync, lastError: current.lastError,
            auditAnchoredAt: record?.auditAnchor?.at, auditAnchoredSequence: record?.auditAnchor?.point.sequence,
            centralFingerprint: current.credentials?.pinnedCentral?.fingerprint)
        status.chipVerified = record?.chipEvidence?.chipVerified
        status.chipEvidenceRejected = record?.chipEvidence?.chipEvidenceRejected
        status.chipPassiveOnly = record?.chipEvidence?.chipPassiveOnly
        status.masterListRefused = refusedList.withLock { $0?.code }
        status.stall = current.stall.map {
            UploadStall(since: $0.since, code: $0.code, retries: $0.retries, nextRetryAt: $0.nextRetryAt)
        }
        if current.phase == .uploading, current.totalBytes > 0 {
            status.progress = min(1, Double(current.sentBytes) / Double(current.totalBytes))
            status.sent = current.sent
            status.total = current.total
        }
        return status
    }

    func enroll(_ request: EnrollRequest, by supervisor: String) async throws -> EnrollResult {
        if let provisioning = request.provisioning {
            return try await enroll(fromFile: provisioning, request, by: supervisor)
        }
        guard let token = request.token ?? settings.token else {
            throw APIError(.badRequest, code: ControlErrorCode.noEnrollmentToken, Message(.uplinkNoToken))
        }
        do {
            let credentials = try await Uploader.enroll(
                client: client,
                credentials: try StationCredentials.load(
                    directory: settings.stateDirectory, stationID: settings.stationID),
                token: token, centralFingerprint: request.centralFingerprint,
                changeConfirmedBy: request.acceptKeyChange == true ? supervisor : nil)
            try install(credentials)
            wake.yield(.enrolled)  // a first cycle now, not at the next interval
            logger.notice(
                "station enrolled; central keys pinned",
                metadata: [
                    "station": "\(settings.stationID)",
                    "central_fingerprint": "\(credentials.pinnedCentral?.fingerprint ?? "")",
                    "confirmed_by": "\(supervisor)",
                ])
            return EnrollResult(
                stationID: settings.stationID, centralFingerprint: credentials.pinnedCentral?.fingerprint ?? "")
        } catch let error as UplinkError {
            let code = Self.code(of: error)
            state.withLock { $0.lastError = code }
            // The uplink's own reason goes to the technician as the detail; the text is the catalog's.
            throw APIError(.conflict, moduleCode: code, Self.enrollmentRefusal(code), detail: error.reason)
        }
    }

    /// What a refusal means, for the technician.
    static func enrollmentRefusal(_ code: String) -> Message {
        switch code {
        case UplinkError.Code.fingerprintMismatch.rawValue: Message(.controlEnrollFingerprintMismatch)
        case UplinkError.Code.centralKeyChanged.rawValue: Message(.controlEnrollCentralKeyChanged)
        case UplinkError.Code.centralUnauthenticated.rawValue: Message(.controlEnrollCentralUnauthenticated)
        default: Message(.controlEnrollFailed, ["code": code])
        }
    }

    func startNow() async throws -> String {
        let enrolled = state.withLock { state -> Bool in
            guard state.uploader != nil else { return false }
            state.requested = true
            // Between cycles the request starts one now, so a stall's next try is now, not at the next interval; a
            // running cycle goes on with its own back-off (the request gives one more cycle after it).
            if state.phase != .uploading, let next = state.stall?.nextRetryAt, next > Date() {
                state.stall?.nextRetryAt = Date()
            }
            // Shown at once so that a client polling right after this call sees the upload running.
            state.phase = .uploading
            (state.sentBytes, state.totalBytes, state.sent, state.total) = (0, 0, 0, 0)
            return true
        }
        guard enrolled else {
            throw APIError(
                .serviceUnavailable, moduleCode: UplinkError.Code.notEnrolled.rawValue,
                Message(.controlNotEnrolledUpload))
        }
        wake.yield(.uploadRequested)
        return UUID().uuidString.lowercased()
    }

    func freezeViolations() async -> [FreezeRules.Violation] {
        guard let summary = try? await store.run({ try $0.summary() }) else { return [] }
        let inputs = FreezeRules.Inputs.gather(
            pendingApplications: FreezeRules.pending(in: summary), stateDirectory: settings.stateDirectory,
            storeDirectory: settings.storeDirectory)
        return settings.freezeRules.evaluate(inputs)
    }

    func startExport(to directory: String) async throws -> String {
        guard let credentials = state.withLock({ $0.credentials }), credentials.centralKey != nil else {
            throw APIError(
                .serviceUnavailable, moduleCode: UplinkError.Code.notEnrolled.rawValue,
                Message(.controlNotEnrolledExport))
        }
        guard directory.hasPrefix("/") else {
            throw APIError(.badRequest, Message(.controlExportDirectoryRelative))
        }
        let id = UUID().uuidString.lowercased()
        let running = exportJob.withLock { job -> String? in
            if job.state == .exporting { return job.destination ?? "" }
            job = ExportStatus(id: id, state: .exporting, destination: directory, startedAt: Date())
            return nil
        }
        if let running {
            throw APIError(
                .conflict, code: ControlErrorCode.exportRunning,
                Message(.controlExportRunning, ["destination": running]))
        }
        Task { await export(id: id, to: directory, credentials: credentials) }
        return id
    }

    func exportStatus() async -> ExportStatus { exportJob.withLock { $0 } }

    /// The export job: releases captured applications, writes the ready ones, and keeps its figures current for
    /// `GET /v1/export` as each file is written.
    private func export(id: String, to directory: String, credentials: StationCredentials) async {
        let job = exportJob
        let outcome: (state: ExportStatus.State, error: String?)
        do {
            _ = try await releaseCaptured()
            let report = try await store.run { queue in
                try Exporter(queue: queue, credentials: credentials).export(to: directory) { report in
                    job.withLock { status in
                        guard status.id == id else { return }
                        status.total = report.total
                        status.items = report.items
                        status.failed = report.failed
                        status.files = report.files
                        status.bytes = report.bytes
                        status.folders = report.folders
                    }
                }
            }
            logger.notice(
                "export written",
                metadata: ["items": "\(report.items)", "failed": "\(report.failed)", "bytes": "\(report.bytes)"])
            outcome = (.done, nil)
        } catch {
            let code = (error as? UplinkError)?.code.rawValue ?? Self.code(of: error)
            logger.error("export failed", metadata: ["error": "\(code)"])
            outcome = (.failed, code)
        }
        job.withLock { status in
            guard status.id == id else { return }
            status.state = outcome.state
            status.error = outcome.error
            status.finishedAt = Date()
        }
        hub.publish(StationEvent(type: "queue.changed", reader: nil, state: nil, at: Date()))
    }

    // MARK: - Service

    func run() async throws {
        await cancelWhenGracefulShutdown { [self] in
            await enrollUntilDone()
            schedule(after: 1)
            // Ends when the service's task is cancelled (graceful shutdown) or the stream is finished.
            var lastEnd: ContinuousClock.Instant?
            for await reason in wakes {
                // A tick that fired while a cycle ran is stale: the interval counts from the cycle's end. Unless an
                // upload was asked for meanwhile: the stream keeps only the newest wake, so that tick may have
                // replaced the request's own wake (a request lost so left `stationctl upload --wait` at
                // "uploading" until the next interval).
                if case .due = reason, let lastEnd, lastEnd.duration(to: .now) < .seconds(settings.interval),
                    !state.withLock({ $0.requested })
                {
                    continue
                }
                logger.debug("uplink woken", metadata: ["reason": "\(reason)"])
                state.withLock { $0.requested = false }
                await cycle()
                lastEnd = .now
                schedule(after: settings.interval)
            }
        }
        wake.finish()
        tick.withLock { $0?.cancel() }
    }

    /// Wakes the service after `seconds` (replacing the tick pending, so the interval counts from the last cycle).
    private func schedule(after seconds: Double) {
        let wake = self.wake
        let next = Task {
            try? await Task.sleep(for: .milliseconds(Int64(seconds * 1000)))
            if !Task.isCancelled { wake.yield(.due) }
        }
        tick.withLock { pending in
            pending?.cancel()
            pending = next
        }
    }

    /// Loads (or creates) the key pair and, unless the central's keys are pinned already, enrolls with the token
    /// and the configured fingerprint, retrying every interval while offline. Without a fingerprint it waits for
    /// `stationctl enroll`. A configured fingerprint other than the pinned one stops the uplink until a supervisor
    /// confirms the change.
    private func enrollUntilDone() async {
        while !Task.isCancelled, state.withLock({ $0.uploader == nil }) {
            do throws(any Error) {
                var credentials = try StationCredentials.load(
                    directory: settings.stateDirectory, stationID: settings.stationID)
                if let pinned = credentials.pinnedCentral {
                    if let configured = settings.centralFingerprint, configured != pinned.fingerprint {
                        logger.critical(
                            """
                            uplink.central_fingerprint names other keys than the pinned ones; a supervisor must \
                            confirm the change with stationctl enroll --accept-key-change
                            """)
                        fail(UplinkError.Code.centralKeyChanged.rawValue)
                        return
                    }
                } else {
                    guard let token = settings.token, let fingerprint = settings.centralFingerprint else {
                        logger.error(
                            """
                            uplink not enrolled: confirm the central's fingerprint with stationctl enroll \
                            (or uplink.central_fingerprint) and give the one-time uplink.token
                            """)
                        // An enrollment of an earlier version still seals exports.
                        state.withLock { state in
                            state.credentials = credentials.centralKey == nil ? nil : credentials
                            state.phase = .notEnrolled
                        }
                        return
                    }
                    credentials = try await Uploader.enroll(
                        client: client, credentials: credentials, token: token, centralFingerprint: fingerprint)
                    state.withLock { $0.stall = nil }
                    logger.notice(
                        "station enrolled; central keys pinned",
                        metadata: [
                            "station": "\(settings.stationID)",
                            "key_fingerprint": "\(credentials.keyFingerprint.prefix(16))",
                            "central_fingerprint": "\(credentials.pinnedCentral?.fingerprint ?? "")",
                        ])
                }
                try install(credentials)
                return
            } catch let error as UplinkError
                where [.credentials, .fingerprintMismatch, .centralKeyChanged, .centralUnauthenticated]
                .contains(error.code)
            {
                logger.critical("uplink enrollment refused", metadata: ["error": "\(error.code)"])
                fail(error.code.rawValue)
                return
            } catch {
                let code = Self.code(of: error)
                logger.warning("enrollment failed; retrying", metadata: ["error": "\(code)"])
                let pause = min(settings.interval, 30)
                state.withLock { state in
                    state.phase = UplinkPhase.after(error: code)
                    state.lastError = code
                    state.stall = .failed(state.stall, code: code, stalledFor: 0, after: pause)
                }
                try? await Task.sleep(for: .seconds(pause))
            }
        }
    }

    /// Starts uploading with enrolled credentials.
    func install(_ credentials: StationCredentials) throws {
        let uploader = try Uploader(
            store: store, credentials: credentials,
            configuration: configuration(),
            events: { [weak self] event in self?.record(event) })
        state.withLock { state in
            state.credentials = credentials
            state.uploader = uploader
            state.lastError = nil
            if [.notEnrolled, .failed, .offline].contains(state.phase) { state.phase = .idle }
        }
    }

    /// The uploader's settings: the central, the state folder, and where delivered master lists go.
    private func configuration() -> Uploader.Configuration {
        var configuration = Uploader.Configuration(client: client, stateDirectory: settings.stateDirectory)
        configuration.masterLists = { [weak self] delivered, problem in
            await self?.take(delivered, signatureProblem: problem)
        }
        return configuration
    }

    /// Installs a master list the central delivered, or refuses it (nothing of it loaded); audits either.
    private func take(_ delivered: DeliveredMasterList, signatureProblem: String?) async {
        let action: String
        let code: String
        do throws(TrustListRefusal) {
            if let signatureProblem { throw TrustListRefusal(.signatureInvalid, signatureProblem) }
            guard let installed = try anchors.install(delivered) else { return }
            refusedList.withLock { $0 = nil }
            action = "trust_list_installed"
            code = "sha256:" + installed.sha256.prefix(16)
            logger.notice(
                "master list installed",
                metadata: [
                    "sha256": "\(installed.sha256)", "csca": "\(installed.list.certificates.count)",
                    "countries": "\(installed.list.countries.joined(separator: ","))",
                ])
        } catch {
            let delivery = ItemEnvelope.hash(delivered.list + delivered.signature)
            let again = refusedList.withLock { refused in
                defer { refused = (error.code.rawValue, delivery) }
                return refused?.delivery == delivery && refused?.code == error.code.rawValue
            }
            if again { return }  // refused and audited when it first came; the status still says so
            action = "trust_list_refused"
            code = error.code.rawValue
            logger.error(
                "master list refused: nothing loaded",
                metadata: ["code": "\(error.code.rawValue)", "reason": "\(error.reason)"])
        }
        do {
            try await store.run { try $0.recordStationEvent(action, by: .system, reasonCode: code) }
        } catch {
            logger.error("cannot audit the master list", metadata: ["action": "\(action)"])
        }
    }

    private func fail(_ code: String) {
        state.withLock { state in
            state.phase = .failed
            state.lastError = code
        }
    }

    /// One upload: release captured applications, drain, sync statuses.
    private func cycle() async {
        guard let uploader = state.withLock({ $0.uploader }) else { return }
        let started = Date()
        state.withLock { state in
            state.phase = .uploading
            state.sentBytes = 0
            state.totalBytes = 0
            state.sent = 0
            state.total = 0
        }
        do {
            logger.debug("upload cycle starts")
            try await registerProvisionedKey()
            _ = try await releaseCaptured()
            logger.debug("upload cycle drains")
            let report = try await uploader.drain(until: Date().addingTimeInterval(max(30, settings.interval)))
            let changed = try await uploader.syncStatus()
            logger.info(
                "upload cycle done",
                metadata: [
                    "batches": "\(report.batches)", "received": "\(report.received)", "refused": "\(report.refused)",
                    "status_changed": "\(changed)",
                ])
            state.withLock { state in
                state.lastError = nil
                state.stall = nil
            }
            finish(.idle)
        } catch {
            let code = Self.code(of: error)
            logger.warning("upload cycle failed", metadata: ["error": "\(code)"])
            let phase = UplinkPhase.after(error: code)
            let interval = settings.interval
            // Out of time with work left, or no link: the stall goes on until the next cycle (one that never got to
            // wait starts one here). Any other failure is no stall: `lastError` says what to mend.
            let stalled = phase == .offline || (error as? UplinkError)?.code == .deadline
            state.withLock { state in
                state.lastError = code
                if stalled {
                    var stall =
                        state.stall
                        ?? .failed(nil, code: code, stalledFor: Date().timeIntervalSince(started), after: interval)
                    stall.nextRetryAt = Date().addingTimeInterval(interval)
                    state.stall = stall
                } else {
                    state.stall = nil
                }
            }
            finish(phase)
        }
        hub.publish(StationEvent(type: "queue.changed", reader: nil, state: nil, at: Date()))
    }

    /// Moves committed (`captured`) applications to `ready`: what the station took is released for upload.
    private func releaseCaptured() async throws -> Int {
        try await store.run { queue in
            var moved = 0
            while true {
                let page = try queue.list(QueueFilter(localStates: [.captured]), limit: 200)
                if page.items.isEmpty { break }
                for item in page.items {
                    let current = try queue.status(of: item.id)
                    try queue.transition(
                        item.id, to: ApplicationStatus(local: .ready, central: current.central), by: .system,
                        action: "release_for_upload")
                    moved += 1
                }
            }
            return moved
        }
    }

    private func record(_ event: UplinkEvent) {
        let newlyAcked = state.withLock { state -> Int in
            guard case .progress(let batch, let sentBytes, _) = event else { return 0 }
            if state.ackedBatch != batch { (state.ackedBatch, state.ackedBytes) = (batch, 0) }
            defer { state.ackedBytes = max(state.ackedBytes, sentBytes) }
            return max(0, sentBytes - state.ackedBytes)
        }
        StationMetric.uploadBytes(newlyAcked)
        if case .batchFinished(_, let received, let refused, let unanswered) = event {
            StationMetric.uploadItems(received: received, refused: refused, unanswered: unanswered)
        }
        state.withLock { state in
            switch event {
            case .batchOffered(_, let items, let bytes):
                state.total += items
                state.totalBytes += bytes
            case .progress(_, let sentBytes, let totalBytes):
                state.sentBytes = max(state.sentBytes, sentBytes)
                state.totalBytes = max(state.totalBytes, totalBytes)
                state.stall = nil  // the central acknowledged bytes
            case .batchFinished(_, let received, _, _):
                state.sent += received
                state.stall = nil
            case .retrying(let after, let code, let stalledFor):
                logger.debug(
                    "upload retrying",
                    metadata: [
                        "after_seconds": "\(after)", "code": "\(code)", "stalled_seconds": "\(Int(stalledFor))",
                    ])
                state.stall = .failed(state.stall, code: code, stalledFor: stalledFor, after: after)
            case .centralAnswered, .statusSynced, .reportSent:
                state.stall = nil
            case .offline:
                break
            }
        }
        if case .progress = event {
            hub.publish(
                StationEvent(type: "upload.progress", reader: nil, state: UplinkPhase.uploading.rawValue, at: Date()))
        }
    }

    /// Ends a cycle; an upload requested meanwhile keeps showing `uploading` until its own cycle ends.
    private func finish(_ phase: UplinkPhase) {
        StationMetric.uploadCycle(phase.rawValue)
        state.withLock { state in state.phase = state.requested ? .uploading : phase }
    }

    static func code(of error: any Error) -> String {
        if let error = error as? UplinkError { return error.central?.code.rawValue ?? error.code.rawValue }
        if let error = error as? CentralClient.CallError { return error.error.code.rawValue }
        return StoreGateway.code(of: error)
    }
}
