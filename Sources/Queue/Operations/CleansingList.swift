import Crypto
import Foundation
import GRDB
import Intake
import Messages

/// One data-cleansing case of the health desk: a field where the social-insurance (BHXH) record and the chip
/// disagree (seed 002: the 21 million participants not matched with the population database).
public struct CleansingEntry: Sendable, Hashable, Codable {
    /// The chip's 12-digit ID number.
    public var idNumber: String
    /// `fullName`, `dateOfBirth`, `sex` or `idNumber` (the insurance record has no ID number).
    public var field: String
    /// The insurance record's value (empty when the record lacks it).
    public var insuranceValue: String
    /// The chip's value.
    public var chipValue: String
    /// The Vietnamese day it was recorded.
    public var day: CalendarDate
    /// The insurance card code (`maThe`), when the gateway gave one.
    public var cardCode: String?
    /// The chip's date of birth (for the seed's participant group "Trẻ em dưới 6 tuổi"; nil when unknown).
    public var dateOfBirth: CalendarDate?

    /// Creates an entry.
    public init(
        idNumber: String, field: String, insuranceValue: String, chipValue: String, day: CalendarDate,
        cardCode: String? = nil, dateOfBirth: CalendarDate? = nil
    ) {
        self.idNumber = idNumber
        self.field = field
        self.insuranceValue = insuranceValue
        self.chipValue = chipValue
        self.day = day
        self.cardCode = cardCode
        self.dateOfBirth = dateOfBirth
    }

    /// The seed's appendix (Công văn 1102/CV-TCTTKĐA, 24/2/2023): Phụ lục 01 for participants without an ID number,
    /// Phụ lục 02 for those with one that does not match the population database.
    public var appendix: String { field == "idNumber" ? "Phụ lục 01" : "Phụ lục 02" }

    /// The appendix's participant group where the station knows it: only "Trẻ em dưới 6 tuổi" can be told from
    /// the chip (the other groups — enterprise, civil servants, pupils, pensioners... — are the insurer's; empty).
    public var group: String {
        guard let dateOfBirth else { return "" }
        // The sixth birthday (29 February → 28 February).
        let sixth =
            CalendarDate(year: dateOfBirth.year + 6, month: dateOfBirth.month, day: dateOfBirth.day)
            ?? CalendarDate(year: dateOfBirth.year + 6, month: dateOfBirth.month, day: 28)
        return sixth.map { day < $0 } ?? false ? "Trẻ em dưới 6 tuổi" : ""
    }
}

/// The cleansing list as CSV for Excel: UTF-8 with a byte-order mark, CRLF line ends, RFC 4180 quoting.
public enum CleansingCSV {
    /// The header (Vietnamese, the seed's words).
    public static let header = [
        "ngay", "so_dinh_danh", "ma_the_bhyt", "truong", "gia_tri_bhxh", "gia_tri_chip", "phu_luc", "doi_tuong",
    ]

    /// The CSV bytes of `entries`.
    public static func render(_ entries: [CleansingEntry]) -> Data {
        let rows = entries.map { entry in
            [
                entry.day.iso, entry.idNumber, entry.cardCode ?? "", entry.field, entry.insuranceValue,
                entry.chipValue, entry.appendix, entry.group,
            ]
        }
        return ExcelCSV.render(header: header, rows: rows)
    }
}

extension ApplicationQueue {
    /// Records each disagreement once: a case already recorded (same citizen, field and both values) is not
    /// recorded again, however often the patient is checked. The ID number and values are sealed; in clear only
    /// the keyed hash of the ID number, the field and the day. Returns how many entries were new.
    @discardableResult
    public func recordCleansing(_ entries: [CleansingEntry]) throws(QueueError) -> Int {
        guard !entries.isEmpty else { return 0 }
        var rows: [(idHMAC: Data, caseHMAC: Data, entry: CleansingEntry, keyID: Int, sealed: Data)] = []
        for entry in entries {
            guard let id = CitizenID(entry.idNumber) else {
                throw QueueError(.storage, "a cleansing entry needs the chip's 12-digit ID number")
            }
            let idHMAC = sealer.citizenHash(id)
            let caseHMAC = sealer.indexHash(
                "cleansing:\(entry.idNumber)|\(entry.field)|\(entry.insuranceValue)|\(entry.chipValue)")
            let plaintext: Data
            do {
                plaintext = try JSONEncoder().encode(entry)
            } catch {
                throw QueueError(.storage, "cannot encode a cleansing entry")
            }
            let (keyID, sealed) = try sealer.seal(plaintext, context: "cleansing:" + caseHMAC.base64EncodedString())
            rows.append((idHMAC, caseHMAC, entry, keyID, sealed))
        }
        let now = nowMilliseconds
        return try write(expectedBytes: 512 * rows.count) { db in
            var added = 0
            for row in rows {
                try db.execute(
                    sql: """
                        INSERT OR IGNORE INTO cleansing (case_hmac, id_hmac, field, recorded_at, recorded_day, key_id,
                            payload)
                        VALUES (?, ?, ?, ?, ?, ?, ?)
                        """,
                    arguments: [
                        row.caseHMAC, row.idHMAC, row.entry.field, now, row.entry.day.iso, row.keyID, row.sealed,
                    ])
                added += db.changesCount
            }
            return added
        }
    }

    /// The entries recorded on `since` (a Vietnamese day) or later, oldest first. Supervisors only (the list
    /// holds ID numbers and names).
    public func cleansingEntries(since: CalendarDate, by actor: QueueActor) throws(QueueError) -> [CleansingEntry] {
        guard actor.role != .officer else {
            throw QueueError(.notPermitted, "the cleansing list is exported by a supervisor")
        }
        let rows = try read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT case_hmac, key_id, payload FROM cleansing WHERE recorded_day >= ?
                    ORDER BY recorded_day, seq
                    """,
                arguments: [since.iso])
        }
        var entries: [CleansingEntry] = []
        for row in rows {
            let caseHMAC: Data = row["case_hmac"]
            let plaintext = try sealer.open(
                row["payload"], keyID: row["key_id"], context: "cleansing:" + caseHMAC.base64EncodedString())
            guard let entry = try? JSONDecoder().decode(CleansingEntry.self, from: plaintext) else {
                throw QueueError(.corruptPayload, "a cleansing entry does not decode")
            }
            entries.append(entry)
        }
        return entries
    }
}

extension PayloadSealer {
    /// `HMAC-SHA256(indexKey, text)`: a keyed hash kept in clear (never the text).
    func indexHash(_ text: String) -> Data {
        Data(HMAC<SHA256>.authenticationCode(for: Data(text.utf8), using: keys.indexKey))
    }
}
