import Crypto
import Foundation
import GRDB

#if canImport(Glibc)
    import Glibc
#endif

/// The key of the audit chain: entries from `keyedFrom` on are linked with `HMAC-SHA256(key, message)`, so
/// whoever can write the SQLite file but not read the key cannot rewrite history and recompute the chain.
///
/// Kept like the store key: a JSON file, mode 0600, next to the key file (`queue.key` → `queue-audit.key`),
/// `{"version":1,"key":BASE64,"keyedFrom":N}`, created atomically at the first open of a store by this version.
/// Migration of an existing store: its plain `SHA-256` chain is verified, and `keyedFrom` is the next sequence
/// number, so the old entries keep verifying as they are and every new entry is keyed; the first keyed link
/// covers the last plain one, so the old part cannot be rewritten either. `keyedFrom` lives in the key file, not
/// in the store: rewriting keyed entries as plain ones is detected too.
struct AuditChainKey: Sendable {
    /// Name of the SQL function each store connection registers: `audit_link(seq, message) → link`.
    static let sqlFunction = "audit_link"

    let keyBytes: Data
    /// The first sequence number linked with the key (earlier ones are plain SHA-256).
    let keyedFrom: Int64

    /// The link of entry `sequence` over `message`.
    func link(sequence: Int64, message: Data) -> Data {
        guard sequence >= keyedFrom else { return Data(SHA256.hash(data: message)) }
        return Data(HMAC<SHA256>.authenticationCode(for: message, using: SymmetricKey(data: keyBytes)))
    }

    /// The audit key file of a store whose key file is `keyFile`.
    static func path(forKeyFile keyFile: String) -> String {
        keyFile.hasSuffix(".key") ? String(keyFile.dropLast(4)) + "-audit.key" : keyFile + ".audit"
    }

    private struct File: Codable {
        var version: Int
        var key: String
        var keyedFrom: Int64
    }

    /// Loads the audit key file, or creates it: for an empty store keyed from entry 1, for a store of an earlier
    /// version (plain chain, verified first) from the next entry. Refuses (`queue.key_file`) a file readable by
    /// others, a malformed one, and a missing one when the store's chain is not a plain one (its key was lost:
    /// restore it from the backup of the state folder).
    static func load(path: String, store: some DatabaseReader) throws(QueueError) -> AuditChainKey {
        if access(path, F_OK) != 0 {
            let plain: AuditVerification
            let last: Int64
            do {
                (plain, last) = try store.read { db in
                    (try AuditLog.verify(db, key: nil), try Int64.fetchOne(db, sql: "SELECT MAX(seq) FROM audit") ?? 0)
                }
            } catch {
                throw ApplicationQueue.map(error)
            }
            guard plain.isIntact else {
                throw QueueError(
                    .keyFile,
                    "the audit key file \(path) is missing and the store's audit chain is keyed or damaged "
                        + "(entry \(plain.firstBrokenSequence ?? 0)); restore the file from the state folder's backup")
            }
            let key = SymmetricKey(size: .bits256).withUnsafeBytes { Data($0) }
            try create(File(version: 1, key: key.base64EncodedString(), keyedFrom: last + 1), at: path)
        }
        var info = stat()
        guard stat(path, &info) == 0 else { throw QueueError(.keyFile, "cannot stat the audit key file") }
        guard info.st_mode & 0o077 == 0 else {
            throw QueueError(.keyFile, "the audit key file is accessible to group or others; it must be mode 0600")
        }
        guard let data = FileManager.default.contents(atPath: path),
            let file = try? JSONDecoder().decode(File.self, from: data), file.version == 1,
            let key = Data(base64Encoded: file.key), key.count == 32, file.keyedFrom >= 1
        else { throw QueueError(.keyFile, "the audit key file is malformed") }
        return AuditChainKey(keyBytes: key, keyedFrom: file.keyedFrom)
    }

    /// Writes a new file: temporary file 0600, fsync, hard link into place (an existing file wins: another
    /// process opened the store first), directory fsync.
    private static func create(_ file: File, at path: String) throws(QueueError) {
        guard let data = try? JSONEncoder().encode(file) else { throw QueueError(.keyFile, "cannot encode") }
        try KeyFile.write(data, to: path, replacing: false, what: "the audit key file")
    }
}

/// The audit key of one store, shared by its connections' `audit_link` function. Connections are prepared before
/// the key can be read (reading it needs the store), so the slot is filled once the store is open; a link asked
/// for before that fails, so nothing is ever linked with a missing key.
final class AuditKeySlot: @unchecked Sendable {
    private let lock = NSLock()
    private var key: AuditChainKey?

    /// The loaded key.
    var current: AuditChainKey? { lock.withLock { key } }

    func install(_ key: AuditChainKey) { lock.withLock { self.key = key } }

    /// `audit_link(seq, message)`.
    var function: DatabaseFunction {
        DatabaseFunction(AuditChainKey.sqlFunction, argumentCount: 2, pure: true) { [self] values in
            guard let key = current else { throw QueueError(.keyFile, "the audit key is not loaded") }
            guard let sequence = Int64.fromDatabaseValue(values[0]), let message = Data.fromDatabaseValue(values[1])
            else { throw QueueError(.storage, "audit_link(seq, message) needs an integer and a blob") }
            return key.link(sequence: sequence, message: message)
        }
    }
}

extension ApplicationQueue {
    /// The newest audit entry's sequence number and link (nil: empty log): sent to the central with every batch
    /// and status sync, which anchors it.
    public func auditHead() throws(QueueError) -> (sequence: Int64, hash: Data)? {
        try read { db in
            try Row.fetchOne(db, sql: "SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1").map {
                ($0["seq"], $0["hash"])
            }
        }
    }

    /// The link of audit entry `sequence` as the store holds it now (nil: no such entry).
    public func auditLink(at sequence: Int64) throws(QueueError) -> Data? {
        try read { db in try Data.fetchOne(db, sql: "SELECT hash FROM audit WHERE seq = ?", arguments: [sequence]) }
    }
}
