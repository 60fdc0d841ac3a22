import ArgumentParser
import ChipID
import Foundation
import Messages

/// `stationd lds`: offline tools over raw LDS files (ICAO 9303 data groups and EF.SOD).
struct LDSCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lds", abstract: HelpText.text(.helpDLds),
        subcommands: [LDSVerifyCommand.self])
}

/// `stationd lds verify DIR`: Passive Authentication of a folder of raw LDS files.
///
/// Exit codes (fixed contract): 0 genuine (data groups intact, signature valid, chain to a trusted CSCA);
/// 3 data groups intact and signature valid but chain unknown/untrusted; 4 a data group altered or the signature
/// invalid; 1 the input cannot be read.
struct LDSVerifyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: HelpText.text(.helpDLdsVerify),
        discussion: """
            Files are recognised by file identifier (011D, ef011D.bin) or reference-set names (EF_SOD.bin, \
            EF_COM.bin, Datagroup13.bin). Exit: 0 genuine, 3 intact + signature valid but CSCA chain \
            unknown/untrusted, 4 data group altered or signature invalid, 1 input unreadable.
            """)

    /// Exit codes of `lds verify`.
    enum Exit {
        static let genuine: Int32 = 0
        static let unreadable: Int32 = 1
        static let chainNotTrusted: Int32 = 3
        static let tampered: Int32 = 4
    }

    @Argument(help: "Folder with the raw LDS files.") var directory: String
    @Option(name: .long, help: "Folder of trusted CSCA certificates (PEM/DER), CRLs and master lists.")
    var trust: String?
    @Option(name: .long, help: "ICAO CSCA master list file (its signature is verified before use).")
    var masterlist: String?
    @Option(name: .long, help: SignerValidityModel.help) var signerValidity: SignerValidityModel = .checkTime
    @OptionGroup var output: OutputOptions

    func run() async throws {
        bootstrapToolLogging()
        var trustList = CSCATrustList()
        let files: [LDSFile: [UInt8]]
        do {
            if let trust { trustList = try CSCATrustList.load(folder: URL(fileURLWithPath: trust)) }
            if let masterlist {
                var extra = trustList
                try extra.addMasterList(file: URL(fileURLWithPath: masterlist))
                trustList = extra
            }
            trustList.validityModel = signerValidity
            files = try LDSFolder.load(URL(fileURLWithPath: directory))
        } catch {
            fail(error)
            throw ExitCode(Exit.unreadable)
        }
        let verdict: PassiveAuthenticationVerdict
        do {
            verdict = try PassiveAuthentication.verify(files: files, trustList: trustList)
        } catch {
            // A SOD that does not parse or uses an unknown algorithm cannot be read as a security object.
            fail(error)
            throw ExitCode(Exit.unreadable)
        }
        let code: Int32 =
            verdict.isGenuine
            ? Exit.genuine
            : verdict.signatureAndIntegrityValid ? Exit.chainNotTrusted : Exit.tampered
        if output.json {
            printJSON([
                "passiveAuthentication": Self.json(verdict), "genuine": verdict.isGenuine,
                "trustAnchors": trustList.certificates.count, "exitCode": Int(code),
            ])
        } else {
            print(headline(verdict))
            for line in details(verdict, trustList) { print("  " + line) }
        }
        if code != 0 { throw ExitCode(code) }
    }

    private func fail(_ error: ChipIDError) {
        if output.json {
            printJSON(["error": ["code": error.code.rawValue, "reason": error.reason]])
        } else {
            let message = output.say(.toolLDSUnreadable, ["code": error.code.rawValue, "reason": error.reason])
            FileHandle.standardError.write(Data("\(message)\n".utf8))
        }
    }

    private func headline(_ verdict: PassiveAuthenticationVerdict) -> String {
        if verdict.isGenuine {
            return output.say(.toolLDSGenuine)
        }
        if !verdict.dataGroupsIntact {
            let groups = verdict.mismatchedDataGroups.map { "DG\($0)" }.joined(separator: ", ")
            return output.say(.toolLDSAltered, ["groups": groups])
        }
        if !verdict.signatureValid {
            return output.say(.toolLDSSignatureInvalid)
        }
        if verdict.chain == .untrusted {
            return output.say(.toolLDSChainUntrusted)
        }
        if verdict.chain == .invalid {
            let reason = Self.chainReasonMessage(verdict).text(output.language)
            return output.say(.toolLDSSignerInvalid, ["reason": "\(reason) (\(verdict.chainReasonCode.rawValue))"])
        }
        return output.say(.toolLDSChainUnknown)
    }

    private func details(_ verdict: PassiveAuthenticationVerdict, _ trust: CSCATrustList) -> [String] {
        var lines: [String] = []
        let list = { (numbers: [Int]) in numbers.isEmpty ? "-" : numbers.map { "DG\($0)" }.joined(separator: " ") }
        lines.append(output.say(.toolLDSHashAlgorithm, ["value": "\(verdict.hashAlgorithm)"]))
        lines.append(output.say(.toolLDSIntact, ["value": list(verdict.intactDataGroups)]))
        lines.append(output.say(.toolLDSAlteredGroups, ["value": list(verdict.mismatchedDataGroups)]))
        lines.append(output.say(.toolLDSUnread, ["value": list(verdict.unreadDataGroups)]))
        lines.append(output.say(.toolLDSUncovered, ["value": list(verdict.uncoveredDataGroups)]))
        lines.append(
            output.say(
                verdict.signatureValid ? .toolLDSSignatureValid : .toolLDSSignatureNotValid,
                ["scheme": "\(verdict.signatureScheme)"]))
        lines.append(output.say(.toolLDSSigner, ["value": "\(verdict.signerSubject)"]))
        lines.append(output.say(.toolLDSIssuer, ["value": "\(verdict.signerIssuer)"]))
        lines.append(
            output.say(
                .toolLDSSignerValidity,
                ["from": Self.day(verdict.signerNotBefore), "to": Self.day(verdict.signerNotAfter)])
                + (verdict.signerExpiredNow
                    ? output.say(
                        verdict.validityModel == .signingTime ? .toolLDSSignerExpiredHarmless : .ctlExpired)
                    : ""))
        lines.append(
            output.say(
                verdict.validityModel == .checkTime ? .toolLDSModelCheckTime : .toolLDSModelSigningTime,
                ["model": verdict.validityModel.rawValue]))
        lines.append(
            output.say(
                .toolLDSChain, ["chain": verdict.chain.rawValue, "reason": Self.chainReason(verdict, trust, output)]))
        lines.append(
            output.say(.toolLDSTrustLoaded, ["count": "\(trust.certificates.count)"])
                + (trust.isEmpty ? output.say(.toolLDSTrustUnpublished) : ""))
        return lines
    }

    /// The chain result for a person, from the catalog in the output's language (ChipID's own reason stays in the
    /// JSON, for the technician).
    static func chainReason(
        _ verdict: PassiveAuthenticationVerdict, _ trust: CSCATrustList, _ output: OutputOptions
    ) -> String {
        chainReasonMessage(verdict).text(output.language)
    }

    /// The catalog's name for the chain result.
    static func chainReasonMessage(_ verdict: PassiveAuthenticationVerdict) -> Message {
        let invalid = Message(.toolChainInvalid, ["reason": verdict.chainReason])
        switch verdict.chain {
        case .trusted: return Message(.toolChainTrusted)
        case .untrusted:
            return verdict.chainReason.hasPrefix("no configured CSCA") ? Message(.toolChainNoMatchingCSCA) : invalid
        case .unknown: return Message(.toolChainUnknown)
        case .invalid:
            switch verdict.chainReasonCode {
            case .documentSignerExpired: return Message(.toolChainSignerExpired)
            case .documentSignerNotYetValid: return Message(.toolChainSignerNotYetValid)
            case .signedOutsideValidity: return Message(.toolChainSignedOutsideValidity)
            case .documentSignerRevoked: return Message(.toolChainSignerRevoked)
            case .cscaNotValid: return Message(.toolChainCSCANotValid)
            default: return invalid
            }
        }
    }

    static func day(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withFullDate]
        return formatter.string(from: date)
    }

    static func json(_ verdict: PassiveAuthenticationVerdict) -> [String: Any] {
        var object: [String: Any] = [
            "dataGroupsIntact": verdict.dataGroupsIntact,
            "signatureValid": verdict.signatureValid,
            "messageDigestValid": verdict.messageDigestValid,
            "chain": verdict.chain.rawValue,
            "chainReason": verdict.chainReason,
            "chainReasonCode": verdict.chainReasonCode.rawValue,
            "validityModel": verdict.validityModel.rawValue,
            "mismatchedDataGroups": verdict.mismatchedDataGroups,
            "intactDataGroups": verdict.intactDataGroups,
            "unreadDataGroups": verdict.unreadDataGroups,
            "uncoveredDataGroups": verdict.uncoveredDataGroups,
            "hashAlgorithm": verdict.hashAlgorithm.rawValue,
            "signatureAlgorithm": verdict.signatureScheme,
            "securityObjectVersion": verdict.securityObjectVersion,
            "documentSigner": [
                "subject": verdict.signerSubject, "issuer": verdict.signerIssuer,
                "notBefore": day(verdict.signerNotBefore), "notAfter": day(verdict.signerNotAfter),
                "validAtSigning": verdict.signerValidAtSigning, "expiredNow": verdict.signerExpiredNow,
            ],
            "validityCheckedAt": day(verdict.validityCheckedAt),
            "revocation": verdict.revocation.rawValue,
        ]
        if let lds = verdict.ldsVersion { object["ldsVersion"] = lds }
        if let csca = verdict.cscaSubject { object["csca"] = csca }
        if let time = verdict.signingTime { object["signingTime"] = day(time) }
        return object
    }
}
