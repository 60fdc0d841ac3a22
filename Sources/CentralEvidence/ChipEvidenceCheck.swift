import ChipID
import Foundation
import Intake

/// The central's re-check of a packet's chip evidence (issue 17): Passive Authentication of the data groups sent,
/// against the central's CSCA trust list, and the Chip/Active Authentication transcript against DG14/DG15.
/// Pure; the receiver refuses an item that fails with `CHIP_EVIDENCE_INVALID` (the station shows it as
/// needsAttention with that reason). Shared by `central-receiver` and `station-bench evidence`.
public struct ChipEvidenceCheck: Sendable {
    /// The refusal reason code.
    public static let invalidCode = "CHIP_EVIDENCE_INVALID"
    /// The refusal reason code of evidence naming a DS certificate the central was not given (in this batch's
    /// manifest or an earlier one).
    public static let unknownCertificateCode = "DS_CERTIFICATE_UNKNOWN"
    /// Anchors (`--trust DIR`, `--masterlist FILE`).
    public let trustList: CSCATrustList

    /// Checks against `trustList`.
    public init(trustList: CSCATrustList) { self.trustList = trustList }

    /// What was found.
    public enum Outcome: Sendable, Hashable {
        /// Data groups intact, SOD signed by a DS chaining to a trusted CSCA, transcript verified.
        case chipVerified
        /// Passive Authentication passed and no transcript was sent under a verdict that says the anti-clone check
        /// did not run (`unconfirmed`, e.g. a supervisor's override): stored, but not `chipVerified`.
        case passiveOnly
        /// Why not (English, no personal data).
        case invalid(String)
        /// The SOD travels without its certificate and names one (by SHA-256) the central does not hold.
        case unknownCertificate(String)
    }

    /// Verdicts that say the chip's anti-clone proof (Chip or Active Authentication) ran and passed: their packet
    /// must carry the transcript.
    public static let claimingAntiClone: Set<AuthenticityVerdict> = [.genuine, .verifiedOffline]

    /// What `EvidenceVerification.verify` takes, from the evidence as the packet carries it: the files by LDS name
    /// and the transcripts in ChipID's types (the one mapping, also used by the benchmark's floor).
    public struct Inputs: Sendable {
        /// EF.SOD and the data groups sent.
        public var files: [LDSFile: [UInt8]]
        /// The Chip Authentication transcript, if sent.
        public var chipAuthentication: ChipAuthenticationTranscript?
        /// The Active Authentication transcript, if sent.
        public var activeAuthentication: ActiveAuthenticationTranscript?

        /// Maps `evidence`.
        public init(_ evidence: ChipEvidence) {
            var files: [LDSFile: [UInt8]] = [.sod: [UInt8](evidence.sod)]
            for (number, bytes) in evidence.dataGroups { files[.dg(number)] = [UInt8](bytes) }
            self.files = files
            chipAuthentication = evidence.chipAuthentication.map {
                ChipAuthenticationTranscript(
                    terminalPrivateKey: [UInt8]($0.terminalPrivateKey),
                    terminalPublicKey: [UInt8]($0.terminalPublicKey),
                    protectedResponse: [UInt8]($0.protectedResponse), responseSSC: [UInt8]($0.responseSSC))
            }
            activeAuthentication = evidence.activeAuthentication.map {
                ActiveAuthenticationTranscript(challenge: [UInt8]($0.challenge), signature: [UInt8]($0.signature))
            }
        }
    }

    /// Re-checks `evidence` sent under the station's `verdict`: every data group sent matches EF.SOD, the SOD
    /// signature verifies, the DS chains to the trust list, and a transcript sent verifies with DG14/DG15. A verdict
    /// claiming the anti-clone proof (`claimingAntiClone`) without a transcript is invalid; any other verdict
    /// without one is `passiveOnly`. No evidence at all is invalid. A SOD sent without its certificate gets back
    /// the one `certificates` gives for its hash (`DSCertificateSharing`) first.
    public func check(
        _ evidence: ChipEvidence?, claimed verdict: AuthenticityVerdict,
        certificates: (String) -> Data? = { _ in nil }
    ) -> Outcome {
        guard var evidence else { return .invalid("no chip evidence") }
        if let hash = evidence.dsCertificateSHA256 {
            guard let certificate = certificates(hash), DSCertificateSharing.sha256(certificate) == hash else {
                return .unknownCertificate(hash)
            }
            do {
                evidence.sod = Data(try DetachedSOD.attach([UInt8](certificate), to: [UInt8](evidence.sod)))
            } catch {
                return .invalid(error.reason)
            }
            evidence.dsCertificateSHA256 = nil
        }
        let inputs = Inputs(evidence)
        let transcript = inputs.chipAuthentication != nil || inputs.activeAuthentication != nil
        if !transcript && Self.claimingAntiClone.contains(verdict) {
            return .invalid("the verdict \(verdict.rawValue) claims the anti-clone check, but no transcript was sent")
        }
        do {
            try EvidenceVerification.verify(
                files: inputs.files, trustList: trustList, chipAuthentication: inputs.chipAuthentication,
                activeAuthentication: inputs.activeAuthentication)
        } catch {
            return .invalid(error.reason)
        }
        return transcript ? .chipVerified : .passiveOnly
    }
}
