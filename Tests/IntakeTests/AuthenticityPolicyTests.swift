import Foundation
import Intake
import Testing

@Suite struct AuthenticityPolicyTests {
    @Test func theStandardPolicyIsTheIssuesDefaults() {
        let policy = AuthenticityPolicy.standard
        #expect(policy.operatorCommits == [.genuine, .verifiedOffline])
        #expect(policy.supervisorOverrides == [.unconfirmed, .untrustedSigner])
        #expect(policy.neverAccepted == [.chainInvalid, .hashMismatch, .clone, .notChecked])
        #expect(policy.healthAccepts == [.genuine, .verifiedOffline])
        #expect(policy.decision(for: .verifiedOffline) == .operatorCommits)
        #expect(policy.decision(for: .untrustedSigner) == .supervisorOverride)
        #expect(policy.decision(for: .chainInvalid) == .refused)
        for verdict in AuthenticityVerdict.allCases {
            #expect(policy.healthAccepts(verdict) == [.genuine, .verifiedOffline].contains(verdict), "\(verdict)")
        }
    }

    @Test func alteredDataAndClonesCanBeInNoAcceptingList() {
        for never in [AuthenticityVerdict.hashMismatch, .clone] {
            for (op, sup, health) in [([never], [], []), ([], [never], []), ([], [], [never])]
                as [(Set<AuthenticityVerdict>, Set<AuthenticityVerdict>, Set<AuthenticityVerdict>)]
            {
                #expect {
                    try AuthenticityPolicy(operatorCommits: op, supervisorOverrides: sup, healthAccepts: health)
                } throws: {
                    ($0 as? AuthenticityPolicy.Problem)?.code == AuthenticityPolicy.Problem.neverAcceptableCode
                }
            }
        }
    }

    @Test func aVerdictInTwoListsIsRefused() {
        #expect {
            try AuthenticityPolicy(
                operatorCommits: [.genuine, .unconfirmed], supervisorOverrides: [.unconfirmed], healthAccepts: [])
        } throws: { ($0 as? AuthenticityPolicy.Problem)?.code == AuthenticityPolicy.Problem.overlapCode }
        #expect {
            try AuthenticityPolicy(
                operatorCommits: [.genuine], supervisorOverrides: [.unconfirmed], neverAccepted: [.unconfirmed],
                healthAccepts: [])
        } throws: { ($0 as? AuthenticityPolicy.Problem)?.setting == "never_accepted" }
    }

    @Test func theAcceptanceNamesWhoAcceptedAndThePolicy() {
        let policy = AuthenticityPolicy.standard
        let alone = policy.acceptance(of: .verifiedOffline, override: nil)
        #expect(alone?.decision == .operatorCommits && alone?.policy == policy)
        #expect(policy.acceptance(of: .unconfirmed, override: nil) == nil)
        let override = SupervisorOverride(supervisor: OperatorID("sup"), reason: "no DG14 on this batch")
        #expect(policy.acceptance(of: .unconfirmed, override: override)?.decision == .supervisorOverride)
        #expect(policy.acceptance(of: .clone, override: override) == nil)
        #expect(
            policy.summary == "operator=genuine,verifiedOffline; supervisor=unconfirmed,untrustedSigner; "
                + "health=genuine,verifiedOffline")
    }

    @Test func listsParseByNameAndRefuseUnknownNames() {
        #expect(AuthenticityPolicy.verdicts(" genuine , verifiedOffline ") == [.genuine, .verifiedOffline])
        #expect(AuthenticityPolicy.verdicts("") == [])
        #expect(AuthenticityPolicy.verdicts("genuine, noTrustAnchor") == nil)
    }

    @Test func storedVerdictsOfOldStoresStillRead() throws {
        let decoder = JSONDecoder()
        #expect(
            try decoder.decode([AuthenticityVerdict].self, from: Data(#"["noTrustAnchor","genuine"]"#.utf8))
                == [.unconfirmed, .genuine])
        #expect(throws: DecodingError.self) {
            try decoder.decode([AuthenticityVerdict].self, from: Data(#"["bogus"]"#.utf8))
        }
        // An application stored before issue 17 (no acceptance field) reads, the verdict renamed.
        var old = validApplication(authenticity: .unconfirmed)
        old.authenticityAcceptance = nil
        var json = String(decoding: try JSONEncoder().encode(old), as: UTF8.self)
        json = json.replacingOccurrences(of: #""authenticity":"unconfirmed""#, with: #""authenticity":"noTrustAnchor""#)
        #expect(json.contains("noTrustAnchor") && !json.contains("authenticityAcceptance"))
        let read = try decoder.decode(Application.self, from: Data(json.utf8))
        #expect(read.authenticity == .unconfirmed && read.authenticityAcceptance == nil)
    }
}
