import Foundation

/// The store's sealer, replaceable while the store is open: a key rotation installs the ring with the new key (new
/// payloads sealed under it at once), and later the ring without the destroyed keys.
final class SealerSlot: @unchecked Sendable {
    private let lock = NSLock()
    private var sealer: PayloadSealer

    init(_ sealer: PayloadSealer) { self.sealer = sealer }

    /// The sealer in use.
    var current: PayloadSealer { lock.withLock { sealer } }

    /// Replaces the sealer.
    func install(_ sealer: PayloadSealer) { lock.withLock { self.sealer = sealer } }
}
