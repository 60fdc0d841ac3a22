import Foundation
import Messages

/// The citizen is at least `minimumAge` years old on the day of intake (the birthday itself counts).
public struct MinimumAgeRule: ApplicationRule {
    /// Minimum age in completed years.
    public var minimumAge: Int
    /// Creates the rule.
    public init(minimumAge: Int = 14) { self.minimumAge = minimumAge }

    /// The problems found; empty when the application passes.
    public func check(_ application: Application, in context: ValidationContext) -> [IntakeError] {
        check(application.identity, in: context)
    }

    /// The same check on the identity alone (early screening right after the card read).
    public func check(_ identity: ChipIdentity, in context: ValidationContext) -> [IntakeError] {
        let born = identity.dateOfBirth
        guard born.age(on: context.today) < minimumAge else { return [] }
        // The birthday; a 29 February birthday falls on 1 March in other years.
        let eligible =
            CalendarDate(year: born.year + minimumAge, month: born.month, day: born.day)
            ?? CalendarDate(year: born.year + minimumAge, month: 3, day: 1)!
        return [
            IntakeError(.underAge, Message(.intakeUnderAge, ["age": "\(minimumAge)", "date": eligible.iso]))
        ]
    }
}

/// The card has not expired: a card expiring today is still valid today.
public struct CardNotExpiredRule: ApplicationRule {
    /// Creates the rule.
    public init() {}

    /// The problems found; empty when the application passes.
    public func check(_ application: Application, in context: ValidationContext) -> [IntakeError] {
        check(application.identity, in: context)
    }

    /// The same check on the identity alone (early screening right after the card read).
    public func check(_ identity: ChipIdentity, in context: ValidationContext) -> [IntakeError] {
        guard let expiry = identity.expiry, expiry < context.today else { return [] }
        return [
            IntakeError(.cardExpired, Message(.intakeCardExpired))
        ]
    }
}

/// The card's authenticity verdict is acceptable under the `AuthenticityPolicy`: one the operator commits alone,
/// or one a supervisor may accept and did, with a reason. Verdicts the policy never accepts (always `hashMismatch`
/// and `clone`) are refused whatever the override.
public struct AuthenticityRule: ApplicationRule {
    /// The policy.
    public var policy: AuthenticityPolicy
    /// Creates the rule.
    public init(policy: AuthenticityPolicy = .standard) { self.policy = policy }

    /// The problems found; empty when the application passes.
    public func check(_ application: Application, in context: ValidationContext) -> [IntakeError] {
        let verdict = application.authenticity
        switch policy.decision(for: verdict) {
        case .operatorCommits:
            return []
        case .refused:
            return [
                IntakeError(
                    .authenticityRefused, Message(.intakeAuthenticityRefused, ["verdict": verdict.rawValue]))
            ]
        case .supervisorOverride:
            break
        }
        guard let override = application.authenticityOverride else {
            return [
                IntakeError(
                    .authenticityNeedsOverride,
                    Message(.intakeAuthenticityNeedsOverride, ["verdict": verdict.rawValue]))
            ]
        }
        guard !override.reason.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty,
            !override.supervisor.rawValue.isEmpty
        else {
            return [
                IntakeError(.overrideWithoutReason, Message(.intakeOverrideWithoutReason))
            ]
        }
        return []
    }
}

/// DG1 (MRZ) and DG13 (personal data) agree; a mismatch means C06 would return the application.
public struct DataGroupConsistencyRule: ApplicationRule {
    /// Accept applications whose DG1/DG13 comparison was not made.
    public var allowUncompared: Bool
    /// Creates the rule.
    public init(allowUncompared: Bool = false) { self.allowUncompared = allowUncompared }

    /// The problems found; empty when the application passes.
    public func check(_ application: Application, in context: ValidationContext) -> [IntakeError] {
        // A typed identity (no card) has no data groups to compare: `TypedIdentityRule` checks it.
        if application.authenticity == .noCard { return [] }
        switch application.identity.consistency {
        case .consistent:
            return []
        case .notCompared where allowUncompared:
            return []
        case .notCompared:
            return [
                IntakeError(.dataGroupsNotCompared, Message(.intakeDataGroupsNotCompared))
            ]
        case .mismatch:
            return [
                IntakeError(.dataGroupMismatch, Message(.intakeDataGroupMismatch))
            ]
        }
    }
}

