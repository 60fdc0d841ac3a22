import ControlAPI
import Foundation

/// Fan-out of station events to every `/v1/events` subscriber. Slow subscribers lose the oldest events
/// (bounded buffer) rather than slowing the station. Once finished (the daemon stops) every subscription, a new one
/// included, ends at once, so no stream holds the shutdown up.
public final class EventHub: Sendable {
    private struct State {
        var subscribers: [UUID: AsyncStream<StationEvent>.Continuation] = [:]
        var finished = false
    }
    private let state = Mutex(State())

    /// Creates a hub.
    public init() {}

    /// Publishes an event to all subscribers.
    public func publish(_ event: StationEvent) {
        let continuations = state.withLock { Array($0.subscribers.values) }
        for continuation in continuations { continuation.yield(event) }
    }

    /// A new subscription; it ends when the consumer stops iterating or `finishAll` is called.
    public func subscribe() -> AsyncStream<StationEvent> {
        let id = UUID()
        let (stream, continuation) = AsyncStream<StationEvent>.makeStream(
            bufferingPolicy: .bufferingNewest(256))
        continuation.onTermination = { [weak self] _ in
            _ = self?.state.withLock { $0.subscribers.removeValue(forKey: id) }
        }
        let open = state.withLock { state in
            if !state.finished { state.subscribers[id] = continuation }
            return !state.finished
        }
        if !open { continuation.finish() }
        return stream
    }

    /// Number of subscribers (metrics).
    public var subscriberCount: Int { state.withLock { $0.subscribers.count } }

    /// Ends every subscription (shutdown).
    public func finishAll() {
        let continuations = state.withLock { state in
            state.finished = true
            return Array(state.subscribers.values)
        }
        for continuation in continuations { continuation.finish() }
    }
}
