/// Sex as recorded in the chip (DG1 / DG13).
public enum Sex: String, Sendable, Hashable, Codable, CaseIterable {
    case male = "M"
    case female = "F"
    case unspecified = "X"
}

/// The outcome of Passive/Active/Chip Authentication of the card, as Intake needs it.
///
/// Mapped from the `ChipID` module's verification result by the station; Intake does not import `ChipID`
/// so the two can evolve apart.
public enum AuthenticityVerdict: String, Sendable, Hashable, Codable, CaseIterable {
    /// Signature chain to a trusted CSCA verified and data-group hashes match.
    case genuine
    /// Hashes and signature are consistent but no CSCA trust anchor is installed on the station, so the issuer
    /// could not be checked (normal until the authority provides the Vietnamese CSCA).
    case noTrustAnchor
    /// Trust anchors are installed and the card's document signer does not chain to any of them (unknown issuer,
    /// broken or revoked chain). Refused unless configured overridable.
    case untrustedSigner
    /// A data group does not match its hash in the security object: altered data. Never overridable.
    case hashMismatch
    /// Active or Chip Authentication failed: a copied chip. Never overridable.
    case clone
    /// Authentication was not performed.
    case notChecked
}

/// Whether the personal data in DG1 (MRZ) and DG13 (Vietnamese personal data) agree.
public enum DataGroupConsistency: String, Sendable, Hashable, Codable, CaseIterable {
    case consistent
    /// At least one of ID number, name, date of birth, sex or expiry differs between DG1 and DG13.
    case mismatch
    /// The comparison was not made (e.g. DG13 not read).
    case notCompared
}

/// The identity read from the citizen's chip card.
///
/// A value type of Intake's own: the station maps `ChipID`'s DG1/DG13 results into it. Personal data, so
/// `description` and reflection reveal nothing but the masked ID.
public struct ChipIdentity: Sendable, Hashable, Codable, CustomStringConvertible, CustomReflectable {
    /// The 12-digit personal identification number.
    public var idNumber: CitizenID
    /// Full name as in DG13, in Vietnamese (NFC).
    public var fullName: String
    /// Date of birth.
    public var dateOfBirth: CalendarDate
    /// Sex.
    public var sex: Sex
    /// Card expiry; nil for cards without a validity limit (holders over 60).
    public var expiry: CalendarDate?
    /// DG1/DG13 agreement, computed by the chip reader.
    public var consistency: DataGroupConsistency

    /// Creates an identity.
    public init(
        idNumber: CitizenID, fullName: String, dateOfBirth: CalendarDate, sex: Sex, expiry: CalendarDate?,
        consistency: DataGroupConsistency = .consistent
    ) {
        self.idNumber = idNumber
        self.fullName = fullName
        self.dateOfBirth = dateOfBirth
        self.sex = sex
        self.expiry = expiry
        self.consistency = consistency
    }

    public var description: String { "ChipIdentity(\(idNumber.masked))" }
    public var customMirror: Mirror { Mirror(self, children: ["idNumber": idNumber.masked]) }
}
