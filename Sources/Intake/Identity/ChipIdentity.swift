/// Sex as recorded in the chip (DG1 / DG13).
public enum Sex: String, Sendable, Hashable, Codable, CaseIterable {
    case male = "M"
    case female = "F"
    case unspecified = "X"
}

/// What the station proved about the card: the one verdict name policy acts on (`[authenticity]`), the same in
/// `stationd card read --json`, intake, `/v1/verify`, the queue and the packet.
///
/// Mapped from the `ChipID` module's detailed `AuthenticityFindings` by one function in the station
/// (`AuthenticityVerdict(findings:)`); Intake does not import `ChipID` so the two can evolve apart.
public enum AuthenticityVerdict: String, Sendable, Hashable, Codable, CaseIterable {
    /// Data groups intact, SOD signature valid, chain to a trusted CSCA valid at the time of the check, and Chip or
    /// Active Authentication passed with a key the SOD covers.
    case genuine
    /// Like `genuine`, but no trust anchor for the issuer is installed, so the chain is unknown (normal until the
    /// authority publishes the Vietnamese CSCA; the central completes the chain from the packet's chip evidence).
    case verifiedOffline
    /// Data intact and SOD signature valid, but the anti-clone check could not run (no DG14/DG15, or an error
    /// that is not a failure of the chip's proof).
    case unconfirmed
    /// Trust anchors are installed and the document signer does not chain to any of them (unknown issuer).
    case untrustedSigner
    /// The chain is there but not valid: an expired, not yet valid or revoked document signer, or a CSCA out of
    /// its validity.
    case chainInvalid
    /// A data group does not match its hash in the security object, or the SOD signature does not verify:
    /// altered data. Never accepted.
    case hashMismatch
    /// Chip or Active Authentication failed: a copied chip. Never accepted.
    case clone
    /// Authentication did not run (EF.SOD unreadable or absent): nothing proven either way.
    case notChecked
    /// No chip card: a citizen without a CCCD yet (2-in-1 without a card), the identity typed by the officer and
    /// checked for its structure; the central matches it against the population database. Never a chip's verdict
    /// and never named in `[authenticity]`: any operator commits it.
    case noCard

    /// Verdicts no configuration can make acceptable: altered data and copied chips.
    public static let neverAcceptable: Set<AuthenticityVerdict> = [.hashMismatch, .clone]

    /// Reads the current names and the names of stores written before issue 17 (`noTrustAnchor`: intact and
    /// signed, chain unknown, the anti-clone check not required then, so `unconfirmed`).
    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let verdict = AuthenticityVerdict(storedName: text) else {
            throw DecodingError.dataCorrupted(
                DecodingError.Context(
                    codingPath: decoder.codingPath, debugDescription: "unknown authenticity verdict \(text)"))
        }
        self = verdict
    }

    /// The verdict a stored name stands for, current or legacy (`noTrustAnchor` → `unconfirmed`); nil if unknown.
    public init?(storedName: String) {
        if let current = AuthenticityVerdict(rawValue: storedName) {
            self = current
        } else if storedName == "noTrustAnchor" {
            self = .unconfirmed
        } else {
            return nil
        }
    }
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
