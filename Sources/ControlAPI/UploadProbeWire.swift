import Foundation

extension ControlPaths {
    /// `GET`: probe the central now against the pinned keys (operators; `stationctl doctor`'s `central` check).
    public static let uploadProbe = "/v1/upload/probe"
}

/// `GET /v1/upload/probe`: one probe of the central made when asked (not the uplink's last view), with a short
/// timeout, its answer checked against the pinned signing key.
public struct UploadProbeWire: Codable, Sendable, Hashable {
    /// An uplink is configured (false: nothing was probed).
    public var configured: Bool
    /// The central's keys are pinned (false: nothing was probed; enroll first).
    public var enrolled: Bool
    /// The central answered and its answer is signed by the pinned key.
    public var ok: Bool
    /// Why not (`central.transport`, `central.tls_untrusted`, `uplink.central_unauthenticated`,
    /// `uplink.not_enrolled`, …); nil when `ok`.
    public var code: String?
    /// How long the probe took, in milliseconds.
    public var elapsedMilliseconds: Int
    /// The probe's timeout, in milliseconds.
    public var timeoutMilliseconds: Int
    /// Fingerprint of the pinned central keys (nil: not enrolled).
    public var centralFingerprint: String?

    /// Creates a value.
    public init(
        configured: Bool, enrolled: Bool, ok: Bool, code: String? = nil, elapsedMilliseconds: Int = 0,
        timeoutMilliseconds: Int = 0, centralFingerprint: String? = nil
    ) {
        self.configured = configured
        self.enrolled = enrolled
        self.ok = ok
        self.code = code
        self.elapsedMilliseconds = elapsedMilliseconds
        self.timeoutMilliseconds = timeoutMilliseconds
        self.centralFingerprint = centralFingerprint
    }
}
