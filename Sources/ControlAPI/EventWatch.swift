import Dispatch
import Foundation

/// The daemon's events read on a connection and a thread of their own until `stop()`: for a command that shows
/// events while it waits for the answer to a request on its own connection (a guided intake shows the capture
/// flow's advice while its finger request runs).
public final class EventWatch: @unchecked Sendable {
    private let client: ControlClient
    private let lock = NSLock()
    private var stopping = false
    private let finished = DispatchSemaphore(value: 0)

    /// Opens the event stream on `client` (a connection not used for anything else) and hands each event to
    /// `onEvent` on the watch's thread. Waits at most `openTimeout` seconds for the daemon to accept the stream, so
    /// that no event after this call returns is missed; a stream refused or not open in time only means no events.
    public init(
        client: ControlClient, openTimeout: Double = 2,
        onEvent: @escaping @Sendable (_ type: String, _ event: StationEvent) -> Void
    ) {
        self.client = client
        let opened = DispatchSemaphore(value: 0)
        let thread = Thread { [self] in
            _ = try? client.events(onOpen: { opened.signal() }) { type, data in
                if let event = try? ControlJSON.decoder().decode(StationEvent.self, from: Data(data.utf8)) {
                    onEvent(type, event)
                }
                return !self.isStopping
            }
            opened.signal()  // refused or lost before it opened: nobody waits any longer
            client.close()
            finished.signal()
        }
        thread.name = "event-watch"
        thread.start()
        _ = opened.wait(timeout: .now() + openTimeout)
    }

    private var isStopping: Bool { lock.withLock { stopping } }

    /// Stops the watch: the stream is cut and its thread ended before this returns.
    public func stop() {
        lock.withLock { stopping = true }
        client.interrupt()
        finished.wait()
    }
}
