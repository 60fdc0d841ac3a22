import Foundation
import Intake
import Queue

/// The queue as the daemon uses it: every call runs on the store's own thread.
final class StoreGateway: Sendable {
    let queue: ApplicationQueue
    private let executor = BlockingExecutor(label: "stationd.store")

    init(queue: ApplicationQueue) { self.queue = queue }

    func run<T: Sendable>(_ body: @escaping @Sendable (ApplicationQueue) throws -> T) async throws
        -> T
    {
        let queue = self.queue
        return try await executor.run { try body(queue) }
    }

    func purge() async throws -> Int { try await run { try $0.purgeExpiredPayloads() } }

    /// A stable code for any error the store throws.
    static func code(of error: any Error) -> String {
        (error as? QueueError)?.code.rawValue ?? "queue.storage"
    }
}
