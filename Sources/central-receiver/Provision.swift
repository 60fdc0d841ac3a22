import CentralAPI
import Crypto
import Foundation
import GRDB

#if canImport(Glibc)
    import Glibc
#endif

extension ReceiverStore {
    /// Accepts one more one-time enrollment token.
    func addToken(_ token: String) throws {
        try db.write { db in try db.execute(sql: "INSERT INTO token (token) VALUES (?)", arguments: [token]) }
    }
}

/// `central-receiver provision --data DIR --station ID --endpoint URL --out FILE [--tls-ca PEM] [--valid-days N]`:
/// a provisioning file for one station (offline enrollment), with a fresh one-time token the receiver now accepts.
/// Written 0600, never over an existing file; prints the central's fingerprint, the file's id and where it is,
/// never the token. Needs no network: it works on the receiver's data folder.
func provision(store: ReceiverStore, option: (String) -> String?) -> Int32 {
    guard let station = option("station"), let endpoint = option("endpoint"), let out = option("out") else {
        FileHandle.standardError.write(
            Data("central-receiver provision: --station ID, --endpoint URL and --out FILE are required\n".utf8))
        return 2
    }
    var certificate: String?
    if let path = option("tls-ca") {
        guard let data = FileManager.default.contents(atPath: path) else {
            FileHandle.standardError.write(Data("central-receiver provision: cannot read --tls-ca \(path)\n".utf8))
            return 2
        }
        certificate = String(decoding: data, as: UTF8.self)
    }
    let days = option("valid-days").flatMap(Double.init) ?? 30
    do {
        let token = "prov-" + ItemEnvelope.hex((0..<24).map { _ in UInt8.random(in: 0...255) })
        let file = try ProvisioningFile.make(
            stationID: station, endpoint: endpoint, token: token, tlsCertificate: certificate,
            validity: days * 86_400, signingKey: store.signingKey, centralKey: store.publicKeys.encryptionKey)
        let encoder = CanonicalEncoding.encoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes, .prettyPrinted]
        let data = try encoder.encode(file)
        let fd = open(out, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            FileHandle.standardError.write(Data("central-receiver provision: cannot create \(out) (exists?)\n".utf8))
            return 1
        }
        let written = data.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        fsync(fd)
        close(fd)
        guard written == data.count else {
            unlink(out)
            FileHandle.standardError.write(Data("central-receiver provision: cannot write \(out)\n".utf8))
            return 1
        }
        // The token is accepted only once the file exists.
        try store.addToken(token)
        print("central fingerprint: \(store.publicKeys.fingerprint)")
        print("provisioning file: \(out) (id \(file.fileID), station \(station), valid \(Int(days)) days)")
        return 0
    } catch {
        FileHandle.standardError.write(Data("central-receiver provision: \(error)\n".utf8))
        return 1
    }
}
