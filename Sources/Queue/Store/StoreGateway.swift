import Foundation
import JobThreads

/// The store's one executor: every call to the queue from async code (the daemon's routes and services, the
/// uploader, the exporter) runs on one of this gateway's `JobThread`s, in submission order, never on Swift's
/// cooperative pool (SQLite and fsync block). The daemon makes one gateway and hands it to everything. Two lanes,
/// so that the uploader's long calls (an integrity check before a batch, packaging ahead) never queue in front of
/// an operator's request: SQLite's WAL lets a reader and the writer work at once, and GRDB serialises writers.
public final class StoreGateway: Sendable {
    /// Which thread runs a call.
    public enum Lane: Sendable {
        /// Requests someone waits for (routes, intake, status): the default.
        case interactive
        /// Work nobody waits for (the upload cycle).
        case background
    }

    /// The queue (for synchronous callers that are already off the cooperative pool).
    public let queue: ApplicationQueue
    private let interactive: JobThread
    private let background: JobThread

    /// A gateway with its own threads.
    public init(queue: ApplicationQueue) {
        self.queue = queue
        interactive = JobThread(name: "queue.store")
        background = JobThread(name: "queue.store.bg")
    }

    deinit {
        interactive.stop(waiting: false)
        background.stop(waiting: false)
    }

    /// Runs `body` with the queue on the lane's thread.
    @discardableResult
    public func run<T: Sendable>(
        on lane: Lane = .interactive, _ body: @escaping @Sendable (ApplicationQueue) throws -> T
    ) async throws -> T {
        let queue = self.queue
        return try await (lane == .interactive ? interactive : background).run { try body(queue) }
    }

    /// Purges payloads past retention.
    public func purge() async throws -> Int { try await run { try $0.purgeExpiredPayloads() } }

    /// A stable code for any error the store throws.
    public static func code(of error: any Error) -> String {
        (error as? QueueError)?.code.rawValue ?? "queue.storage"
    }
}
