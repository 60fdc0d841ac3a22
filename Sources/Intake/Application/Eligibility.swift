import Foundation

/// Why a citizen cannot be registered for level 2 yet, though they may be later.
public enum NotYetEligibleReason: String, Sendable, Hashable, Codable, CaseIterable {
    /// Under 14: eligible from the 14th birthday.
    case under14
    /// No phone number in regular use.
    case noPhone
    /// Aged 14–18 and the family does not allow a phone.
    case minorWithoutPhonePermission
    /// Serving a prison sentence.
    case inPrison
    /// Missing.
    case missing
    /// Living or working abroad.
    case abroad
    /// Absent from the locality.
    case absent
    /// Remote area without mobile coverage.
    case remoteNoCoverage
}

/// Why a citizen cannot be registered at all; confirmed by the local authority.
public enum IneligibleReason: String, Sendable, Hashable, Codable, CaseIterable {
    /// Serious illness.
    case illness
    /// Mental disability.
    case mentalDisability
    /// Lost or restricted civil act capacity.
    case noCivilCapacity
}

/// The class the campaign plans sort citizens into.
public enum EligibilityClass: Sendable, Hashable, Codable {
    case eligibleLevel1
    case eligibleLevel2
    case notYetEligible(NotYetEligibleReason)
    case ineligible(IneligibleReason)

    /// Whether a level-2 application can be taken now.
    public var canRegisterLevel2: Bool { self == .eligibleLevel2 }

    /// The class of a refusal reason as the wire names it (a `NotYetEligibleReason` or an `IneligibleReason` raw
    /// value); nil for anything else.
    public init?(refusalReason: String) {
        if let reason = NotYetEligibleReason(rawValue: refusalReason) {
            self = .notYetEligible(reason)
        } else if let reason = IneligibleReason(rawValue: refusalReason) {
            self = .ineligible(reason)
        } else {
            return nil
        }
    }
}

/// A recorded decision that a citizen cannot be registered, kept on the commune's list with the reason.
public struct EligibilityRecord: Sendable, Hashable, Codable, CustomStringConvertible {
    /// The citizen.
    public var idNumber: CitizenID
    /// The class and reason.
    public var eligibility: EligibilityClass
    /// Free-text detail (kept encrypted with the record).
    public var note: String
    /// Who recorded it, and when.
    public var recordedBy: OperatorID
    /// The day it was recorded.
    public var recordedOn: CalendarDate
    /// Whether the local authority has confirmed it (required for `ineligible`).
    public var confirmedByLocalAuthority: Bool
    /// The name on the card, for the door-to-door list (nil in records made before it was kept).
    public var fullName: String?

    /// Creates a record.
    public init(
        idNumber: CitizenID, eligibility: EligibilityClass, note: String, recordedBy: OperatorID,
        recordedOn: CalendarDate, confirmedByLocalAuthority: Bool, fullName: String? = nil
    ) {
        self.idNumber = idNumber
        self.fullName = fullName
        self.eligibility = eligibility
        self.note = note
        self.recordedBy = recordedBy
        self.recordedOn = recordedOn
        self.confirmedByLocalAuthority = confirmedByLocalAuthority
    }

    /// An `ineligible` record is complete only once confirmed by the local authority.
    public var isComplete: Bool {
        if case .ineligible = eligibility { return confirmedByLocalAuthority }
        return true
    }

    public var description: String { "EligibilityRecord(\(idNumber.masked))" }
}
