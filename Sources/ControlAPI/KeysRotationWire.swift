import Foundation

extension ControlPaths {
    /// `POST`: start a rotation of the store key; `GET`: where it stands (supervisors; audited `keys_rotate`).
    public static let keysRotate = "/v1/keys/rotate"
}

/// `GET` and `POST /v1/keys/rotate`: the store key's rotation. New data is sealed under the new key from the moment
/// the rotation starts; older values are re-sealed in the background; the older key is destroyed once nothing
/// needs it (`state` back to `idle`, `olderKeys` empty).
public struct KeysRotationWire: Codable, Sendable, Equatable {
    /// `idle` (no older key in the key file), `resealing`, or `failed` (the last batch failed: `lastError`; retried).
    public var state: String
    /// The key new data is sealed under (`k2` is 2).
    public var currentKey: Int
    /// Keys still kept because something may be sealed under them.
    public var olderKeys: [Int]
    /// Sealed values still under an older key, by kind (`applications`, `eligibility`, `cleansing`, `operators`,
    /// `audit_notes`).
    public var remaining: [String: Int]
    /// Their sum.
    public var remainingTotal: Int
    /// Values re-sealed since this daemon started.
    public var resealed: Int
    /// Key ids destroyed by the last rotation that ended in this daemon.
    public var destroyed: [Int]
    /// Stable code of the last failure (nil: none).
    public var lastError: String?
    /// A key backup made before the last rotation started no longer restores this store: make a new one.
    public var backupStale: Bool

    public init(
        state: String, currentKey: Int, olderKeys: [Int], remaining: [String: Int], remainingTotal: Int,
        resealed: Int, destroyed: [Int], lastError: String?, backupStale: Bool
    ) {
        self.state = state
        self.currentKey = currentKey
        self.olderKeys = olderKeys
        self.remaining = remaining
        self.remainingTotal = remainingTotal
        self.resealed = resealed
        self.destroyed = destroyed
        self.lastError = lastError
        self.backupStale = backupStale
    }
}
