import Foundation
import Intake
import Queue

#if canImport(Glibc)
    import Glibc
#endif

extension StationConfiguration {
    /// How the daemon and the by-hand tools open the store: its paths, limits, and the key file through the TPM
    /// sealer (which opens a sealed file whatever `store.tpm` says, and seals a new one as it says).
    public var queueConfiguration: ApplicationQueue.Configuration {
        var queue = ApplicationQueue.Configuration(
            databasePath: databasePath, keyFilePath: keyFilePath, minimumFreeBytes: minimumFreeBytes,
            retention: retention)
        queue.keySealer = TPMKeySealer(tpm)
        return queue
    }
}

/// `stationd keys seal-to-tpm` and `unseal-from-tpm`: an existing store key file converted to the TPM and back, with
/// the daemon stopped (the state directory's lock proves it).
///
/// Atomic and proven: the new file is written beside the old one (`queue.key.converting`, 0600), read back and
/// unsealed, the store opened with it (its key checks verified) and the change audited (`keys_tpm_seal` or
/// `keys_tpm_unseal`, the PCRs as the reason) before it is renamed over the old one. Any failure leaves the old file.
public enum TPMKeyConversion {
    /// Which way.
    public enum Direction: Sendable {
        /// Plain file → sealed to the TPM.
        case sealToTPM
        /// Sealed → plain file (to move the store to another machine, or before a firmware update with PCRs).
        case unsealFromTPM
    }

    /// What was done.
    public enum Outcome: String, Sendable {
        /// The key file was converted.
        case converted
        /// It already was in that form: nothing written.
        case alreadyThere = "already_there"
    }

    /// Converts the key file `configuration` names.
    public static func convert(
        _ direction: Direction, configuration: StationConfiguration, by person: String, uid: UInt32
    ) throws(QueueError) -> Outcome {
        let directory = (configuration.databasePath as NSString).deletingLastPathComponent
        let lock = try StateDirectoryLock(directory: directory)
        defer { withExtendedLifetime(lock) {} }
        let path = configuration.keyFilePath
        guard let stored = FileManager.default.contents(atPath: path) else {
            throw QueueError(.keyFile, "cannot read the key file \(path)")
        }
        let sealer = TPMKeySealer(configuration.tpm)
        let converted: Data
        switch direction {
        case .sealToTPM:
            guard !SealedKeyMarker.isSealed(stored) else { return .alreadyThere }
            guard KeyRing.keyIDs(ofFile: stored) != nil else {
                throw QueueError(.keyFile, "\(path) is not a key file")
            }
            converted = try sealer.sealToTPM(stored)
        case .unsealFromTPM:
            guard SealedKeyMarker.isSealed(stored) else { return .alreadyThere }
            converted = try sealer.unsealFromTPM(stored)
        }
        let pending = path + ".converting"
        unlink(pending)
        try KeyFile.write(converted, to: pending, replacing: true, what: "the converted key file")
        do {
            try prove(
                converted, at: pending, keyFile: path, direction, configuration: configuration, by: person, uid: uid)
        } catch {
            unlink(pending)
            throw error
        }
        guard rename(pending, path) == 0 else {
            let renameErrno = errno
            unlink(pending)
            throw QueueError(.keyFile, "cannot replace \(path) (errno \(renameErrno))")
        }
        KeyFile.syncFolder(of: path)
        return .converted
    }

    /// The converted file read back from the disk, opened the way the daemon will open it (the store's key checks),
    /// and the conversion audited in the store.
    private static func prove(
        _ converted: Data, at pending: String, keyFile path: String, _ direction: Direction,
        configuration: StationConfiguration, by person: String, uid: UInt32
    ) throws(QueueError) {
        guard let written = FileManager.default.contents(atPath: pending), written == converted else {
            throw QueueError(.keyFile, "the converted key file \(pending) does not read back")
        }
        var queueConfiguration = configuration.queueConfiguration
        queueConfiguration.keyFilePath = pending
        queueConfiguration.auditKeyFilePath = StoreKeyPaths.auditKey(forKeyFile: path)
        if direction == .unsealFromTPM { queueConfiguration.keySealer = PlainKeyFile() }
        let queue = try ApplicationQueue(configuration: queueConfiguration)
        try queue.recordStationEvent(
            direction == .sealToTPM ? "keys_tpm_seal" : "keys_tpm_unseal",
            by: .supervisor(OperatorID(person), uid: uid),
            reasonCode: configuration.tpm.pcrs.map { "pcrs:" + $0 } ?? "tpm")
    }
}
