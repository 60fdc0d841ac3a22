import ControlAPI
import Foundation
import Messages
import Uplink

/// The seam Uplink plugs into: start an upload now, report progress and the last sync.
///
/// The daemon talks to this protocol only: `UplinkUploadService` when `uplink.url` is configured, otherwise
/// `NotConfiguredUpload`, which answers `configured: false` (state `notConfigured`) and refuses to start.
public protocol UploadService: Sendable {
    /// The current state.
    func status() async -> UploadStatus
    /// Starts an upload of everything ready; returns a job id. Throws when not possible now.
    func startNow() async throws -> String
    /// The freeze rules broken now (empty: new intakes allowed).
    func freezeViolations() async -> [FreezeRules.Violation]
    /// Starts writing ready applications to a removable-media folder (supervisors only; checked by the route);
    /// returns the job's id. Throws when not possible now (not enrolled, a relative folder, an export running).
    func startExport(to directory: String) async throws -> String
    /// The export job running, or the last one (`GET /v1/export`).
    func exportStatus() async -> ExportStatus
    /// Enrolls with the central, pinning its keys only if their fingerprint is the confirmed one (supervisors
    /// only; checked by the route). `supervisor` is recorded as who confirmed a change of keys.
    func enroll(_ request: EnrollRequest, by supervisor: String) async throws -> EnrollResult
    /// Probes the central now, against the pinned keys, within a short timeout (`GET /v1/upload/probe`).
    func probe() async -> UploadProbeWire
}

extension UploadService {
    public func freezeViolations() async -> [FreezeRules.Violation] { [] }

    public func probe() async -> UploadProbeWire { UploadProbeWire(configured: false, enrolled: false, ok: false) }

    public func enroll(_ request: EnrollRequest, by supervisor: String) async throws -> EnrollResult {
        throw APIError(.unavailable, Message(.controlUploadNotConfiguredEnroll))
    }

    public func startExport(to directory: String) async throws -> String {
        throw APIError(.unavailable, Message(.controlUploadNotConfiguredExport))
    }

    public func exportStatus() async -> ExportStatus { ExportStatus() }
}

/// The upload service while no uplink is configured.
public struct NotConfiguredUpload: UploadService {
    /// Creates the placeholder.
    public init() {}

    public func status() async -> UploadStatus {
        UploadStatus(configured: false, state: UplinkPhase.notConfigured.rawValue)
    }

    public func startNow() async throws -> String {
        throw APIError(.unavailable, Message(.controlUploadNotConfigured))
    }
}
