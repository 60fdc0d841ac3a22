import ChipID
import Foundation
import Intake

/// The central's re-check of a packet's chip evidence (issue 17): Passive Authentication of the data groups sent,
/// against the receiver's CSCA trust list, and the Chip/Active Authentication transcript against DG14/DG15.
/// Pure; the receiver refuses an item that fails with `CHIP_EVIDENCE_INVALID` (the station shows it as
/// needsAttention with that reason).
struct ChipEvidenceCheck: Sendable {
    /// The refusal reason code.
    static let invalidCode = "CHIP_EVIDENCE_INVALID"
    /// Anchors (`--trust DIR`, `--masterlist FILE`).
    let trustList: CSCATrustList

    /// What was found.
    enum Outcome: Sendable, Hashable {
        /// Data groups intact, SOD signed by a DS chaining to a trusted CSCA, transcript verified.
        case chipVerified
        /// Why not (English, no personal data).
        case invalid(String)
    }

    /// Re-checks `evidence`: every data group sent matches EF.SOD, the SOD signature verifies, the DS chains to the
    /// trust list, and a card offering an anti-clone key (DG14/DG15) carries a transcript that verifies with it.
    func check(_ evidence: ChipEvidence) -> Outcome {
        var files: [LDSFile: [UInt8]] = [.sod: [UInt8](evidence.sod)]
        for (number, bytes) in evidence.dataGroups { files[.dg(number)] = [UInt8](bytes) }
        let chip = evidence.chipAuthentication.map {
            ChipAuthenticationTranscript(
                terminalPrivateKey: [UInt8]($0.terminalPrivateKey), terminalPublicKey: [UInt8]($0.terminalPublicKey),
                protectedResponse: [UInt8]($0.protectedResponse), responseSSC: [UInt8]($0.responseSSC))
        }
        let active = evidence.activeAuthentication.map {
            ActiveAuthenticationTranscript(challenge: [UInt8]($0.challenge), signature: [UInt8]($0.signature))
        }
        do {
            try EvidenceVerification.verify(
                files: files, trustList: trustList, chipAuthentication: chip, activeAuthentication: active)
            return .chipVerified
        } catch {
            return .invalid(error.reason)
        }
    }
}
