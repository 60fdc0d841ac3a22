import Crypto
import Foundation
import Queue

#if canImport(Glibc)
    import Glibc
#endif

/// `store.tpm`, `store.tpm_tcti`, `store.tpm_pcrs`: whether the store key file is sealed to the machine's TPM 2.0.
public struct TPMSettings: Sendable, Equatable {
    /// When the key file is sealed.
    public enum Mode: String, Sendable, CaseIterable {
        /// Never sealed by the daemon; a file already sealed (by `stationd keys seal-to-tpm`) is still opened.
        case off
        /// The key file must be sealed: a plain one stops the daemon (`queue.tpm_not_sealed`), a new store's key is
        /// sealed, no TPM stops it (`queue.tpm_unavailable`).
        case required
        /// A new store's key is sealed when a TPM answers; a plain file is accepted.
        case ifPresent = "if-present"
    }

    /// `store.tpm`.
    public var mode: Mode
    /// `store.tpm_tcti` (nil: tpm2-tools' default, the kernel's resource manager `/dev/tpmrm0`).
    public var tcti: String?
    /// `store.tpm_pcrs`, e.g. `sha256:7` (nil: not bound to PCRs).
    public var pcrs: String?

    /// Creates settings (default: off, the default TCTI, no PCRs).
    public init(mode: Mode = .off, tcti: String? = nil, pcrs: String? = nil) {
        self.mode = mode
        self.tcti = tcti
        self.pcrs = pcrs
    }

    /// Whether `text` is a PCR selection tpm2-tools takes: `sha1|sha256|sha384:N[,N…]`, N in 0...23.
    public static func validPCRs(_ text: String) -> Bool {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, ["sha1", "sha256", "sha384"].contains(parts[0]) else { return false }
        let numbers = parts[1].split(separator: ",", omittingEmptySubsequences: false)
        return !numbers.isEmpty && numbers.allSatisfy { Int($0).map { (0...23).contains($0) } ?? false }
    }
}

/// The store key file sealed to a TPM 2.0 through Debian's tpm2-tools.
///
/// A TPM seals at most 128 bytes and the key file grows with each rotation, so the TPM seals a fresh 32-byte
/// wrapping key (a keyed-hash object under the owner hierarchy's ECC primary, which the TPM derives again from its
/// seed each time), and the key file's content is AES-256-GCM under it. On disk: the line `stationd-tpm-sealed/1`
/// then JSON `{"ciphertext","nonce","pcrs","private","public"}` (base64; `public`/`private` the TPM's blobs, useless
/// without this TPM). With `pcrs` the object opens only under a policy on those PCRs. Every seal is proven to unseal
/// before it is returned, so a key file is never replaced by one this TPM cannot open.
public struct TPMKeySealer: KeySealer {
    /// The settings.
    public let settings: TPMSettings
    let tools: TPM2Tools

    /// A sealer for `settings`.
    public init(_ settings: TPMSettings) {
        self.settings = settings
        tools = TPM2Tools(tcti: settings.tcti)
    }

    public func seal(_ plain: Data, replacing: Data?) throws(QueueError) -> Data {
        if let replacing {
            guard SealedKeyMarker.isSealed(replacing) else { return plain }
            return try sealToTPM(plain)
        }
        switch settings.mode {
        case .off: return plain
        case .required: return try sealToTPM(plain)
        case .ifPresent:
            do { return try sealToTPM(plain) } catch  where error.code == .tpmUnavailable { return plain }
        }
    }

    public func unseal(_ stored: Data) throws(QueueError) -> Data {
        if SealedKeyMarker.isSealed(stored) { return try unsealFromTPM(stored) }
        guard settings.mode != .required else {
            throw QueueError(
                .tpmNotSealed,
                "store.tpm = required and the key file is not sealed to the TPM (stationd keys seal-to-tpm)")
        }
        return stored
    }

