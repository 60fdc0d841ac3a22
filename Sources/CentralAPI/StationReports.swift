import Foundation

extension CentralPath {
    /// `PUT`: a station's daily or weekly report, stored once per station and report id (idempotent).
    public static func report(_ id: String) -> String { "/v1/reports/\(id)" }
    /// `GET` (receiver admin, loopback only): the reports received, per station (`?station=ID`).
    public static let adminReports = "/admin/reports"
}

/// A station's report for the central (`PUT /v1/reports/{reportID}`), signed like every request. The report's JSON
/// (what the station's report route answered when it was produced) travels in an `ItemEnvelope` sealed to the
/// central, signed by the station key, bound to the station and to `"report/" + reportID`.
public struct ReportSubmission: Sendable, Hashable, Codable {
    /// `daily-YYYY-MM-DD` or `weekly-YYYY-MM-DD` (the last day covered): with the station, the idempotency key.
    public var reportID: String
    /// The station.
    public var stationID: String
    /// `daily` or `weekly`.
    public var kind: String
    /// First day covered, `YYYY-MM-DD` (Vietnamese days).
    public var from: String
    /// Last day covered, `YYYY-MM-DD`.
    public var through: String
    /// When the station produced (froze) the report.
    public var producedAt: Date
    /// Lower-case hex SHA-256 of the report's JSON (the envelope's content): a resend with the same hash is the
    /// same report.
    public var contentSHA256: String
    /// The sealed envelope (`ItemEnvelope`, subject `ItemEnvelope` id `report/<reportID>`).
    public var envelope: Data

    /// Creates a submission.
    public init(
        reportID: String, stationID: String, kind: String, from: String, through: String, producedAt: Date,
        contentSHA256: String, envelope: Data
    ) {
        self.reportID = reportID
        self.stationID = stationID
        self.kind = kind
        self.from = from
        self.through = through
        self.producedAt = producedAt
        self.contentSHA256 = contentSHA256
        self.envelope = envelope
    }

    /// The envelope subject of a report (kept apart from application ids).
    public static func envelopeSubject(_ reportID: String) -> String { "report/" + reportID }
}

/// The central's answer to a report: the same for every resend of the same report.
public struct ReportReceipt: Sendable, Hashable, Codable {
    /// The report.
    public var reportID: String
    /// When the central first stored it.
    public var receivedAt: Date
    /// The content hash it stored.
    public var contentSHA256: String

    /// Creates a receipt.
    public init(reportID: String, receivedAt: Date, contentSHA256: String) {
        self.reportID = reportID
        self.receivedAt = receivedAt
        self.contentSHA256 = contentSHA256
    }
}

/// One report as the receiver lists it (`GET /admin/reports`).
public struct ReceivedReport: Sendable, Hashable, Codable {
    /// The station.
    public var stationID: String
    /// The report.
    public var reportID: String
    /// `daily` or `weekly`.
    public var kind: String
    /// First day covered.
    public var from: String
    /// Last day covered.
    public var through: String
    /// When the station produced it.
    public var producedAt: Date
    /// When the central stored it.
    public var receivedAt: Date
    /// SHA-256 of `content`.
    public var contentSHA256: String
    /// The report's JSON, opened (base64 in this listing).
    public var content: Data

    /// Creates an entry.
    public init(
        stationID: String, reportID: String, kind: String, from: String, through: String, producedAt: Date,
        receivedAt: Date, contentSHA256: String, content: Data
    ) {
        self.stationID = stationID
        self.reportID = reportID
        self.kind = kind
        self.from = from
        self.through = through
        self.producedAt = producedAt
        self.receivedAt = receivedAt
        self.contentSHA256 = contentSHA256
        self.content = content
    }
}
