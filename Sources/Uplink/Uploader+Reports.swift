import CentralAPI
import Crypto
import Foundation
import Queue

/// Sending the frozen daily and weekly reports: part of the drain, so a report is retried with the same probe,
/// backoff and deadline as applications (`UploadCycle`), signed and sealed as they are (`RequestSigning`,
/// `ItemEnvelope`), and sent before the next batch (the 17:00 deadline matters more than a batch).
///
/// Exactly once: the report id (kind and day) is the central's idempotency key with the station id, the row is
/// marked sent only when the central's signed receipt comes back, and a resend after a lost answer or a restart is
/// answered with the first receipt.
extension Uploader {
    /// Sends the oldest waiting report. Returns false when none waits. A transient failure is thrown for the cycle
    /// to wait and retry; a refusal by the central (a 4xx answer with its code) marks the report refused, and the
    /// drain goes on.
    func sendNextReport(report: inout DrainReport) async throws -> Bool {
        guard let waiting = try await store({ queue in try queue.waitingReports(limit: 1).first }) else {
            return false
        }
        let id = waiting.id
        let content = try await store { queue in try queue.reportContent(id) }
        let submission = try Self.submission(waiting, content: content, credentials: credentials)
        do {
            let receipt = try await configuration.client.submitReport(submission, credentials: credentials)
            guard receipt.reportID == id, receipt.contentSHA256 == waiting.contentSHA256 else {
                throw CentralClient.CallError(
                    error: CentralError(.malformed, "the central's receipt names another report"), status: 200,
                    retryAfter: nil)
            }
            try await store { queue in try queue.markReportSent(id) }
            report.reports += 1
            events(.reportSent(report: id))
            return true
        } catch let error as CentralClient.CallError {
            let refused = Self.isRefusal(error)
            try await store { queue in try queue.markReportFailed(id, code: error.error.code.rawValue, refused: refused)
            }
            guard refused else { throw error }
            report.refused += 1
            return true
        }
    }

    /// Whether reports still wait to be sent.
    func reportsWaiting() async throws -> Bool {
        try await store { queue in try queue.waitingReportCount() > 0 }
    }

    /// A refusal the central answered (signed, with its code): sending the same report again will not help.
    static func isRefusal(_ error: CentralClient.CallError) -> Bool {
        guard let status = error.status, !error.isTransient else { return false }
        return (400..<500).contains(status) && error.error.code != .centralUnauthenticated
    }

    /// The submission of a frozen report: its JSON sealed to the central and signed by the station.
    static func submission(
        _ report: OutboundReport, content: Data, credentials: StationCredentials
    ) throws(UplinkError) -> ReportSubmission {
        guard let centralKey = credentials.centralKey else {
            throw UplinkError(.notEnrolled, "enroll the station before sending reports")
        }
        let envelope: Data
        do {
            envelope = try ItemEnvelope.seal(
                content, application: ReportSubmission.envelopeSubject(report.id), station: credentials.stationID,
                signingKey: credentials.signingKey, centralKey: centralKey)
        } catch {
            throw UplinkError(.central, "cannot seal the report", central: error)
        }
        return ReportSubmission(
            reportID: report.id, stationID: credentials.stationID, kind: report.kind, from: report.from.iso,
            through: report.through.iso, producedAt: report.producedAt, contentSHA256: report.contentSHA256,
            envelope: envelope)
    }
}
