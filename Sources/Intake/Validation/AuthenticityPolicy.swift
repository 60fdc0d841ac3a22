import Foundation

/// Which authenticity verdicts the station accepts, and on whose word (`[authenticity]` in the configuration).
///
/// A pure value: an operator commits alone the verdicts in `operatorCommits`; a supervisor may accept those in
/// `supervisorOverrides` with a reason; every other verdict is never accepted. `hashMismatch` and `clone` can be in
/// neither accepting set, whatever is configured. The health profile answers `accept` at the desk for the verdicts
/// in `healthAccepts`.
public struct AuthenticityPolicy: Sendable, Hashable, Codable {
    /// Who may accept a verdict under this policy.
    public enum Decision: String, Sendable, Hashable, Codable, CaseIterable {
        /// The operator alone.
        case operatorCommits
        /// A supervisor, with a reason.
        case supervisorOverride
        /// Nobody.
        case refused
    }

    /// A policy that cannot be built, with a stable code.
    public struct Problem: Error, Sendable, Hashable, CustomStringConvertible {
        /// `authenticity.never_acceptable`: `hashMismatch` or `clone` named in an accepting set.
        public static let neverAcceptableCode = "authenticity.never_acceptable"
        /// `authenticity.overlap`: one verdict named in two sets.
        public static let overlapCode = "authenticity.overlap"
        /// The stable code.
        public let code: String
        /// The verdicts at fault.
        public let verdicts: [AuthenticityVerdict]
        /// Which setting (`operator_commits`, `supervisor_overrides`, `never_accepted`, `health_accepts`).
        public let setting: String

        public var description: String {
            let names = verdicts.map(\.rawValue).joined(separator: ", ")
            return code == Self.neverAcceptableCode
                ? "\(setting) names \(names), which are never accepted (altered data, copied chip)"
                : "\(setting) names \(names), which another authenticity setting already places"
        }
    }

    /// Verdicts an operator commits without a supervisor.
    public let operatorCommits: Set<AuthenticityVerdict>
    /// Verdicts a supervisor may accept with a reason.
    public let supervisorOverrides: Set<AuthenticityVerdict>
    /// Verdicts the health desk answers `accept` for.
    public let healthAccepts: Set<AuthenticityVerdict>

    /// Verdicts nobody accepts: all those in neither `operatorCommits` nor `supervisorOverrides` (`noCard` is no
    /// chip's verdict: outside the policy).
    public var neverAccepted: Set<AuthenticityVerdict> {
        Set(AuthenticityVerdict.allCases).subtracting(operatorCommits).subtracting(supervisorOverrides)
            .subtracting([.noCard])
    }

    /// Builds a policy; throws when a set names `hashMismatch` or `clone`, when the operator and supervisor sets
    /// overlap, or when `neverAccepted` (if given) names a verdict of either.
    public init(
        operatorCommits: Set<AuthenticityVerdict>, supervisorOverrides: Set<AuthenticityVerdict>,
        neverAccepted: Set<AuthenticityVerdict>? = nil, healthAccepts: Set<AuthenticityVerdict>
    ) throws(Problem) {
        let never = AuthenticityVerdict.neverAcceptable
        for (setting, set) in [
            ("operator_commits", operatorCommits), ("supervisor_overrides", supervisorOverrides),
            ("health_accepts", healthAccepts),
        ] where !set.isDisjoint(with: never) {
            throw Problem(
                code: Problem.neverAcceptableCode, verdicts: Self.sorted(set.intersection(never)),
                setting: setting)
        }
        let both = operatorCommits.intersection(supervisorOverrides)
        guard both.isEmpty else {
            throw Problem(code: Problem.overlapCode, verdicts: Self.sorted(both), setting: "supervisor_overrides")
        }
        if let neverAccepted {
            let placed = neverAccepted.intersection(operatorCommits.union(supervisorOverrides))
            guard placed.isEmpty else {
                throw Problem(code: Problem.overlapCode, verdicts: Self.sorted(placed), setting: "never_accepted")
            }
        }
        self.operatorCommits = operatorCommits
        self.supervisorOverrides = supervisorOverrides
        self.healthAccepts = healthAccepts
    }