    private struct Envelope: Codable {
        var ciphertext: String
        var nonce: String
        var pcrs: String
        var `private`: String
        var `public`: String
    }

    /// Seals `plain` to the TPM whatever the mode, and proves the result unseals to the same bytes.
    public func sealToTPM(_ plain: Data) throws(QueueError) -> Data {
        let wrapping = SymmetricKey(size: .bits256)
        let secret = wrapping.withUnsafeBytes { Data($0) }
        let folder = try PrivateFolder()
        defer { folder.remove() }
        let pcrs = settings.pcrs ?? ""
        let publicBlob: Data
        let privateBlob: Data
        do {
            try createPrimary(in: folder)
            var create = [
                "-Q", "-C", folder.path("primary.ctx"), "-i", "-", "-u", folder.path("seal.pub"), "-r",
                folder.path("seal.priv"),
            ]
            if !pcrs.isEmpty {
                defer { tools.flush() }
                _ = try tools.run(
                    "tpm2_createpolicy", ["-Q", "--policy-pcr", "-l", pcrs, "-L", folder.path("pcr.policy")])
                // Without userwithauth the object opens only through the PCR policy.
                create += ["-L", folder.path("pcr.policy"), "-a", "fixedtpm|fixedparent"]
            }
            defer { tools.flush() }
            _ = try tools.run("tpm2_create", create, input: secret)
        } catch {
            throw Self.unavailable(error)
        }
        guard let pub = FileManager.default.contents(atPath: folder.path("seal.pub")),
            let priv = FileManager.default.contents(atPath: folder.path("seal.priv"))
        else { throw QueueError(.tpmUnavailable, "tpm2_create wrote no sealed object") }
        publicBlob = pub
        privateBlob = priv
        let nonce = AES.GCM.Nonce()
        let aad = Self.associatedData(pcrs: pcrs, public: publicBlob, private: privateBlob)
        guard let box = try? AES.GCM.seal(plain, using: wrapping, nonce: nonce, authenticating: aad) else {
            throw QueueError(.keyFile, "cannot encrypt the key file")
        }
        let envelope = Envelope(
            ciphertext: (box.ciphertext + box.tag).base64EncodedString(),
            nonce: Data(nonce).base64EncodedString(), pcrs: pcrs, private: privateBlob.base64EncodedString(),
            public: publicBlob.base64EncodedString())
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        guard let json = try? encoder.encode(envelope) else { throw QueueError(.keyFile, "cannot encode") }
        let sealed = Data(SealedKeyMarker.firstLine.utf8) + json + Data("\n".utf8)
        guard try unsealFromTPM(sealed) == plain else {
            throw QueueError(.tpmRefused, "the TPM sealed the key but does not unseal it to the same bytes")
        }
        return sealed
    }

