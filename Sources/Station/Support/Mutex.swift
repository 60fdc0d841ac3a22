import Foundation

/// A small lock-protected value that closures may capture and that returns non-`Sendable` results freely: the
/// station's services keep their shared state in one (ChipID, with simpler needs, uses `Synchronization.Mutex`).
final class Mutex<Value>: @unchecked Sendable {
    private var value: Value
    private let lock = NSLock()

    init(_ value: Value) { self.value = value }

    func withLock<T>(_ body: (inout Value) throws -> T) rethrows -> T {
        lock.lock()
        defer { lock.unlock() }
        return try body(&value)
    }
}
