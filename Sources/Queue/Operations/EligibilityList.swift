import Foundation
import GRDB
import Intake

extension ApplicationQueue {
    /// Records that a citizen cannot be registered (not yet eligible, or ineligible), sealed like an
    /// application, with an audit entry. The latest record for a citizen is the one that counts. `hamlet`, the
    /// session's hamlet if one was chosen, is kept in clear beside the record (`eligibility_hamlet`).
    public func recordEligibility(
        _ record: EligibilityRecord, communeCode: String, hamlet: String? = nil, by actor: QueueActor
    ) throws(QueueError) {
        let broad: String
        switch record.eligibility {
        case .notYetEligible: broad = "notYetEligible"
        case .ineligible: broad = "ineligible"
        case .eligibleLevel1, .eligibleLevel2: broad = "eligible"
        }
        let plaintext: Data
        do {
            let encoder = PropertyListEncoder()
            encoder.outputFormat = .binary
            plaintext = try encoder.encode(record)
        } catch {
            throw QueueError(.storage, "cannot encode eligibility record")
        }
        let hash = sealer.citizenHash(record.idNumber)
        let (keyID, sealed) = try sealer.seal(plaintext, context: "eligibility")
        let now = nowMilliseconds
        try write(expectedBytes: sealed.count + 1024) { db in
            try db.execute(
                sql: """
                    INSERT INTO eligibility (id_hmac, class, commune_code, recorded_day, operator_id, confirmed,
                        key_id, payload)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [
                    hash, broad, communeCode, record.recordedOn.iso, record.recordedBy.rawValue,
                    record.confirmedByLocalAuthority, keyID, sealed,
                ])
            if let hamlet {
                try db.execute(
                    sql: "INSERT INTO eligibility_hamlet (seq, hamlet) VALUES (?, ?)",
                    arguments: [db.lastInsertedRowID, hamlet])
            }
            try AuditLog.append(
                db, at: now, actor: actor.id, action: "eligibility", applicationID: nil, from: nil, to: broad,
                reasonCode: nil, actorUID: actor.uid)
        }
    }

    /// The latest eligibility record for a citizen, decrypted; nil when none.
    public func eligibility(of idNumber: CitizenID) throws(QueueError) -> EligibilityRecord? {
        let hash = sealer.citizenHash(idNumber)
        let row = try read { db in
            try Row.fetchOne(
                db, sql: "SELECT key_id, payload FROM eligibility WHERE id_hmac = ? ORDER BY seq DESC LIMIT 1",
                arguments: [hash])
        }
        guard let row else { return nil }
        let plaintext = try sealer.open(row["payload"], keyID: row["key_id"], context: "eligibility")
        guard let record = try? PropertyListDecoder().decode(EligibilityRecord.self, from: plaintext) else {
            throw QueueError(.corruptPayload, "eligibility record does not decode")
        }
        return record
    }

    /// Per-commune counts of citizens (latest record each) not yet eligible and ineligible, for the reports.
    public func eligibilityCounts() throws(QueueError) -> [String: (notYetEligible: Int, ineligible: Int)] {
        let rows = try read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT commune_code, SUM(class = 'notYetEligible') AS notyet, SUM(class = 'ineligible') AS inel
                    FROM eligibility e
                    WHERE seq = (SELECT MAX(seq) FROM eligibility WHERE id_hmac = e.id_hmac)
                    GROUP BY commune_code
                    """)
        }
        var result: [String: (notYetEligible: Int, ineligible: Int)] = [:]
        for row in rows { result[row["commune_code"]] = (row["notyet"], row["inel"]) }
        return result
    }
}
