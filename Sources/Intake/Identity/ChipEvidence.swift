import Foundation

/// What the chip gave, as read, so the central (which holds the CSCA) can complete Passive Authentication and
/// re-check the anti-clone proof: EF.SOD and the data groups it covers (DG1, DG13, DG14, DG15; DG2 is the
/// application's chip portrait, whose file is not sent: the central checks the groups it receives), and the Chip
/// or Active Authentication transcript. Sealed with the rest of the
/// application; format in `Sources/CentralAPI/openapi.yaml` (`ChipEvidence`).
public struct ChipEvidence: Sendable, Hashable, Codable {
    /// EF.SOD as read.
    public var sod: Data
    /// DG1 (MRZ) as read.
    public var dg1: Data
    /// DG13 (Vietnamese personal data) as read, if the chip has it.
    public var dg13: Data?
    /// DG14 (security infos, Chip Authentication key), if read.
    public var dg14: Data?
    /// DG15 (Active Authentication key), if read.
    public var dg15: Data?
    /// Chip Authentication v1, when it ran and passed.
    public var chipAuthentication: ChipAuthenticationEvidence?
    /// Active Authentication, when it ran and passed.
    public var activeAuthentication: ActiveAuthenticationEvidence?
    /// On the wire only: lower-case hex SHA-256 of the document-signer certificate taken out of `sod`'s
    /// certificate set; the certificate travels once per batch in the signed manifest and the central puts it
    /// back before verifying. Nil (as stored at the station): `sod` is EF.SOD as read.
    public var dsCertificateSHA256: String?

    /// Builds evidence.
    public init(
        sod: Data, dg1: Data, dg13: Data? = nil, dg14: Data? = nil, dg15: Data? = nil,
        chipAuthentication: ChipAuthenticationEvidence? = nil, activeAuthentication: ActiveAuthenticationEvidence? = nil
    ) {
        self.sod = sod
        self.dg1 = dg1
        self.dg13 = dg13
        self.dg14 = dg14
        self.dg15 = dg15
        self.chipAuthentication = chipAuthentication
        self.activeAuthentication = activeAuthentication
    }

    /// The files by data-group number (1, 13, 14, 15), as Passive Authentication takes them.
    public var dataGroups: [Int: Data] {
        var groups: [Int: Data] = [1: dg1]
        groups[13] = dg13
        groups[14] = dg14
        groups[15] = dg15
        return groups
    }
}

/// Chip Authentication v1 transcript: the terminal's ephemeral key pair (used once) and the first protected
/// response after CA with the send sequence counter it was checked with; the chip's key is DG14's.
public struct ChipAuthenticationEvidence: Sendable, Hashable, Codable {
    /// Terminal ephemeral private scalar, big-endian.
    public var terminalPrivateKey: Data
    /// Terminal ephemeral public point, uncompressed.
    public var terminalPublicKey: Data
    /// The first response under the new keys as the chip sent it (SM data objects ‖ SW1 SW2).
    public var protectedResponse: Data
    /// The SSC that response was checked with.
    public var responseSSC: Data

    /// Builds the transcript.
    public init(terminalPrivateKey: Data, terminalPublicKey: Data, protectedResponse: Data, responseSSC: Data) {
        self.terminalPrivateKey = terminalPrivateKey
        self.terminalPublicKey = terminalPublicKey
        self.protectedResponse = protectedResponse
        self.responseSSC = responseSSC
    }
}

/// Active Authentication transcript: the challenge and the chip's signature, checked against DG15.
public struct ActiveAuthenticationEvidence: Sendable, Hashable, Codable {
    /// The 8-byte challenge.
    public var challenge: Data
    /// The chip's signature.
    public var signature: Data

    /// Builds the transcript.
    public init(challenge: Data, signature: Data) {
        self.challenge = challenge
        self.signature = signature
    }
}