/// A valid mobile number is present (the number itself is validated when parsed into `PhoneNumber`).
public struct PhoneRule: ApplicationRule {
    /// The mobile prefixes accepted.
    public var plan: MobilePrefixPlan
    /// Creates the rule.
    public init(plan: MobilePrefixPlan = .current) { self.plan = plan }

    /// The problems found; empty when the application passes.
    public func check(_ application: Application, in context: ValidationContext) -> [IntakeError] {
        guard let phone = application.phone else { return [PhoneNumber.missing()] }
        do {
            _ = try PhoneNumber(parsing: phone.national, plan: plan)
            return []
        } catch {
            return [error]
        }
    }
}

/// Each required finger has a print of at least the minimum quality, or a recorded exception.
public struct FingerprintRule: ApplicationRule {
    /// Fingers that must be captured or excused.
    public var required: Set<FingerPosition>
    /// Minimum quality 0...100.
    public var minimumQuality: Int
    /// Creates the rule.
    public init(required: Set<FingerPosition>, minimumQuality: Int) {
        self.required = required
        self.minimumQuality = minimumQuality
    }

    /// The problems found; empty when the application passes.
    public func check(_ application: Application, in context: ValidationContext) -> [IntakeError] {
        var errors: [IntakeError] = []
        for position in required.sorted() {
            let captures = application.fingerprints.filter { $0.position == position }
            if captures.contains(where: { if case .exception = $0.outcome { true } else { false } }) { continue }
            let best = captures.compactMap { capture -> (Int, Int)? in
                if case .captured(let quality, let record) = capture.outcome { return (quality, record.count) }
                return nil
            }.max { $0.0 < $1.0 }
            guard let (quality, size) = best else {
                errors.append(
                    IntakeError(
                        .fingerprintMissing, Message(.intakeFingerprintMissing, parts: ["finger": position.name])))
                continue
            }
            if size == 0 {
                errors.append(
                    IntakeError(
                        .fingerprintEmptyRecord,
                        Message(.intakeFingerprintEmptyRecord, parts: ["finger": position.name])))
            } else if quality < minimumQuality {
                errors.append(
                    IntakeError(
                        .fingerprintLowQuality,
                        Message(
                            .intakeFingerprintLowQuality, ["quality": "\(quality)", "minimum": "\(minimumQuality)"],
                            parts: ["finger": position.name])))
            }
        }
        return errors
    }
}

/// The chip's DG2 portrait is present (C06 matches the live portrait against it).
public struct ChipPortraitRule: ApplicationRule {
    /// Creates the rule.
    public init() {}
    /// The problems found; empty when the application passes.
    public func check(_ application: Application, in context: ValidationContext) -> [IntakeError] {
        // No card, no chip portrait: the central matches the live portrait against the population database.
        guard application.chipPortrait.isEmpty, application.authenticity != .noCard else { return [] }
        return [
            IntakeError(.chipPortraitMissing, Message(.intakeChipPortraitMissing))
        ]
    }
}

/// The bundle's extra fields are complete: a bank from `BankDirectory` by its 6-digit code, the citizen's consent
/// to the account, a plausible account number if linking one, at least one benefit for 4-in-1.
public struct BundleDetailsRule: ApplicationRule {
    /// Creates the rule.
    public init() {}
    /// The problems found; empty when the application passes.
    public func check(_ application: Application, in context: ValidationContext) -> [IntakeError] {
        check(application.bundle)
    }

