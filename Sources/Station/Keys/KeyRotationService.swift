import ControlAPI
import Foundation
import Logging
import Messages
import Queue
import ServiceLifecycle

/// The store key's rotation (`POST /v1/keys/rotate`): the new key is added and sealing new data at once, then this
/// service re-seals every older value in the background, a batch per transaction on the store's background lane,
/// and destroys the older key once nothing needs it.
///
/// Crash-safe by construction: the key file itself says a rotation is unfinished (it holds an older key), so a
/// daemon killed mid-way (even `kill -9`) finds the older key at its next start and finishes the job; each batch is
/// one transaction, so nothing is half re-sealed.
final class KeyRotationService: Service, Sendable {
    private struct State {
        var running = false
        var resealed = 0
        var destroyed: [Int] = []
        var lastError: String?
    }

    let store: StoreGateway
    /// Values re-sealed per transaction (`store.reseal_batch`): small enough that an intake's commit never waits
    /// long behind one.
    let batch: Int
    let logger: Logger
    private let state = Mutex(State())
    private let wakes: AsyncStream<Void>
    private let wake: AsyncStream<Void>.Continuation

    init(store: StoreGateway, batch: Int, logger: Logger) {
        self.store = store
        self.batch = batch
        self.logger = logger
        (wakes, wake) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
    }

    /// Starts a rotation: refused (409 `keys.rotation_running`) while one is unfinished.
    func start(by actor: QueueActor) async throws -> KeysRotationWire {
        let claimed = state.withLock { state -> Bool in
            guard !state.running else { return false }
            state.running = true
            return true
        }
        guard claimed else { throw try await runningRefusal() }
        do {
            let progress = try await store.run { queue -> KeyRotationProgress? in
                guard try queue.keyRotationProgress().olderKeyIDs.isEmpty else { return nil }
                return try queue.rotateKey(by: actor)
            }
            guard let progress else {
                // An unfinished rotation from an earlier run: this service finishes it (it was woken at start).
                state.withLock { $0.running = false }
                throw try await runningRefusal()
            }
            logger.notice(
                "store key rotated; re-sealing older data",
                metadata: [
                    "key": "k\(progress.currentKeyID)", "remaining": "\(progress.remainingTotal)",
                    "by": "\(actor.id)",
                ])
            state.withLock { state in
                state.destroyed = []
                state.lastError = nil
            }
            wake.yield()
            return try await status()
        } catch let error as APIError {
            throw error
        } catch {
            let code = StoreGateway.code(of: error)
            state.withLock { state in
                state.running = false
                state.lastError = code
            }
            logger.error("store key rotation refused", metadata: ["code": "\(code)"])
            throw APIError(.internalServerError, moduleCode: code, Message(.keysRotationFailed, ["code": code]))
        }
    }

    private func runningRefusal() async throws -> APIError {
        let progress = try await store.run { try $0.keyRotationProgress() }
        return APIError(
            .conflict, moduleCode: "keys.rotation_running",
            Message(.keysRotationRunning, ["remaining": "\(progress.remainingTotal)"]))
    }

    /// Where the rotation stands.
    func status() async throws -> KeysRotationWire {
        let (progress, stale) = try await store.run { queue in
            (try queue.keyRotationProgress(), try queue.keyBackupIsStale())
        }
        let current = state.withLock { $0 }
        let resealing = !progress.olderKeyIDs.isEmpty
        return KeysRotationWire(
            state: resealing ? (current.lastError == nil ? "resealing" : "failed") : "idle",
            currentKey: progress.currentKeyID, olderKeys: progress.olderKeyIDs, remaining: progress.remaining,
            remainingTotal: progress.remainingTotal, resealed: current.resealed, destroyed: current.destroyed,
            lastError: current.lastError, backupStale: stale)
    }

    // MARK: - Service

    func run() async throws {
        await cancelWhenGracefulShutdown { [self] in
            // A rotation left unfinished by an earlier run (stopped, crashed, killed) is finished now.
            do {
                let unfinished = try await store.run { try $0.keyRotationProgress() }
                if !unfinished.olderKeyIDs.isEmpty {
                    logger.notice(
                        "finishing an unfinished store key rotation",
                        metadata: [
                            "older_keys": "\(unfinished.olderKeyIDs)", "remaining": "\(unfinished.remainingTotal)",
                        ])
                    do {
                        try await store.run {
                            try $0.recordStationEvent(
                                "keys_rotate_resumed", by: .system,
                                reasonCode: "remaining:\(unfinished.remainingTotal)")
                        }
                    } catch {
                        logger.error(
                            "the resumed rotation is not audited", metadata: ["code": "\(StoreGateway.code(of: error))"]
                        )
                    }
                    state.withLock { $0.running = true }
                    wake.yield()
                }
            } catch {
                // Not swallowed: the technician sees why an unfinished rotation did not resume (the next
                // `stationctl keys rotate` or restart tries again).
                logger.error(
                    "cannot check for an unfinished key rotation",
                    metadata: ["code": "\(StoreGateway.code(of: error))"])
            }
            for await _ in wakes {
                await reseal()
            }
        }
        wake.finish()
    }

    /// Re-seals batch after batch until nothing is under an older key, then destroys the older keys. A failed
    /// batch is retried after a pause (the disk may be full for a moment).
    private func reseal() async {
        let batch = self.batch
        while !Task.isCancelled {
            do {
                let count = try await store.run(on: .background) { try $0.resealPayloads(batch: batch) }
                if count > 0 {
                    state.withLock { state in
                        state.resealed += count
                        state.lastError = nil
                    }
                    await Task.yield()
                    continue
                }
                let destroyed = try await store.run(on: .background) { try $0.destroyOlderKeys() }
                if destroyed.isEmpty {
                    // Something was sealed under an older key meanwhile, or no older key is left.
                    let left = try await store.run { try $0.keyRotationProgress().olderKeyIDs }
                    if !left.isEmpty { continue }
                }
                state.withLock { state in
                    state.running = false
                    state.destroyed = destroyed
                    state.lastError = nil
                }
                logger.notice(
                    "store key rotation finished; older keys destroyed",
                    metadata: ["destroyed": "\(destroyed.map { "k\($0)" })"])
                return
            } catch {
                let code = StoreGateway.code(of: error)
                state.withLock { $0.lastError = code }
                logger.error("re-sealing failed; retrying", metadata: ["code": "\(code)"])
                try? await Task.sleep(for: .seconds(5))
            }
        }
    }
}
