import CentralAPI
import Crypto
import Foundation

extension ReceiverCore {
    /// A station's daily or weekly report (`PUT /v1/reports/{id}`): the envelope must open for this station and
    /// report, its content must be JSON with the announced SHA-256; stored once per station and report id.
    func receiveReport(_ submission: ReportSubmission, id: String, station: String) throws -> ReportReceipt {
        guard submission.stationID == station else {
            throw CentralError(.badSignature, "the report names another station")
        }
        guard submission.reportID == id, !id.isEmpty else {
            throw CentralError(.malformed, "the report id differs from the path's")
        }
        guard let key = try store.stationKey(station) else {
            throw CentralError(.unknownStation, "station \(station) is not enrolled")
        }
        let content = try ItemEnvelope.open(
            submission.envelope, application: ReportSubmission.envelopeSubject(id), station: station,
            stationKey: key, centralKey: store.centralKey)
        guard ItemEnvelope.hash(content) == submission.contentSHA256 else {
            throw CentralError(.hashMismatch, "the report's content does not match its SHA-256")
        }
        guard (try? JSONSerialization.jsonObject(with: content)) is [String: Any] else {
            throw CentralError(.malformed, "the report's content is not a JSON object")
        }
        return try store.storeReport(submission, content: content, station: station)
    }
}
