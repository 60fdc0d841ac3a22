import CentralAPI

/// Where the daemon's uplink is, as `/v1/status` and `/v1/upload` show it (`UploadStatus.state`): the raw values
/// are the wire strings, unchanged.
public enum UplinkPhase: String, Sendable, Hashable, CaseIterable {
    /// No `uplink.url` configured.
    case notConfigured
    /// Not enrolled with the central yet (or its keys are not pinned).
    case notEnrolled
    /// Enrolled, no cycle running; the last one ended well.
    case idle
    /// A cycle is running, or one was asked for.
    case uploading
    /// The last cycle or enrollment could not reach the central (no link, or the deadline passed with work left).
    case offline
    /// The last cycle or enrollment failed for another reason (`lastError` says which).
    case failed

    /// The phase a cycle or an enrollment ends in: `idle` when it went well, `offline` when the central could not
    /// be reached (`central.transport`, or `uplink.deadline`: work left when time ran out), `failed` otherwise.
    public static func after(error code: String?) -> UplinkPhase {
        guard let code else { return .idle }
        return [CentralError.Code.transport.rawValue, UplinkError.Code.deadline.rawValue].contains(code)
            ? .offline : .failed
    }
}
