import CentralAPI
import Foundation
import Queue

/// The central as the upload cycle sees it: the calls of the upload protocol as typed values. `CentralClient` is
/// the real one (HTTP with AsyncHTTPClient, every request signed with the station key, every answer authenticated
/// against the pinned central key before it is returned); tests give a fake central in process, so the cycle's
/// retries, phases, refusals and resumes are tested with a test clock and no sockets.
///
/// Every call fails with a `CentralClient.CallError`: `isTransient` says whether the cycle retries it. An answer the
/// real client cannot authenticate fails with `uplink.central_unauthenticated` and is never returned.
public protocol Central: Sendable {
    /// Per-request timeout (the probe uses at most 5 s of it).
    var timeout: TimeInterval { get }
    /// Why the central cannot be used now (nil: it answered, and with `credentials` pinning its keys, signed).
    func probeFailure(timeout: TimeInterval, credentials: StationCredentials?) async -> CentralClient.CallError?
    /// Offers a batch: `POST /v1/batches`.
    func offer(_ manifest: BatchManifest, credentials: StationCredentials) async throws(CentralClient.CallError)
        -> ManifestResponse
    /// Sends payload bytes of a batch from `offset`: `PUT /v1/batches/{id}/payload?offset=N`.
    func sendPayload(_ chunk: Data, batchID: String, offset: Int, credentials: StationCredentials)
        async throws(CentralClient.CallError) -> UploadProgress
    /// What the central holds of a batch: `GET /v1/batches/{id}/offset`.
    func progress(batchID: String, credentials: StationCredentials) async throws(CentralClient.CallError)
        -> UploadProgress
    /// Asks about applications: `POST /v1/status`. Returns the answer and the signed answer as evidence.
    func status(_ query: StatusQuery, credentials: StationCredentials) async throws(CentralClient.CallError)
        -> (answer: StatusAnswer, evidence: SignedCentralAnswer)
    /// Sends a daily or weekly report: `PUT /v1/reports/{id}` (idempotent: a resend gets the same receipt).
    func submitReport(_ submission: ReportSubmission, credentials: StationCredentials)
        async throws(CentralClient.CallError) -> ReportReceipt
}

extension CentralClient: Central {
    public func offer(_ manifest: BatchManifest, credentials: StationCredentials)
        async throws(CallError) -> ManifestResponse
    {
        try await call("POST", CentralPath.batches, json: manifest, credentials: credentials, as: ManifestResponse.self)
    }

    public func sendPayload(_ chunk: Data, batchID: String, offset: Int, credentials: StationCredentials)
        async throws(CallError) -> UploadProgress
    {
        let data = try await call(
            "PUT", CentralPath.payload(batchID, offset: offset), body: chunk, credentials: credentials)
        return try decode(UploadProgress.self, data)
    }

    public func progress(batchID: String, credentials: StationCredentials) async throws(CallError) -> UploadProgress {
        let data = try await call("GET", CentralPath.offset(batchID), credentials: credentials)
        return try decode(UploadProgress.self, data)
    }

    public func status(_ query: StatusQuery, credentials: StationCredentials)
        async throws(CallError) -> (answer: StatusAnswer, evidence: SignedCentralAnswer)
    {
        let body: Data
        do { body = try CanonicalEncoding.encode(query) } catch {
            throw CallError(
                error: CentralError(.packaging, "cannot encode the status query"), status: nil,
                retryAfter: nil)
        }
        let (data, evidence) = try await callSigned("POST", CentralPath.status, body: body, credentials: credentials)
        return (try decode(StatusAnswer.self, data), evidence)
    }

    public func submitReport(_ submission: ReportSubmission, credentials: StationCredentials)
        async throws(CallError) -> ReportReceipt
    {
        try await call(
            "PUT", CentralPath.report(submission.reportID), json: submission, credentials: credentials,
            as: ReportReceipt.self)
    }
}
