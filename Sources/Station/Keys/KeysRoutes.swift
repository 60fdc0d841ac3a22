import ControlAPI
import Crypto
import Foundation
import Hummingbird
import Messages
import Queue

/// `POST /v1/keys/rotate` and `GET /v1/keys/rotate` (supervisors): the store key's rotation (`KeyRotationService`).
///
/// `POST /v1/keys/backup` (supervisors): the key files the configuration names, sealed as one `KeyBundle`.
/// Audited `keys_backup` (the protection and the number of files; never a secret). Nothing is written on the
/// station: the bundle travels back to `stationctl`, which writes it where the supervisor said.
struct KeysRoutes {
    let core: StationCore

    func add(to router: Router<StationRequestContext>) {
        router.post(RouterPath(ControlPaths.keysBackup)) { request, context -> Response in
            try context.require(.supervisor)
            let body = try await Body.decode(KeysBackupRequest.self, request, core)
            let station = UplinkUploadService.Settings(core.configuration).stationID
            let files = StationKeyFiles(core.configuration)
            let answer = try await Task.detached {
                try Self.backup(body, files: files, station: station)
            }.value
            try await core.store.run {
                try $0.recordStationEvent(
                    "keys_backup", by: QueueRoutes.actor(context),
                    reasonCode: "\(answer.protection):\(answer.roles.count)")
            }
            core.logger.notice(
                "key files backed up",
                metadata: ["by": "\(context.callerName)", "protection": "\(answer.protection)"])
            return JSONResponse.make(answer)
        }
        router.post(RouterPath(ControlPaths.keysRotate)) { _, context -> Response in
            try context.require(.supervisor)
            let answer = try await core.keyRotation.start(by: QueueRoutes.actor(context))
            core.logger.notice("store key rotation started", metadata: ["by": "\(context.callerName)"])
            return JSONResponse.make(.accepted, answer)
        }
        router.get(RouterPath(ControlPaths.keysRotate)) { _, context -> Response in
            try context.require(.supervisor)
            return JSONResponse.make(try await core.keyRotation.status())
        }
    }

    /// Collects and seals (scrypt needs 32 MiB and a good part of a second: off the event loop).
    static func backup(_ body: KeysBackupRequest, files: StationKeyFiles, station: String) throws(APIError)
        -> KeysBackupWire
    {
        do {
            let bundle = try files.collect()
            let now = Date()
            let sealed: Data
            var fingerprint: String?
            switch (body.passphrase, body.recipient) {
            case (let passphrase?, nil):
                sealed = try bundle.seal(passphrase: passphrase, station: station, at: now)
            case (nil, let recipient?):
                let key = try X25519KeyText.publicKey(Data(recipient.utf8))
                fingerprint = X25519KeyText.fingerprint(key)
                sealed = try bundle.seal(recipientKey: Data(recipient.utf8), station: station, at: now)
            default:
                throw APIError(.badRequest, Message(.keysBackupOneProtection))
            }
            return KeysBackupWire(
                station: station, createdAt: KeyBundle.stamp(now),
                protection: fingerprint == nil ? "passphrase" : "recipient", recipientFingerprint: fingerprint,
                roles: bundle.files.map(\.role),
                sha256: SHA256.hash(data: sealed).map { String(format: "%02x", $0) }.joined(),
                bundle: sealed.base64EncodedString())
        } catch let error as APIError {
            throw error
        } catch let error as KeyBundleError {
            throw APIError(
                error.code == .fileAccess || error.code == .nothingToBackUp ? .internalServerError : .badRequest,
                moduleCode: error.code.rawValue, Message(.keysBundleRefused, ["code": error.code.rawValue]),
                detail: error.reason)
        } catch {
            throw APIError(
                .internalServerError, moduleCode: "keys.file_access",
                Message(.keysBundleRefused, ["code": "keys.file_access"]))
        }
    }
}
