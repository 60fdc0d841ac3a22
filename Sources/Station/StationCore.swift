import ChipID
import ControlAPI
import Foundation
import Logging
import Queue

/// Everything the control routes need, built once by `StationDaemon`.
final class StationCore: Sendable {
    let configuration: StationConfiguration
    let store: StoreGateway
    let devices: DeviceState
    let hub: EventHub
    let metrics: StationMetrics
    let intake: IntakeCoordinator
    let upload: any UploadService
    let fingerprints: FingerprintStationHandle
    /// The chip-reading seam (the health check-in's reads; intake's go through `intake`).
    let chips: any ChipReading
    /// The CSCA anchors reads use (configured and delivered by the central).
    let anchors: TrustAnchorStore
    let startedAt: Date
    /// The audit chain verified intact at start.
    let storeConsistent: Bool
    let cursors = CursorCache()
    /// The health check-in desk's insurance lookup and QR scanner.
    let desk: DeskServices
    /// The store key's rotation (`/v1/keys/rotate`), run as a service by the daemon.
    let keyRotation: KeyRotationService
    let logger: Logger

    init(
        configuration: StationConfiguration, store: StoreGateway, devices: DeviceState, hub: EventHub,
        metrics: StationMetrics, intake: IntakeCoordinator, upload: any UploadService,
        fingerprints: FingerprintStationHandle, chips: any ChipReading, anchors: TrustAnchorStore,
        storeConsistent: Bool, logger: Logger
    ) {
        self.chips = chips
        self.anchors = anchors
        self.configuration = configuration
        self.store = store
        self.devices = devices
        self.hub = hub
        self.metrics = metrics
        self.intake = intake
        self.upload = upload
        self.fingerprints = fingerprints
        self.storeConsistent = storeConsistent
        self.logger = logger
        desk = DeskServices(settings: configuration.desk)
        keyRotation = KeyRotationService(store: store, batch: configuration.resealBatch, logger: logger)
        startedAt = Date()
    }

    /// Queue counts by local state (every state present), from the trigger-maintained counters: constant time
    /// whatever the queue's size (`countedSummary` scans every row).
    func queueCounts() async throws -> QueueCounts {
        let summary = try await store.run { try $0.summary() }
        var byState: [String: Int] = [:]
        for state in LocalState.allCases { byState[state.rawValue] = summary.count(state) }
        return QueueCounts(byState: byState, total: summary.total)
    }

    func status() async throws -> StationStatus {
        var status = StationStatus(
            version: StationVersion.current, profile: configuration.profile.rawValue,
            uptimeSeconds: Int(Date().timeIntervalSince(startedAt)), devices: devices.status(),
            queue: try await queueCounts(), uplink: await upload.status(),
            freezeRules: await upload.freezeViolations().map(\.code),
            intake: await intake.summary, storeConsistent: storeConsistent,
            trustAnchors: anchors.current.certificates.count, trustSources: anchors.sources)
        status.reports = try await reportSendingStatus()
        return status
    }
}

/// Queue cursors are opaque to clients: the daemon keeps the last few and hands out tokens.
final class CursorCache: Sendable {
    private let state = Mutex<(order: [String], cursors: [String: QueueCursor])>(([], [:]))

    func token(for cursor: QueueCursor?) -> String? {
        guard let cursor else { return nil }
        let token = UUID().uuidString.lowercased()
        state.withLock { state in
            state.cursors[token] = cursor
            state.order.append(token)
            if state.order.count > 512 { state.cursors.removeValue(forKey: state.order.removeFirst()) }
        }
        return token
    }

    func cursor(_ token: String) -> QueueCursor? { state.withLock { $0.cursors[token] } }
}
