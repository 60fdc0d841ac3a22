import Logging
import Queue
import ServiceLifecycle

/// Runs the retention purge periodically.
struct PurgeService: Service {
    let store: StoreGateway
    let period: Double
    let logger: Logger

    func run() async throws {
        try? await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do {
                    let purged = try await store.purge()
                    if purged > 0 { logger.info("retention purge", metadata: ["purged": "\(purged)"]) }
                } catch {
                    logger.error(
                        "retention purge failed", metadata: ["code": "\(StoreGateway.code(of: error))"])
                }
                try await Task.sleep(for: .seconds(period))
            }
        }
    }
}
