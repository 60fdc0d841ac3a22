/// The central's re-check of a station's chip evidence (issue 17): Passive Authentication of the files sent against
/// the central's CSCA trust list, then the anti-clone transcript against DG14/DG15 (now known intact).
public enum EvidenceVerification {
    /// Verifies `files` (EF.SOD and the data groups sent) and the transcript. Throws with the first failure: an
    /// altered data group or bad SOD signature (`chip.crypto`), a chain that is not trusted
    /// (`chip.untrusted_signer`-style reason in the message), a transcript that does not verify.
    public static func verify(
        files: [LDSFile: [UInt8]], trustList: CSCATrustList,
        chipAuthentication: ChipAuthenticationTranscript?,
        activeAuthentication: ActiveAuthenticationTranscript?
    ) throws(ChipIDError) {
        let passive = try PassiveAuthentication.verify(files: files, trustList: trustList)
        guard passive.dataGroupsIntact else {
            throw ChipIDError(
                .crypto,
                "altered data groups: "
                    + passive.mismatchedDataGroups.map { "DG\($0)" }.joined(separator: ", "))
        }
        guard passive.signatureValid && passive.messageDigestValid else {
            throw ChipIDError(.crypto, "the SOD signature does not verify")
        }
        guard passive.chain == .trusted else {
            throw ChipIDError(.crypto, "chain \(passive.chain.rawValue): \(passive.chainReason)")
        }
        if let chipAuthentication {
            guard let dg14 = files[.dg(14)] else { throw ChipIDError(.crypto, "a CA transcript without DG14") }
            try chipAuthentication.verify(dg14: dg14)
        } else if let activeAuthentication {
            guard let dg15 = files[.dg(15)] else { throw ChipIDError(.crypto, "an AA transcript without DG15") }
            try activeAuthentication.verify(dg15: dg15, dg14: files[.dg(14)])
        }
    }
}
