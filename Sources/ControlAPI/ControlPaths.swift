/// The control socket's paths, one place for the daemon's router, `stationctl` and the OpenAPI check.
public enum ControlPaths {
    /// API version prefix.
    public static let prefix = "/v1"
    /// Default socket path.
    public static let defaultSocket = "/run/stationd/control.sock"
    public static let status = "/v1/status"
    public static let readers = "/v1/readers"
    public static let fingerprint = "/v1/fingerprint"
    public static let queue = "/v1/queue"
    public static let intake = "/v1/intake"
    /// `GET`: the banks a 3-in-1 or 4-in-1 may name.
    public static let banks = "/v1/banks"
    public static let upload = "/v1/upload"
    /// `POST`: enroll with the central once the technician confirmed its key fingerprint (supervisors).
    public static let enroll = "/v1/upload/enroll"
    public static let export = "/v1/export"
    public static let verify = "/v1/verify"
    public static let reports = "/v1/reports"
    public static let events = "/v1/events"
    public static let metrics = "/metrics"
}

/// The daemon's version as reported by `/v1/status`.
public enum StationVersion {
    /// Semantic version of stationd and its control API.
    public static let current = "0.1.0"
}
