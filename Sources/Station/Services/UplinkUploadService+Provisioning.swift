import CentralAPI
import ControlAPI
import Foundation
import Messages
import Queue
import Uplink

#if canImport(Glibc)
    import Glibc
#endif

/// Enrollment from the central's provisioning file (`stationctl enroll --from-file`): the central's keys are pinned
/// without a connection, from a file each field of which the central signed; the station's own key is registered
/// with the file's one-time token at the first connection (`Uploader.enroll`, as online), before anything is sent.
extension UplinkUploadService {
    /// The one-time token of an enrollment from a file, kept 0600 in the uplink's state folder until the station's
    /// key is registered with the central (then removed).
    var provisioningPath: String { settings.stateDirectory + "/provisioning.json" }

    /// `provisioning.json`.
    struct PendingRegistration: Codable {
        var fileID: String
        var stationID: String
        var token: String
    }

    /// Checks the file (signatures, for this station and this central) and pins its keys once their fingerprint is
    /// the confirmed one. Refusals name the field (`provisioning.*`, 422); nothing is pinned or kept then.
    func enroll(fromFile text: String, _ request: EnrollRequest, by supervisor: String) async throws -> EnrollResult {
        let file: ProvisioningFile
        do throws(ProvisioningError) {
            file = try ProvisioningFile.open(Data(text.utf8))
            try check(file)
        } catch {
            logger.error(
                "provisioning file refused",
                metadata: ["code": "\(error.code.rawValue)", "field": "\(error.field ?? "file")"])
            throw APIError(
                .badRequest, moduleCode: error.code.rawValue,
                Message(.provisioningRefused, ["code": error.code.rawValue, "field": error.field ?? "—"]),
                detail: "\(error.field ?? "file"): \(error.reason)")
        }
        do {
            let pending = try CanonicalEncoding.encode(
                PendingRegistration(fileID: file.fileID, stationID: file.stationID, token: file.token))
            try KeyFile.write(pending, to: provisioningPath, replacing: true, what: "provisioning.json")
            let credentials: StationCredentials
            do {
                credentials = try StationCredentials.load(
                    directory: settings.stateDirectory, stationID: settings.stationID
                ).enrolled(
                    file.enrollmentResponse, confirmedFingerprint: request.centralFingerprint,
                    changeConfirmedBy: request.acceptKeyChange == true ? supervisor : nil)
            } catch {
                unlink(provisioningPath)
                throw error
            }
            try install(credentials)
            wake.yield(.enrolled)
            logger.notice(
                "station enrolled from a provisioning file; central keys pinned",
                metadata: [
                    "station": "\(settings.stationID)", "file": "\(file.fileID)",
                    "central_fingerprint": "\(file.keys.fingerprint)", "confirmed_by": "\(supervisor)",
                ])
            return EnrollResult(
                stationID: settings.stationID, centralFingerprint: file.keys.fingerprint,
                provisioningFileID: file.fileID, registrationPending: true)
        } catch let error as UplinkError {
            let code = Self.code(of: error)
            throw APIError(
                .conflict, moduleCode: code, Self.enrollmentRefusal(code),
                detail: "\(error.reason); centralSigningKey, centralKey: the file's keys have the fingerprint "
                    + "\(file.keys.fingerprint)")
        } catch let error as QueueError {
            throw APIError(
                .internalServerError, moduleCode: error.code.rawValue,
                Message(.provisioningRefused, ["code": error.code.rawValue, "field": "—"]), detail: error.reason)
        }
    }

    /// For this station (`uplink.station_id`) and this central (`uplink.url`, `uplink.pinned_ca`).
    func check(_ file: ProvisioningFile) throws(ProvisioningError) {
        guard file.stationID == settings.stationID else {
            throw ProvisioningError(
                .otherStation, field: "stationID",
                "the file is for \(file.stationID); this station is \(settings.stationID) (uplink.station_id)")
        }
        let trimmed = { (url: String) in url.hasSuffix("/") ? String(url.dropLast()) : url }
        guard trimmed(file.endpoint) == trimmed(settings.url) else {
            throw ProvisioningError(
                .otherCentral, field: "endpoint", "the file names \(file.endpoint); uplink.url is \(settings.url)")
        }
        guard let certificate = file.tlsCertificate else { return }
        let pem = { (text: String) in text.filter { !$0.isWhitespace } }
        guard let path = settings.pinnedCA, let configured = FileManager.default.contents(atPath: path) else {
            throw ProvisioningError(
                .otherCentral, field: "tlsCertificate",
                "the file pins a TLS CA: save it to a file and set uplink.pinned_ca to that file first")
        }
        guard pem(String(decoding: configured, as: UTF8.self)) == pem(certificate) else {
            throw ProvisioningError(
                .otherCentral, field: "tlsCertificate", "not the CA certificate in uplink.pinned_ca (\(path))")
        }
    }

    /// At the start of a cycle: registers the station's key with the provisioning file's token (the central's
    /// answer must be signed by, and name, the pinned keys), then forgets the token. Offline: the cycle fails as
    /// any other and the next one tries again.
    func registerProvisionedKey() async throws {
        guard let data = FileManager.default.contents(atPath: provisioningPath) else { return }
        guard let pending = try? CanonicalEncoding.decode(PendingRegistration.self, from: data) else {
            throw UplinkError(.credentials, "provisioning.json is malformed")
        }
        let credentials = try StationCredentials.load(
            directory: settings.stateDirectory, stationID: settings.stationID)
        guard let pinned = credentials.pinnedCentral, pending.stationID == settings.stationID else { return }
        _ = try await Uploader.enroll(
            client: client, credentials: credentials, token: pending.token, centralFingerprint: pinned.fingerprint)
        unlink(provisioningPath)
        logger.notice(
            "station key registered with the central (provisioning file)", metadata: ["file": "\(pending.fileID)"])
    }
}