    /// The same check on the bundle alone (the details step refuses a wrong bundle at once).
    public func check(_ bundle: ServiceBundle) -> [IntakeError] {
        let bank: BankAccountRequest
        switch bundle {
        case .utility, .twoInOne: return []
        case .threeInOne(let request): bank = request
        case .fourInOne(let request, let benefits):
            bank = request
            if benefits.isEmpty { return [BundleDetailsRule.error(.intakeBundleNoBenefit)] }
        }
        let digits: (String) -> Bool = { $0.utf8.allSatisfy { (0x30...0x39).contains($0) } }
        guard bank.bankBIN.count == 6, digits(bank.bankBIN) else {
            return [BundleDetailsRule.error(.intakeBundleBankBIN)]
        }
        guard BankDirectory.bank(code: bank.bankBIN) != nil else {
            return [BundleDetailsRule.error(.intakeBundleBankUnknown)]
        }
        if let account = bank.existingAccountNumber, !(6...19).contains(account.count) || !digits(account) {
            return [BundleDetailsRule.error(.intakeBundleAccountNumber)]
        }
        guard bank.accountConsent else { return [BundleDetailsRule.error(.intakeBundleConsent)] }
        return []
    }

    static func error(_ detail: MessageKey) -> IntakeError {
        IntakeError(.bundleDetails, Message(.intakeBundleDetails, parts: ["detail": Message(detail)]))
    }
}

/// An application without a card (`noCard`): the typed personal number fits the date of birth, the sex and the
/// province codes, and the bundle issues a CCCD (2-in-1, 3-in-1 or 4-in-1; the 1-utility bundle needs a chip card).
public struct TypedIdentityRule: ApplicationRule {
    /// Creates the rule.
    public init() {}
    /// The problems found; empty when the application passes.
    public func check(_ application: Application, in context: ValidationContext) -> [IntakeError] {
        guard application.authenticity == .noCard else { return [] }
        var errors: [IntakeError] = []
        let identity = application.identity
        if let problem = identity.idNumber.structureProblems(dateOfBirth: identity.dateOfBirth, sex: identity.sex)
            .first
        {
            errors.append(ChipIdentity.structureError(problem))
        }
        if application.bundle == .utility {
            errors.append(IntakeError(.noCardBundle, Message(.intakeNoCardBundle)))
        }
        return errors
    }
}

/// No earlier application for the same ID number is pending or accepted. An earlier one that C06 rejected, or
/// that was cancelled at the station, does not block a new one.
public struct NoDuplicateRule: ApplicationRule {
    /// Creates the rule.
    public init() {}
    /// The problems found; empty when the application passes.
    public func check(_ application: Application, in context: ValidationContext) -> [IntakeError] {
        check(application.identity, in: context)
    }

    /// The same check on the identity alone (early screening right after the card read).
    public func check(_ identity: ChipIdentity, in context: ValidationContext) -> [IntakeError] {
        guard let lookup = context.priorApplications else { return [] }
        let prior: [PriorApplication]
        do {
            prior = try lookup.priorApplications(for: identity.idNumber)
        } catch {
            return [
                IntakeError(.duplicate, Message(.intakeDuplicateUnchecked))
            ]
        }
        // The live one, accepted first (the citizen's account), named by its receipt's reference and state.
        guard let live = prior.first(where: { $0.status == .accepted }) ?? prior.first(where: { $0.status == .pending })
        else { return [] }
        guard let reference = live.reference else { return [IntakeError(.duplicate, Message(.intakeDuplicate))] }
        let key: MessageKey = live.status == .accepted ? .intakeDuplicateAccepted : .intakeDuplicatePending
        return [IntakeError(.duplicate, Message(key, ["reference": reference.description]))]
    }
}

extension ValidationPolicy {
    /// The early screening right after the card read (the session's `screen` action): age, card expiry, a live
    /// application. The same rules run again at validation; here they end the session before any capture.
    public func screen(_ input: Application.ScreeningInput, priorApplications: (any PriorApplicationLookup)?)
        -> [IntakeError]
    {
        let context = ValidationContext(
            today: CalendarDate(vietnamDayOf: input.at), priorApplications: priorApplications)
        return MinimumAgeRule(minimumAge: minimumAge).check(input.identity, in: context)
            + CardNotExpiredRule().check(input.identity, in: context)
            + NoDuplicateRule().check(input.identity, in: context)
    }
}
