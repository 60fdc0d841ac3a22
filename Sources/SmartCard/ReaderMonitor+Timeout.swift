import Foundation

extension ReaderMonitor {
    /// The monitor's events until `seconds` pass: with `resetOnEvent`, seconds of quiet (handy to collect the
    /// readers and cards present at start, which the first pass reports at once); otherwise seconds in all.
    public func withTimeout(seconds: Double, resetOnEvent: Bool = true) -> AsyncStream<ReaderEvent> {
        AsyncStream { continuation in
            let deadline = Deadline(Date(timeIntervalSinceNow: seconds))
            let reader = Task {
                for await event in self {
                    if resetOnEvent { deadline.set(Date(timeIntervalSinceNow: seconds)) }
                    continuation.yield(event)
                }
                continuation.finish()
            }
            let timer = Task {
                while !Task.isCancelled {
                    if Date() >= deadline.get() {
                        continuation.finish()
                        return
                    }
                    try? await Task.sleep(for: .milliseconds(10))
                }
            }
            continuation.onTermination = { _ in
                reader.cancel()
                timer.cancel()
            }
        }
    }
}

private final class Deadline: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Date
    init(_ value: Date) { self.value = value }
    func get() -> Date { lock.withLock { value } }
    func set(_ newValue: Date) { lock.withLock { value = newValue } }
}
