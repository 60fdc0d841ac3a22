import ArgumentParser
import ChipID
import Foundation
import Intake
import Messages
import Station

/// The authenticity verdict of `stationd card read`: one operator line (Vietnamese or English) saying whether the
/// card is genuine and, if not, why; and the JSON objects (`passiveAuthentication` as `stationd lds verify --json`
/// has it, `cloneCheck`, `genuine`).
enum CardAuthenticityReport {
    /// Genuine: the one mapping says so (PA genuine, CA/AA passed with a key the SOD covers).
    static func isGenuine(_ findings: AuthenticityFindings) -> Bool {
        Intake.AuthenticityVerdict(findings: findings) == .genuine
    }

    /// The three outcomes an operator (and the exit code) distinguishes.
    enum Outcome {
        /// `genuine`.
        case genuine
        /// Nothing proves the card false, but something could not be confirmed: `verifiedOffline`, `unconfirmed`,
        /// `untrustedSigner`, `chainInvalid`, `notChecked`.
        case notConfirmed
        /// Proven not genuine: `hashMismatch` (altered data, invalid SOD signature) or `clone` (failed CA/AA).
        case notGenuine
    }

    /// The outcome of the verdict.
    static func classify(_ findings: AuthenticityFindings) -> Outcome {
        switch Intake.AuthenticityVerdict(findings: findings) {
        case .genuine: .genuine
        case .hashMismatch, .clone: .notGenuine
        case .verifiedOffline, .unconfirmed, .untrustedSigner, .chainInvalid, .notChecked, .noCard: .notConfirmed
        }
    }

    static func methodName(_ method: CloneCheck.Method) -> String {
        switch method {
        case .chipAuthentication: "CA"
        case .activeAuthentication: "AA"
        case .none: "CA/AA"
        }
    }

    /// The one line, most serious finding first (a failed CA/AA first: the reader stops reading after a failed
    /// CA, so EF.SOD may not have been read).
    static func line(_ verdict: AuthenticityFindings, trust: CSCATrustList, _ output: OutputOptions) -> String {
        let check = verdict.cloneCheck
        let method = methodName(check.method)
        if check.outcome == .failed {
            return output.say(.toolCardCloneSuspected, ["method": method])
        }
        guard let passive = verdict.passive else {
            return output.say(.toolCardSODUnchecked, ["error": verdict.passiveError ?? "?"])
        }
        if !passive.dataGroupsIntact {
            let groups = passive.mismatchedDataGroups.map { "DG\($0)" }.joined(separator: ", ")
            return output.say(.toolCardAltered, ["groups": groups])
        }
        if !passive.signatureValid || !passive.messageDigestValid {
            return output.say(.toolCardSignatureInvalid)
        }
        if passive.chain == .invalid {
            // The reason from the catalog in the output's language, with ChipID's stable code for the technician.
            let model = output.say(.toolCardCheckedUnder, ["model": passive.validityModel.rawValue])
            let reason =
                LDSVerifyCommand.chainReason(passive, trust, output)
                + " (\(passive.chainReasonCode.rawValue); \(model))"
            return output.say(.toolCardSignerInvalid, ["reason": reason])
        }
        if passive.chain == .untrusted {
            return output.say(
                .toolCardChainUntrusted, ["reason": LDSVerifyCommand.chainReason(passive, trust, output)])
        }
        if passive.chain == .unknown {
            return output.say(
                .toolCardChainUnknown, ["reason": LDSVerifyCommand.chainReason(passive, trust, output)])
        }
        if check.outcome != .passed || !verdict.cloneCheckKeyAuthenticated {
            return output.say(.toolCardCloneUnchecked, ["method": method])
        }
        return output.say(.toolCardGenuine, ["method": method])
    }

    /// `cloneCheck` JSON: which protocol ran and how it ended.
    static func cloneCheckJSON(_ verdict: AuthenticityFindings) -> [String: Any] {
        let check = verdict.cloneCheck
        return [
            "method": check.method.rawValue, "outcome": check.outcome.rawValue, "detail": check.detail,
            "chipAuthentication": check.method == .chipAuthentication ? check.outcome.rawValue : "notRun",
            "activeAuthentication": check.method == .activeAuthentication ? check.outcome.rawValue : "notRun",
            "keyCoveredBySOD": verdict.cloneCheckKeyAuthenticated,
        ]
    }

    /// The fields `stationd card read --json` adds.
    static func json(_ verdict: AuthenticityFindings, trust: CSCATrustList) -> [String: Any] {
        var object: [String: Any] = [
            "verdict": Intake.AuthenticityVerdict(findings: verdict).rawValue,
            "genuine": isGenuine(verdict), "cloneCheck": cloneCheckJSON(verdict),
            "trustAnchors": trust.certificates.count,
        ]
        if let passive = verdict.passive { object["passiveAuthentication"] = LDSVerifyCommand.json(passive) }
        if let error = verdict.passiveError { object["passiveAuthenticationError"] = error }
        return object
    }
}

extension SignerValidityModel: ExpressibleByArgument {
    /// `--signer-validity` help (stationd card read, lds verify).
    static let help = ArgumentHelp(
        "When the document signer certificate must be valid: checkTime (default: at the time of the check; an "
            + "expired DS is 'invalid') or signingTime (ICAO chain model: when it signed the SOD).")
}
