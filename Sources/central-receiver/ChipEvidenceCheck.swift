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
        let passive: PassiveAuthenticationVerdict
        do {
            passive = try PassiveAuthentication.verify(files: files, trustList: trustList)
        } catch {
            return .invalid("EF.SOD: \(error.reason)")
        }
        guard passive.dataGroupsIntact else {
            return .invalid("altered data groups: \(passive.mismatchedDataGroups.map { "DG\($0)" })")
        }
        guard passive.signatureValid && passive.messageDigestValid else { return .invalid("SOD signature invalid") }
        guard passive.chain == .trusted else { return .invalid("chain \(passive.chain.rawValue): \(passive.chainReason)") }
        do {
            if let ca = evidence.chipAuthentication {
                guard let dg14 = evidence.dg14 else { return .invalid("a CA transcript without DG14") }
                try ChipAuthenticationTranscript(
                    terminalPrivateKey: [UInt8](ca.terminalPrivateKey), terminalPublicKey: [UInt8](ca.terminalPublicKey),
                    protectedResponse: [UInt8](ca.protectedResponse), responseSSC: [UInt8](ca.responseSSC)
                ).verify(dg14: [UInt8](dg14))
            } else if let aa = evidence.activeAuthentication {
                guard let dg15 = evidence.dg15 else { return .invalid("an AA transcript without DG15") }
                try ActiveAuthenticationTranscript(challenge: [UInt8](aa.challenge), signature: [UInt8](aa.signature))
                    .verify(dg15: [UInt8](dg15), dg14: evidence.dg14.map { [UInt8]($0) })
            }
        } catch {
            return .invalid("anti-clone transcript: \(error.reason)")
        }
        return .chipVerified
    }
}
