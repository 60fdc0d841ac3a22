import ControlAPI
import Foundation

/// The seam Uplink plugs into: start an upload now, report progress and the last sync.
///
/// The daemon talks to this protocol only; until the Uplink module is wired, `NotConfiguredUpload` answers
/// `configured: false` and refuses to start.
public protocol UploadService: Sendable {
    /// The current state.
    func status() async -> UploadStatus
    /// Starts an upload of everything ready; returns a job id. Throws when not possible now.
    func startNow() async throws -> String
}

/// The upload service while no uplink is configured.
public struct NotConfiguredUpload: UploadService {
    /// Creates the placeholder.
    public init() {}

    public func status() async -> UploadStatus {
        UploadStatus(configured: false, state: "notConfigured")
    }

    public func startNow() async throws -> String {
        throw APIError(
            .unavailable, vi: "Chưa cấu hình đường truyền lên trung tâm (uplink.url).",
            en: "No upload endpoint is configured (uplink.url).")
    }
}
