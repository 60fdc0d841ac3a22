import Crypto
import Foundation

/// One line of the append-only audit log: who did what to which application, when, from which status to which.
///
/// Each entry's `hash` is `HMAC-SHA256(audit key, previousHash ‖ canonical encoding of the entry)`, the first
/// entry chaining from 32 zero bytes, so changing, removing or reordering any entry breaks every link after it,
/// and recomputing the chain needs the audit key (see `AuditChainKey`). Entries written before the chain was keyed
/// (stores of earlier versions) keep their plain `SHA-256` links and still verify. Reason notes typed by operators
/// are sealed like payloads (they might name someone); reason codes are in clear.
public struct AuditEntry: Sendable, Hashable {
    /// Position in the log, from 1.
    public let sequence: Int64
    /// When, in milliseconds since 1970.
    public let atMilliseconds: Int64
    /// Who: an operator or supervisor id, or `system`.
    public let actor: String
    /// The local account (uid) that acted, when it came through the control socket; part of the link.
    public let actorUID: UInt32?
    /// What: `commit`, `transition`, `hold`, `release`, `cancel`, `retry`, `purge`, `show_unmasked`,
    /// `authenticity_override`, `key_rotation`…
    public let action: String
    /// Which application, if any.
    public let applicationID: String?
    /// Status before and after (`local/central`), if the entry changes one.
    public let from: String?
    /// Status after the change.
    public let to: String?
    /// A non-personal reason code.
    public let reasonCode: String?
    /// The sealed free-text note, if any, and the key id that sealed it.
    public let sealedNote: Data?
    /// Key id that sealed the note.
    public let noteKeyID: Int?
    /// The previous entry's hash.
    public let previousHash: Data
    /// This entry's hash.
    public let hash: Data

    /// The hash of the empty chain.
    public static let genesis = Data(repeating: 0, count: 32)

    /// The plain (unkeyed) link of an entry's fields: how entries written before the chain was keyed are linked.
    static func chainHash(
        previous: Data, sequence: Int64, at: Int64, actor: String, action: String, applicationID: String?,
        from: String?, to: String?, reasonCode: String?, sealedNote: Data?, noteKeyID: Int?, actorUID: UInt32? = nil
    ) -> Data {
        Data(
            SHA256.hash(
                data: chainMessage(
                    previous: previous, sequence: sequence, at: at, actor: actor, action: action,
                    applicationID: applicationID, from: from, to: to, reasonCode: reasonCode, sealedNote: sealedNote,
                    noteKeyID: noteKeyID, actorUID: actorUID)))
    }

    /// The bytes an entry's link covers: the previous link, then each field length-prefixed; the actor's uid last,
    /// and only when there is one (entries written before uids were recorded keep their bytes and links).
    static func chainMessage(
        previous: Data, sequence: Int64, at: Int64, actor: String, action: String, applicationID: String?,
        from: String?, to: String?, reasonCode: String?, sealedNote: Data?, noteKeyID: Int?, actorUID: UInt32? = nil
    ) -> Data {
        var bytes = Data()
        bytes.append(previous)
        func integer(_ value: Int64) { withUnsafeBytes(of: value.bigEndian) { bytes.append(contentsOf: $0) } }
        func field(_ data: Data?) {
            guard let data else {
                bytes.append(contentsOf: [0xFF, 0xFF, 0xFF, 0xFF])
                return
            }
            withUnsafeBytes(of: UInt32(data.count).bigEndian) { bytes.append(contentsOf: $0) }
            bytes.append(data)
        }
        integer(sequence)
        integer(at)
        field(Data(actor.utf8))
        field(Data(action.utf8))
        field(applicationID.map { Data($0.utf8) })
        field(from.map { Data($0.utf8) })
        field(to.map { Data($0.utf8) })
        field(reasonCode.map { Data($0.utf8) })
        field(sealedNote)
        field(noteKeyID.map { Data(String($0).utf8) })
        if let actorUID { field(Data("uid:\(actorUID)".utf8)) }
        return bytes
    }

    /// The bytes this entry's link covers.
    var chainMessage: Data {
        AuditEntry.chainMessage(
            previous: previousHash, sequence: sequence, at: atMilliseconds, actor: actor, action: action,
            applicationID: applicationID, from: from, to: to, reasonCode: reasonCode, sealedNote: sealedNote,
            noteKeyID: noteKeyID, actorUID: actorUID)
    }
}

/// The result of checking the audit chain.
public struct AuditVerification: Sendable, Hashable {
    /// Entries checked.
    public let entries: Int
    /// The sequence number of the first entry that does not verify, or nil when the chain is intact.
    public let firstBrokenSequence: Int64?
    /// Whether the chain is intact.
    public var isIntact: Bool { firstBrokenSequence == nil }
}
