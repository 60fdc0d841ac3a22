import ControlAPI
import Foundation

/// Fan-out of station events to every `/v1/events` subscriber. Slow subscribers lose the oldest events
/// (bounded buffer) rather than slowing the station.
public final class EventHub: Sendable {
    private let state = Mutex<[UUID: AsyncStream<StationEvent>.Continuation]>([:])

    /// Creates a hub.
    public init() {}

    /// Publishes an event to all subscribers.
    public func publish(_ event: StationEvent) {
        let continuations = state.withLock { Array($0.values) }
        for continuation in continuations { continuation.yield(event) }
    }

    /// A new subscription; it ends when the consumer stops iterating or `finishAll` is called.
    public func subscribe() -> AsyncStream<StationEvent> {
        let id = UUID()
        let (stream, continuation) = AsyncStream<StationEvent>.makeStream(
            bufferingPolicy: .bufferingNewest(256))
        continuation.onTermination = { [weak self] _ in
            _ = self?.state.withLock { $0.removeValue(forKey: id) }
        }
        state.withLock { $0[id] = continuation }
        return stream
    }

    /// Number of subscribers (metrics).
    public var subscriberCount: Int { state.withLock { $0.count } }

    /// Ends every subscription (shutdown).
    public func finishAll() {
        let continuations = state.withLock { Array($0.values) }
        for continuation in continuations { continuation.finish() }
    }
}
