/// What an earlier application for the same citizen became, as far as duplicate detection cares.
public enum PriorApplicationStatus: String, Sendable, Hashable, CaseIterable {
    /// Still in the queue or at C06, not decided.
    case pending
    /// Accepted (or activated) by C06: the citizen already has a level-2 account.
    case accepted
    /// Returned by C06: a new application is allowed.
    case rejected
    /// Cancelled at the station before upload: a new application is allowed.
    case cancelled
}

/// An earlier application for the same citizen: what became of it and the reference on its receipt.
public struct PriorApplication: Sendable, Hashable {
    /// What it became, as far as duplicate detection cares.
    public var status: PriorApplicationStatus
    /// The short reference on its receipt (`K7M2-QX4G`); nil when it has none.
    public var reference: ShortReference?
    /// Creates a value.
    public init(_ status: PriorApplicationStatus, _ reference: ShortReference? = nil) {
        self.status = status
        self.reference = reference
    }
}

/// Answers "has this citizen already applied?" — implemented by the queue, faked in tests.
public protocol PriorApplicationLookup: Sendable {
    /// Earlier applications for the same ID number (any order; empty when none).
    func priorApplications(for idNumber: CitizenID) throws -> [PriorApplication]
}

/// Everything a rule may consult besides the application itself.
public struct ValidationContext: Sendable {
    /// The day of intake in Vietnam.
    public var today: CalendarDate
    /// Earlier applications; nil skips the duplicate rule's lookup (e.g. in an offline preview).
    public var priorApplications: (any PriorApplicationLookup)?

    /// Creates a context.
    public init(today: CalendarDate, priorApplications: (any PriorApplicationLookup)?) {
        self.today = today
        self.priorApplications = priorApplications
    }
}

/// One check an application must pass. Rules are values and compose with `AllOf`, so a station's policy is
/// a list that can be read, configured and tested rule by rule.
public protocol ApplicationRule: Sendable {
    /// The problems found; empty when the application passes.
    func check(_ application: Application, in context: ValidationContext) -> [IntakeError]
}

/// Passes when every rule passes; reports the problems of all rules, in order, so the operator can fix them
/// in one go.
public struct AllOf: ApplicationRule {
    /// The composed rules.
    public var rules: [any ApplicationRule]

    /// Composes rules.
    public init(_ rules: [any ApplicationRule]) { self.rules = rules }

    /// The problems found; empty when the application passes.
    public func check(_ application: Application, in context: ValidationContext) -> [IntakeError] {
        rules.flatMap { $0.check(application, in: context) }
    }
}

/// Configuration of the standard rule set.
public struct ValidationPolicy: Sendable, Hashable {
    /// Minimum age on the day of intake (14 by Decree 59/2022).
    public var minimumAge: Int
    /// Which authenticity verdicts an operator commits alone, a supervisor may accept, or nobody accepts.
    public var authenticity: AuthenticityPolicy
    /// Fingerprints that must be captured or excused.
    public var requiredFingers: Set<FingerPosition>
    /// Minimum quality 0...100 for a captured print.
    public var minimumFingerprintQuality: Int
    /// Accept an application whose DG1/DG13 comparison was not made.
    public var allowUncomparedDataGroups: Bool

    /// Creates a policy.
    public init(
        minimumAge: Int = 14, authenticity: AuthenticityPolicy = .standard,
        requiredFingers: Set<FingerPosition> = [.rightIndex, .leftIndex], minimumFingerprintQuality: Int = 40,
        allowUncomparedDataGroups: Bool = false
    ) {
        self.minimumAge = minimumAge
        self.authenticity = authenticity
        self.requiredFingers = requiredFingers
        self.minimumFingerprintQuality = minimumFingerprintQuality
        self.allowUncomparedDataGroups = allowUncomparedDataGroups
    }

    /// The standard rules for this policy, in the order an operator fixes things.
    public var rules: AllOf {
        AllOf([
            MinimumAgeRule(minimumAge: minimumAge),
            CardNotExpiredRule(),
            AuthenticityRule(policy: authenticity),
            DataGroupConsistencyRule(allowUncompared: allowUncomparedDataGroups),
            PhoneRule(),
            FingerprintRule(required: requiredFingers, minimumQuality: minimumFingerprintQuality),
            ChipPortraitRule(),
            BundleDetailsRule(),
            TypedIdentityRule(),
            NoDuplicateRule(),
        ])
    }
}
