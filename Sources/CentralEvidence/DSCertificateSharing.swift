import ChipID
import Foundation
import Intake

/// The document-signer certificate once per batch (issue 17): the station sends each packet's EF.SOD without its
/// certificate set and the certificate's SHA-256 (`ChipEvidence.dsCertificateSHA256`), and each distinct
/// certificate once in the signed batch manifest (`BatchManifest.dsCertificates`, also in exports); the central
/// keeps them by hash and puts the certificate back before Passive Authentication (`DetachedSOD`). The CMS
/// signature covers the signed attributes, not the certificate set, so the result is the same.
public enum DSCertificateSharing {
    /// Lower-case hex SHA-256 of a certificate (DER): its key in manifests and at the central.
    public static func sha256(_ certificate: Data) -> String {
        Hashing.sha256([UInt8](certificate)).map { String(format: "%02x", $0) }.joined()
    }

    /// The station's side: `evidence` with its SOD's certificate taken out (and named by hash), and that
    /// certificate. Evidence that already names a certificate, or whose SOD cannot be split exactly
    /// (`DetachedSOD.detach`), is returned as it is, with no certificate: its SOD travels whole.
    public static func detach(_ evidence: ChipEvidence) -> (evidence: ChipEvidence, certificate: Data?) {
        guard evidence.dsCertificateSHA256 == nil, let split = DetachedSOD.detach([UInt8](evidence.sod)) else {
            return (evidence, nil)
        }
        let certificate = Data(split.certificate)
        var detached = evidence
        detached.sod = Data(split.sod)
        detached.dsCertificateSHA256 = sha256(certificate)
        return (detached, certificate)
    }

    /// The distinct certificates of a batch, in first-seen order; nil when there are none (the manifest then
    /// carries no `dsCertificates`).
    public static func distinct(_ certificates: [Data?]) -> [Data]? {
        var seen = Set<Data>()
        let unique = certificates.compactMap { $0 }.filter { seen.insert($0).inserted }
        return unique.isEmpty ? nil : unique
    }
}
