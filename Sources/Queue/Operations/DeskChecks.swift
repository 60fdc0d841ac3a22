import Foundation
import GRDB
import Intake

/// How a desk check identified the patient, as the facility's daily figure counts it.
public enum DeskCheckMethod: String, Sendable, Hashable, CaseIterable, Codable {
    /// Accepted on the chip card, opened from its QR code (no typing).
    case chipVerified
    /// The chip could not be read: the QR code alone (unsigned) was all the desk had.
    case qrOnly
    /// Accepted on the chip card, opened with a typed CAN or MRZ.
    case typed
    /// Referred (expired, not genuine, QR mismatch...).
    case refused
}

/// One Vietnamese day's check-ins by method.
public struct DeskDayTally: Sendable, Hashable, Codable {
    /// The day (Asia/Ho_Chi_Minh).
    public var day: CalendarDate
    /// Check-ins per method (every method present, 0 when none).
    public var counts: [DeskCheckMethod: Int]
    /// All check-ins.
    public var total: Int { counts.values.reduce(0, +) }
    /// Identified by chip card (opened from the QR or typed): the facility's figure against its 80 % target.
    public var chipIdentified: Int { (counts[.chipVerified] ?? 0) + (counts[.typed] ?? 0) }
    /// `chipIdentified / total` in percent, nil without check-ins.
    public var percentByChip: Double? { total == 0 ? nil : Double(chipIdentified) * 100 / Double(total) }
}

extension ApplicationQueue {
    /// Records one desk check in one transaction: the day's tally by method (persisted, never personal) and one
    /// audit line (a keyed hash of the ID number, time, verdict, client); audit lines older than the retention are
    /// removed in the same write. Nothing else about the patient is stored.
    public func recordDeskCheck(
        idNumber: CitizenID?, method: DeskCheckMethod, verdict: String, client: String
    ) throws(QueueError) {
        let now = nowMilliseconds
        let day = CalendarDate(vietnamDayOf: configuration.now()).iso
        let idHMAC = idNumber.map { sealer.citizenHash($0) }
        let oldest = now - Int64(configuration.retention * 1000)
        try write(expectedBytes: 256) { db in
            try db.execute(
                sql: """
                    INSERT INTO desk_tally (day, method, n) VALUES (?, ?, 1)
                    ON CONFLICT (day, method) DO UPDATE SET n = n + 1
                    """,
                arguments: [day, method.rawValue])
            try db.execute(
                sql: "INSERT INTO desk_check (at, id_hmac, verdict, method, client) VALUES (?, ?, ?, ?, ?)",
                arguments: [now, idHMAC, verdict, method.rawValue, client])
            try db.execute(sql: "DELETE FROM desk_check WHERE at < ?", arguments: [oldest])
        }
    }

    /// The tally of `day`.
    public func deskTally(on day: CalendarDate) throws(QueueError) -> DeskDayTally {
        let rows = try read { db in
            try Row.fetchAll(db, sql: "SELECT method, n FROM desk_tally WHERE day = ?", arguments: [day.iso])
        }
        var counts = Dictionary(uniqueKeysWithValues: DeskCheckMethod.allCases.map { ($0, 0) })
        for row in rows {
            if let method = DeskCheckMethod(rawValue: row["method"]) { counts[method] = row["n"] }
        }
        return DeskDayTally(day: day, counts: counts)
    }

    /// How many audit lines of desk checks the store holds (for tests and the status page).
    public func deskCheckLines() throws(QueueError) -> Int {
        try read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM desk_check") ?? 0 }
    }
}
