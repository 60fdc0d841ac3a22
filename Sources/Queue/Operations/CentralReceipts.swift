import Crypto
import Foundation
import GRDB
import Intake

/// A signed answer of the central, kept as evidence of the decisions it carried: the exact bytes the central
/// signed (which bind the request and the body's SHA-256), the body, the Ed25519 signature and the key id.
/// Anyone holding the central's public key can check it again later.
public struct SignedCentralAnswer: Sendable, Hashable {
    /// The signed bytes (`CentralSigning.answerMessage`).
    public var signedMessage: Data
    /// The answer body.
    public var body: Data
    /// The signature.
    public var signature: Data
    /// The signing key's id.
    public var keyID: String
    /// Creates a value.
    public init(signedMessage: Data, body: Data, signature: Data, keyID: String) {
        self.signedMessage = signedMessage
        self.body = body
        self.signature = signature
        self.keyID = keyID
    }
}

extension ApplicationQueue {
    /// Records a signed answer and, per application, the central state it states (`accepted`, `activated`,
    /// `rejected`…), before the uploader applies the change: the retention purge removes a payload only once a
    /// signed acceptance is recorded. Idempotent.
    public func recordCentralReceipts(
        _ answer: SignedCentralAnswer, states: [(ApplicationID, String)]
    ) throws(QueueError) {
        guard !states.isEmpty else { return }
        let digest = Data(SHA256.hash(data: answer.body))
        let now = nowMilliseconds
        try write(expectedBytes: answer.body.count + 256 * states.count) { db in
            try db.execute(
                sql: """
                    INSERT OR IGNORE INTO central_answer (sha256, signed_message, body, signature, key_id, at)
                    VALUES (?, ?, ?, ?, ?, ?)
                    """,
                arguments: [digest, answer.signedMessage, answer.body, answer.signature, answer.keyID, now])
            for (id, state) in states {
                try db.execute(
                    sql: """
                        INSERT OR IGNORE INTO central_receipt (application_id, central_state, answer_sha256)
                        VALUES (?, ?, ?)
                        """,
                    arguments: [id.text, state, digest])
            }
        }
    }

    /// The signed answers recorded for an application, by central state.
    public func centralReceipts(for id: ApplicationID) throws(QueueError) -> [String: SignedCentralAnswer] {
        try read { db in
            let rows = try Row.fetchAll(
                db,
                sql: """
                    SELECT r.central_state, a.signed_message, a.body, a.signature, a.key_id
                    FROM central_receipt r JOIN central_answer a ON a.sha256 = r.answer_sha256
                    WHERE r.application_id = ?
                    """, arguments: [id.text])
            var receipts: [String: SignedCentralAnswer] = [:]
            for row in rows {
                receipts[row["central_state"]] = SignedCentralAnswer(
                    signedMessage: row["signed_message"], body: row["body"], signature: row["signature"],
                    keyID: row["key_id"])
            }
            return receipts
        }
    }
}
