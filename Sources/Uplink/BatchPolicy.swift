import Foundation

/// When to send: a pure rule over what is waiting. A batch is cut at `maxCount` items or `maxBytes`; a smaller
/// batch is sent once its oldest item has waited `maxAge`, or at once when forced (operator's "send now",
/// leftovers of an interrupted batch).
public struct BatchPolicy: Sendable, Hashable, Codable {
    /// Most items per batch.
    public var maxCount: Int
    /// Most bytes (sealed sizes) per batch; one oversized item still goes alone.
    public var maxBytes: Int
    /// Longest wait of the oldest item before a partial batch is sent.
    public var maxAge: TimeInterval

    /// Creates a policy (defaults: 50 items, 4 MiB, 10 minutes).
    public init(maxCount: Int = 50, maxBytes: Int = 4 << 20, maxAge: TimeInterval = 600) {
        self.maxCount = maxCount
        self.maxBytes = maxBytes
        self.maxAge = maxAge
    }

    /// How many of `sizes` (oldest first) go in the next batch: 0 means wait.
    public func take(sizes: [Int], oldest: Date?, now: Date, force: Bool) -> Int {
        guard !sizes.isEmpty else { return 0 }
        var count = 0
        var bytes = 0
        for size in sizes {
            if count == maxCount || (count > 0 && bytes + size > maxBytes) { break }
            count += 1
            bytes += size
        }
        let full = count == maxCount || count < sizes.count || bytes >= maxBytes
        let old = oldest.map { now.timeIntervalSince($0) >= maxAge } ?? false
        return full || old || force ? count : 0
    }
}
