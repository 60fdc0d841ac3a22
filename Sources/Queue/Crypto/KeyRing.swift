import Crypto
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// The keys that protect the queue's payloads at rest, loaded from a key file readable only by the daemon.
///
/// The file (JSON, mode 0600) holds numbered AES-256 data keys — the newest seals new rows, older ones still
/// open the rows they sealed, so a key can be rotated without re-writing the store at once — and one index
/// key for the HMAC of ID numbers used to find duplicates without storing the number. It is created
/// atomically (temporary file, fsync, hard link) the first time a store is opened. Keys are never printed.
public struct KeyRing: Sendable, CustomStringConvertible {
    /// The data keys by id.
    private let dataKeyBytes: [Int: Data]
    /// The id of the key that seals new payloads.
    public let currentKeyID: Int
    /// The key for `HMAC-SHA256` of ID numbers.
    private let indexKeyBytes: Data

    private struct File: Codable {
        struct Entry: Codable {
            var id: Int
            var key: String
        }
        var version: Int
        var index: String
        var keys: [Entry]
        var current: Int
    }

    /// Ids of all data keys in the ring.
    public var keyIDs: [Int] { dataKeyBytes.keys.sorted() }

    public var description: String { "KeyRing(current: \(currentKeyID), keys: \(keyIDs))" }

    /// Loads the key file at `path`, creating it with fresh random keys when it does not exist and
    /// `createIfMissing` is true. Refuses a file readable or writable by group or others. The file is read and
    /// written through `sealer` (a TPM, or the plain file).
    public static func load(
        path: String, createIfMissing: Bool, sealer: any KeySealer = PlainKeyFile()
    ) throws(QueueError) -> KeyRing {
        if access(path, F_OK) != 0 {
            guard createIfMissing else { throw QueueError(.keyFile, "key file missing") }
            let file = File(
                version: 1, index: randomKeyBase64(), keys: [.init(id: 1, key: randomKeyBase64())], current: 1)
            try write(file, to: path, replacing: nil, sealer: sealer)
        }
        var info = stat()
        guard stat(path, &info) == 0 else { throw QueueError(.keyFile, "cannot stat key file (errno \(errno))") }
        guard info.st_mode & 0o077 == 0 else {
            throw QueueError(.keyFile, "key file is accessible to group or others; it must be mode 0600")
        }
        guard let stored = FileManager.default.contents(atPath: path) else {
            throw QueueError(.keyFile, "cannot read key file")
        }
        let data = try sealer.unseal(stored)
        let file: File
        do { file = try JSONDecoder().decode(File.self, from: data) } catch {
            throw QueueError(.keyFile, "key file is malformed")
        }
        return try KeyRing(file)
    }

    private init(_ file: File) throws(QueueError) {
        guard file.version == 1, let index = Data(base64Encoded: file.index), index.count == 32 else {
            throw QueueError(.keyFile, "key file is malformed")
        }
        var keys: [Int: Data] = [:]
        for entry in file.keys {
            guard let bytes = Data(base64Encoded: entry.key), bytes.count == 32, entry.id > 0, keys[entry.id] == nil
            else { throw QueueError(.keyFile, "key file has a malformed key entry") }
            keys[entry.id] = bytes
        }
        guard keys[file.current] != nil else { throw QueueError(.keyFile, "current key id not in key file") }
        dataKeyBytes = keys
        currentKeyID = file.current
        indexKeyBytes = index
    }

    /// Adds a new data key to the file at `path` and makes it current; older keys stay to open older rows.
    /// Returns the new ring.
    public static func rotate(path: String, sealer: any KeySealer = PlainKeyFile()) throws(QueueError) -> KeyRing {
        let (stored, found) = try read(path: path, sealer: sealer)
        var file = found
        let next = (file.keys.map(\.id).max() ?? 0) + 1
        file.keys.append(.init(id: next, key: randomKeyBase64()))
        file.current = next
        try write(file, to: path, replacing: stored, sealer: sealer)
        return try load(path: path, createIfMissing: false, sealer: sealer)
    }

    /// Removes every data key but `current` from the file at `path` (the old keys are destroyed: the file is
    /// replaced atomically, so a crash leaves the old file or the new one). Returns the new ring. Call it only once
    /// nothing in the store is sealed under the removed keys (`ApplicationQueue.destroyOlderKeys`).
    public static func retire(
        path: String, keeping current: Int, sealer: any KeySealer = PlainKeyFile()
    ) throws(QueueError) -> KeyRing {
        let (stored, found) = try read(path: path, sealer: sealer)
        var file = found
        guard file.current == current, file.keys.contains(where: { $0.id == current }) else {
            throw QueueError(.keyFile, "the key file's current key is not k\(current)")
        }
        file.keys.removeAll { $0.id != current }
        try write(file, to: path, replacing: stored, sealer: sealer)
        return try load(path: path, createIfMissing: false, sealer: sealer)
    }

    /// The key file's bytes on disk and its content, opened through `sealer`.
    private static func read(path: String, sealer: any KeySealer) throws(QueueError) -> (Data, File) {
        guard let stored = FileManager.default.contents(atPath: path) else {
            throw QueueError(.keyFile, "cannot read key file")
        }
        let data = try sealer.unseal(stored)
        guard let file = try? JSONDecoder().decode(File.self, from: data) else {
            throw QueueError(.keyFile, "cannot read key file")
        }
        return (stored, file)
    }

    /// The data key ids a key file's bytes hold (nil: not a key file). Reads no key.
    public static func keyIDs(ofFile data: Data) -> Set<Int>? {
        (try? JSONDecoder().decode(File.self, from: data)).map { Set($0.keys.map(\.id)) }
    }

    /// Ids of the data keys older than the current one (non-empty: a rotation is unfinished).
    public var olderKeyIDs: [Int] { keyIDs.filter { $0 != currentKeyID } }

    /// The data key with this id, if the ring has it.
    func key(id: Int) -> SymmetricKey? { dataKeyBytes[id].map { SymmetricKey(data: $0) } }

    /// The current data key.
    var currentKey: SymmetricKey { SymmetricKey(data: dataKeyBytes[currentKeyID]!) }

    /// The index key.
    var indexKey: SymmetricKey { SymmetricKey(data: indexKeyBytes) }

    private static func randomKeyBase64() -> String {
        SymmetricKey(size: .bits256).withUnsafeBytes { Data($0).base64EncodedString() }
    }

    /// Writes via a temporary file created 0600, fsynced, then linked (new file) or renamed (replacement)
    /// into place and the directory fsynced: a crash leaves either no file or a complete one.
    /// `replacing` is the file's bytes now (nil: a new file, linked so an existing one is never overwritten).
    private static func write(
        _ file: File, to path: String, replacing: Data?, sealer: any KeySealer
    ) throws(QueueError) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        guard let data = try? encoder.encode(file) else { throw QueueError(.keyFile, "cannot encode key file") }
        let stored = try sealer.seal(data, replacing: replacing)
        try KeyFile.write(stored, to: path, replacing: replacing != nil, what: "key file")
    }
}
