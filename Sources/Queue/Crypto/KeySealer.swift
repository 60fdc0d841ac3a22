import Foundation

/// How the store's key file is kept on disk: the one seam between the key file and a TPM.
///
/// `KeyRing` reads the file through `unseal` and writes it through `seal`, so the rest of the store sees the same
/// key file content whatever protects it. `PlainKeyFile` is the file as it always was (0600); the station's
/// `TPMKeySealer` keeps it encrypted under a key sealed to the machine's TPM 2.0.
public protocol KeySealer: Sendable {
    /// The bytes to write for a key file whose content is `plain`. `replacing` is what the file holds now (nil: a
    /// new file), so that a sealed file stays sealed and a plain one plain when a rotation rewrites it.
    func seal(_ plain: Data, replacing: Data?) throws(QueueError) -> Data
    /// The key file's content from the bytes on disk.
    func unseal(_ stored: Data) throws(QueueError) -> Data
}

/// The key file as it is written: the content itself, mode 0600. Refuses a file sealed to a TPM
/// (`queue.tpm_unavailable`): this process was not given the TPM.
public struct PlainKeyFile: KeySealer {
    /// Creates the plain sealer.
    public init() {}

    public func seal(_ plain: Data, replacing: Data?) throws(QueueError) -> Data { plain }

    public func unseal(_ stored: Data) throws(QueueError) -> Data {
        guard !SealedKeyMarker.isSealed(stored) else {
            throw QueueError(
                .tpmUnavailable, "the key file is sealed to a TPM and no TPM is configured (store.tpm)")
        }
        return stored
    }
}

/// How a key file sealed to a TPM begins, so that any reader knows one when it sees it (the envelope itself is the
/// station's `TPMSealedKey`). Its first line is `stationd-tpm-sealed/1`.
public enum SealedKeyMarker {
    /// The first line of a sealed key file.
    public static let firstLine = "stationd-tpm-sealed/1\n"

    /// Whether `data` is a key file sealed to a TPM.
    public static func isSealed(_ data: Data) -> Bool { data.starts(with: Data(firstLine.utf8)) }
}
