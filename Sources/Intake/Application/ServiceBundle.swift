/// A bank account to open or link for the 3-in-1 and 4-in-1 bundles.
public struct BankAccountRequest: Sendable, Hashable, Codable {
    /// The bank's NAPAS BIN (6 digits), one of `BankDirectory.all`, e.g. `970405`.
    public var bankBIN: String
    /// An existing account number to link, or nil to open a new one.
    public var existingAccountNumber: String?
    /// The citizen agreed that the bank opens (or links) the account with the data of this application; without
    /// it the bundle is refused (`intake.bundle_details.consent`). False in applications stored before it.
    public var accountConsent: Bool
    /// The citizen also applies for a preferential loan (Social Policy Bank programmes).
    public var preferentialLoan: Bool

    /// Creates a request.
    public init(
        bankBIN: String, existingAccountNumber: String? = nil, accountConsent: Bool = false,
        preferentialLoan: Bool = false
    ) {
        self.bankBIN = bankBIN
        self.existingAccountNumber = existingAccountNumber
        self.accountConsent = accountConsent
        self.preferentialLoan = preferentialLoan
    }

    private enum CodingKeys: String, CodingKey {
        case bankBIN, existingAccountNumber, accountConsent, preferentialLoan
    }

    /// Reads a request; one stored before the consent was asked has none.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        bankBIN = try container.decode(String.self, forKey: .bankBIN)
        existingAccountNumber = try container.decodeIfPresent(String.self, forKey: .existingAccountNumber)
        accountConsent = try container.decodeIfPresent(Bool.self, forKey: .accountConsent) ?? false
        preferentialLoan = try container.decode(Bool.self, forKey: .preferentialLoan)
    }
}

/// Social benefits to be paid into the account (4-in-1).
public enum SocialBenefit: String, Sendable, Hashable, Codable, CaseIterable {
    case pension
    case socialAllowance
    case meritAllowance
    case unemploymentInsurance
    case other
}

/// What the citizen applies for at the registration point.
public enum ServiceBundle: Sendable, Hashable, Codable {
    /// 1 utility: an e-ID account for a holder of a chip CCCD.
    case utility
    /// 2-in-1: CCCD issuance together with the e-ID account.
    case twoInOne
    /// 3-in-1: CCCD + e-ID + a bank account (optionally with a preferential loan).
    case threeInOne(BankAccountRequest)
    /// 4-in-1: 3-in-1 + payment of social benefits through the account.
    case fourInOne(BankAccountRequest, benefits: Set<SocialBenefit>)

    /// A non-personal label for the queue's clear columns and reports.
    public var kind: String {
        switch self {
        case .utility: "utility"
        case .twoInOne: "2in1"
        case .threeInOne: "3in1"
        case .fourInOne: "4in1"
        }
    }

    /// Every value `kind` takes (the message catalog names each one).
    public static let allKinds = ["utility", "2in1", "3in1", "4in1"]
}

/// The priority groups of the campaign plans, served first.
public enum PriorityGroup: String, Sendable, Hashable, Codable, CaseIterable {
    /// (1) Students born 2005–2009, before their exams.
    case students
    /// (2) Poor and near-poor households, persons with merit, social-allowance recipients.
    case policyBeneficiaries
    /// (3) Telecom/bank workers, civil servants, armed forces, factory workers, one-stop counter citizens.
    case workersAndOfficials
    /// (4) Everyone aged 14 and over without a CCCD.
    case withoutCCCD

    /// Whether a date of birth fits group (1): born 2005–2009.
    public static func isStudentCohort(_ dateOfBirth: CalendarDate) -> Bool { (2005...2009).contains(dateOfBirth.year) }
}

extension PriorityGroup {
    /// The group the date of birth suggests, shown to the officer and never set without them (Định Hóa 2024:
    /// students born 2005–2009 first, before their exams). Nil when the date suggests none; groups 2 and 3 depend
    /// on facts the card does not hold, and group 4 (no CCCD yet) on the intake without a card.
    public static func suggested(forDateOfBirth dateOfBirth: CalendarDate) -> PriorityGroup? {
        (2005...2009).contains(dateOfBirth.year) ? .students : nil
    }

    /// The group suggested for a citizen born on `dateOfBirth`, `withoutCard` when they have no CCCD yet (the
    /// 2-in-1 without a card): students first (group 1), else group 4 for a citizen without a card.
    public static func suggested(forDateOfBirth dateOfBirth: CalendarDate, withoutCard: Bool) -> PriorityGroup? {
        suggested(forDateOfBirth: dateOfBirth) ?? (withoutCard ? .withoutCCCD : nil)
    }
}