    /// The defaults (issue 17): operators commit `genuine` and `verifiedOffline`; a supervisor may accept
    /// `unconfirmed` and `untrustedSigner` with a reason; `chainInvalid`, `hashMismatch`, `clone` and
    /// `notChecked` are never accepted; the health desk accepts `genuine` and `verifiedOffline`.
    public static let standard = AuthenticityPolicy(
        uncheckedOperator: [.genuine, .verifiedOffline], supervisor: [.unconfirmed, .untrustedSigner],
        health: [.genuine, .verifiedOffline])

    private init(
        uncheckedOperator: Set<AuthenticityVerdict>, supervisor: Set<AuthenticityVerdict>,
        health: Set<AuthenticityVerdict>
    ) {
        operatorCommits = uncheckedOperator
        supervisorOverrides = supervisor
        healthAccepts = health
    }

    /// Who may accept `verdict`.
    public func decision(for verdict: AuthenticityVerdict) -> Decision {
        // No card, no chip to prove: the identity is the central's to match (any operator, `TypedIdentityRule`).
        if verdict == .noCard { return .operatorCommits }
        if AuthenticityVerdict.neverAcceptable.contains(verdict) { return .refused }
        if operatorCommits.contains(verdict) { return .operatorCommits }
        if supervisorOverrides.contains(verdict) { return .supervisorOverride }
        return .refused
    }

    /// The health desk's answer: `true` for `accept`, `false` for `refer`.
    public func healthAccepts(_ verdict: AuthenticityVerdict) -> Bool {
        verdict != .noCard && !AuthenticityVerdict.neverAcceptable.contains(verdict) && healthAccepts.contains(verdict)
    }

    /// How an application's verdict was accepted under this policy, to store with it; nil when it is not.
    public func acceptance(
        of verdict: AuthenticityVerdict, override: SupervisorOverride?
    ) -> AuthenticityAcceptance? {
        switch decision(for: verdict) {
        case .operatorCommits:
            return AuthenticityAcceptance(verdict: verdict, decision: .operatorCommits, policy: self)
        case .supervisorOverride where override != nil:
            return AuthenticityAcceptance(verdict: verdict, decision: .supervisorOverride, policy: self)
        case .supervisorOverride, .refused:
            return nil
        }
    }

    /// `application` with its acceptance under this policy recorded (`authenticityAcceptance`), as the intake
    /// commits it; nil acceptance when the policy does not accept its verdict as it stands.
    public func recordingAcceptance(in application: Application) -> Application {
        var stamped = application
        stamped.authenticityAcceptance = acceptance(
            of: application.authenticity, override: application.authenticityOverride)
        return stamped
    }

    /// One line naming the sets, for the audit trail and `stationctl config`: `operator=genuine,verifiedOffline;
    /// supervisor=unconfirmed,untrustedSigner; health=genuine,verifiedOffline`.
    public var summary: String {
        func names(_ set: Set<AuthenticityVerdict>) -> String {
            Self.sorted(set).map(\.rawValue).joined(separator: ",")
        }
        return "operator=\(names(operatorCommits)); supervisor=\(names(supervisorOverrides)); "
            + "health=\(names(healthAccepts))"
    }

    /// Verdicts in declaration order.
    static func sorted(_ set: Set<AuthenticityVerdict>) -> [AuthenticityVerdict] {
        AuthenticityVerdict.allCases.filter(set.contains)
    }

    /// Parses a comma-separated list of verdict names (`genuine, verifiedOffline`); nil if any name is unknown
    /// (`noCard` is no chip's verdict: not a name here).
    public static func verdicts(_ text: String) -> Set<AuthenticityVerdict>? {
        let parts = text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        let found = parts.compactMap(AuthenticityVerdict.init(rawValue:)).filter { $0 != .noCard }
        return found.count == parts.count ? Set(found) : nil
    }
}

/// The verdict of an application and the policy that accepted it, stored with the application (sealed) and
/// named in its audit trail.
public struct AuthenticityAcceptance: Sendable, Hashable, Codable {
    /// The verdict accepted.
    public var verdict: AuthenticityVerdict
    /// By whom: the operator alone or a supervisor's override.
    public var decision: AuthenticityPolicy.Decision
    /// The policy in force.
    public var policy: AuthenticityPolicy

    /// Builds an acceptance.
    public init(verdict: AuthenticityVerdict, decision: AuthenticityPolicy.Decision, policy: AuthenticityPolicy) {
        self.verdict = verdict
        self.decision = decision
        self.policy = policy
    }
}