    /// Opens a sealed key file: `queue.tpm_corrupt` (not an envelope, or the content fails authentication),
    /// `queue.tpm_unavailable` (no TPM answers), `queue.tpm_refused` (another TPM, or the PCRs changed).
    public func unsealFromTPM(_ stored: Data) throws(QueueError) -> Data {
        let header = Data(SealedKeyMarker.firstLine.utf8)
        guard SealedKeyMarker.isSealed(stored),
            let envelope = try? JSONDecoder().decode(Envelope.self, from: stored.dropFirst(header.count)),
            let publicBlob = Data(base64Encoded: envelope.public),
            let privateBlob = Data(base64Encoded: envelope.private),
            let nonceBytes = Data(base64Encoded: envelope.nonce), let nonce = try? AES.GCM.Nonce(data: nonceBytes),
            let combined = Data(base64Encoded: envelope.ciphertext), combined.count >= 16,
            envelope.pcrs.isEmpty || TPMSettings.validPCRs(envelope.pcrs)
        else { throw QueueError(.tpmCorrupt, "the sealed key file is malformed") }
        let folder = try PrivateFolder()
        defer { folder.remove() }
        do {
            try createPrimary(in: folder)
        } catch {
            throw Self.unavailable(error)
        }
        let secret: Data
        do {
            guard FileManager.default.createFile(atPath: folder.path("seal.pub"), contents: publicBlob),
                FileManager.default.createFile(atPath: folder.path("seal.priv"), contents: privateBlob)
            else { throw QueueError(.keyFile, "cannot write the sealed object to \(folder.root)") }
            do {
                defer { tools.flush() }
                _ = try tools.run(
                    "tpm2_load",
                    [
                        "-Q", "-C", folder.path("primary.ctx"), "-u", folder.path("seal.pub"), "-r",
                        folder.path("seal.priv"), "-c", folder.path("seal.ctx"),
                    ])
            } catch {
                throw QueueError(
                    .tpmRefused,
                    "the TPM does not load the sealed key (another TPM, its owner hierarchy cleared, or the blob "
                        + "altered): \(error.message)")
            }
            do {
                defer { tools.flush() }
                var unseal = ["-c", folder.path("seal.ctx")]
                if !envelope.pcrs.isEmpty { unseal += ["-p", "pcr:" + envelope.pcrs] }
                secret = try tools.run("tpm2_unseal", unseal)
            } catch {
                throw QueueError(
                    .tpmRefused,
                    envelope.pcrs.isEmpty
                        ? "the TPM refuses to unseal the key: \(error.message)"
                        : "the TPM refuses to unseal the key: the PCRs \(envelope.pcrs) it is bound to have changed "
                            + "(a firmware or Secure Boot update?): \(error.message)")
            }
        }
        let aad = Self.associatedData(pcrs: envelope.pcrs, public: publicBlob, private: privateBlob)
        guard secret.count == 32,
            let box = try? AES.GCM.SealedBox(
                nonce: nonce, ciphertext: combined.dropLast(16), tag: combined.suffix(16)),
            let plain = try? AES.GCM.open(box, using: SymmetricKey(data: secret), authenticating: aad)
        else { throw QueueError(.tpmCorrupt, "the sealed key file's content fails authentication") }
        return plain
    }

    /// Whether a TPM answers on the configured TCTI: nil if it does, else why not.
    public func probe() -> String? {
        do {
            _ = try tools.run("tpm2_getcap", ["properties-fixed"])
            return nil
        } catch {
            return error.message
        }
    }

    /// The owner hierarchy's ECC primary (the same key each time: derived from the TPM's seed and the template).
    private func createPrimary(in folder: PrivateFolder) throws(TPM2Tools.Failure) {
        defer { tools.flush() }
        _ = try tools.run(
            "tpm2_createprimary", ["-Q", "-C", "o", "-g", "sha256", "-G", "ecc", "-c", folder.path("primary.ctx")])
    }

    private static func unavailable(_ error: TPM2Tools.Failure) -> QueueError {
        QueueError(.tpmUnavailable, "no TPM answers (\(error.tool)): \(error.message)")
    }

    private static func associatedData(pcrs: String, public publicBlob: Data, private privateBlob: Data) -> Data {
        Data((SealedKeyMarker.firstLine + pcrs + "\n").utf8) + publicBlob + privateBlob
    }
}

/// A folder only this user can enter (0700) for the TPM's blobs and contexts (never a secret), removed after use.
struct PrivateFolder {
    let root: String

    init() throws(QueueError) {
        var template = Array((NSTemporaryDirectory() + "/stationd-tpm-XXXXXX").utf8CString)
        let made: String? = template.withUnsafeMutableBufferPointer { buffer in
            mkdtemp(buffer.baseAddress!).map { String(cString: $0) }
        }
        guard let made else {
            throw QueueError(.keyFile, "cannot create a private folder for the TPM (errno \(errno))")
        }
        root = made
    }

    func path(_ name: String) -> String { root + "/" + name }

    func remove() { try? FileManager.default.removeItem(atPath: root) }
}
