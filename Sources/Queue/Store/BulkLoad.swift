import Foundation
import GRDB
import Intake

extension ApplicationQueue {
    /// Loads `count` copies of `template` (new ids, ID numbers from `idNumber`, states spread like a campaign,
    /// communes in turn) in one transaction, for filling a store at production scale (`station-bench`,
    /// `QueueBenchmark`). Not a production path: it skips the per-application transition path.
    public func bulkLoad(
        template: Application, count: Int, communes: [String], idNumber: () -> CitizenID
    ) throws {
        var rows: [(Application, Int, Data, Data, String, String)] = []
        let spread: [(String, String)] = [
            ("uploaded", "activated"), ("uploaded", "activated"), ("uploaded", "accepted"), ("uploaded", "accepted"),
            ("uploaded", "received"), ("ready", "unknown"), ("captured", "unknown"), ("held", "unknown"),
            ("needsAttention", "unknown"), ("uploaded", "rejected"),
        ]
        for i in 0..<count {
            var application = template
            application.id = ApplicationID()
            application.identity.idNumber = idNumber()
            application.point.communeCode = communes[i % communes.count]
            application.capturedAt = Date(timeIntervalSinceNow: -Double(Int.random(in: 0...(60 * 86_400))))
            let (keyID, sealed) = try sealer.sealApplication(application)
            let (local, central) = spread[Int.random(in: 0..<spread.count)]
            rows.append((application, keyID, sealed, sealer.citizenHash(application.identity.idNumber), local, central))
        }
        let now = nowMilliseconds
        _ = try write(expectedBytes: rows.reduce(0) { $0 + $1.2.count }) { db in
            for (application, keyID, sealed, hash, local, central) in rows {
                let at = Int64(application.capturedAt.timeIntervalSince1970 * 1000)
                try db.execute(
                    sql: """
                        INSERT INTO application (id, local_state, central_state, captured_at, captured_day, updated_at,
                            accepted_at, commune_code, point_kind, operator_id, bundle, id_hmac, key_id, payload)
                        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                        """,
                    arguments: [
                        application.id.text, local, central, at, CalendarDate(vietnamDayOf: application.capturedAt).iso,
                        now, central == "accepted" || central == "activated" ? now : nil, application.point.communeCode,
                        "mobile", "bench", "utility", hash, keyID, sealed,
                    ])
                try Self.assignReference(db, to: application.id.text, from: { ShortReference() })
                try AuditLog.append(
                    db, at: now, actor: "bench", action: "commit", applicationID: application.id.text, from: nil,
                    to: "\(local)/\(central)", reasonCode: nil)
            }
        }
    }
}
