import CentralAPI
import Foundation
import Intake

/// The batch in flight, spooled on disk before its manifest is offered: the manifest and the sealed envelopes
/// exactly as offered. After a crash or restart the uploader offers the SAME batch again (same id, same bytes),
/// so the central answers with the offset it holds and the upload resumes there instead of starting over.
/// (Envelopes cannot be rebuilt byte for byte: HPKE seals with a fresh ephemeral key each time.)
///
/// Files in `<state>/outbox/`: `batch.payload` (the envelopes in manifest order) and `batch.json` (the manifest),
/// each written to a temporary name, fsynced and renamed, the manifest last: a manifest on disk always has its
/// payload.
struct Outbox {
    /// The folder.
    let directory: String

    var manifestPath: String { directory + "/batch.json" }
    var payloadPath: String { directory + "/batch.payload" }

    /// Spools a batch about to be offered.
    func save(_ manifest: BatchManifest, items: [PackagedItem]) throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try? FileManager.default.removeItem(atPath: manifestPath)
        try Self.durableWrite(items.reduce(into: Data()) { $0.append($1.envelope) }, to: payloadPath)
        try Self.durableWrite(CanonicalEncoding.encode(manifest), to: manifestPath)
    }

    /// The spooled batch, if any (an unreadable or inconsistent spool counts as none and is removed).
    func load() -> (manifest: BatchManifest, items: [PackagedItem])? {
        guard let data = FileManager.default.contents(atPath: manifestPath) else { return nil }
        guard let manifest = try? CanonicalEncoding.decode(BatchManifest.self, from: data),
            let payload = FileManager.default.contents(atPath: payloadPath),
            payload.count == manifest.items.reduce(0, { $0 + $1.payloadSize })
        else {
            clear()
            return nil
        }
        var items: [PackagedItem] = []
        var position = payload.startIndex
        for item in manifest.items {
            let envelope = payload.subdata(in: position..<(position + item.payloadSize))
            position += item.payloadSize
            guard let id = ApplicationID(item.applicationID), ItemEnvelope.hash(envelope) == item.payloadSHA256 else {
                clear()
                return nil
            }
            items.append(PackagedItem(id: id, envelope: envelope, item: item))
        }
        return (manifest, items)
    }

    /// Forgets the spooled batch (it is finished, or nothing in it is still waiting).
    func clear() {
        try? FileManager.default.removeItem(atPath: manifestPath)
        try? FileManager.default.removeItem(atPath: payloadPath)
    }

    /// Writes `data` to `path` so that after a crash the file is either absent or complete.
    static func durableWrite(_ data: Data, to path: String) throws {
        let temporary = path + ".tmp"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        guard fd >= 0 else { throw UplinkError(.outbox, "cannot write the outbox") }
        var written = 0
        data.withUnsafeBytes { raw in
            while written < raw.count {
                let n = write(fd, raw.baseAddress! + written, raw.count - written)
                if n <= 0 { break }
                written += n
            }
        }
        let synced = fsync(fd) == 0
        close(fd)
        guard written == data.count, synced, rename(temporary, path) == 0 else {
            throw UplinkError(.outbox, "cannot write the outbox")
        }
        let folder = open((path as NSString).deletingLastPathComponent, O_RDONLY)
        if folder >= 0 {
            fsync(folder)
            close(folder)
        }
    }
}
