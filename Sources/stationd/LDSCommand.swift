import ArgumentParser
import ChipID
import Foundation

/// `stationd lds`: offline tools over raw LDS files (ICAO 9303 data groups and EF.SOD).
struct LDSCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lds", abstract: "Tệp dữ liệu chip (LDS) — offline checks of raw eMRTD/CCCD chip files.",
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
        abstract: "Xác thực thụ động (PA) — Passive Authentication of a folder of raw LDS files.",
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
            let message = output.text("Không đọc được dữ liệu đầu vào", "Cannot read the input")
            FileHandle.standardError.write(Data("\(message): \(error.code.rawValue): \(error.reason)\n".utf8))
        }
    }

    private func headline(_ verdict: PassiveAuthenticationVerdict) -> String {
        if verdict.isGenuine {
            return output.text(
                "GIẤY TỜ THẬT: dữ liệu nguyên vẹn, chữ ký hợp lệ, chuỗi chứng thư đến CSCA tin cậy.",
                "GENUINE: data intact, signature valid, certificate chain to a trusted CSCA.")
        }
        if !verdict.dataGroupsIntact {
            let groups = verdict.mismatchedDataGroups.map { "DG\($0)" }.joined(separator: ", ")
            return output.text(
                "KHÔNG XÁC THỰC: dữ liệu đã bị sửa (\(groups)) — không khớp mã băm trong SOD.",
                "NOT GENUINE: data altered (\(groups)) — hash does not match the SOD.")
        }
        if !verdict.signatureValid {
            return output.text(
                "KHÔNG XÁC THỰC: chữ ký của SOD không hợp lệ.",
                "NOT GENUINE: the SOD signature is invalid.")
        }
        if verdict.chain == .untrusted {
            return output.text(
                "CHƯA KHẲNG ĐỊNH ĐƯỢC: dữ liệu nguyên vẹn, chữ ký hợp lệ, nhưng chuỗi chứng thư đến CSCA không hợp lệ.",
                "NOT CONFIRMED: data intact and signature valid, but the chain to the CSCA fails.")
        }
        if verdict.chain == .invalid {
            return output.text(
                "KHÔNG CÔNG NHẬN: dữ liệu nguyên vẹn, chữ ký hợp lệ, nhưng chứng thư người ký không hợp lệ ("
                    + Self.vietnameseChainReason(verdict, CSCATrustList()) + ").",
                "NOT ACCEPTED: data intact and signature valid, but the document signer certificate is not valid ("
                    + "\(verdict.chainReasonCode.rawValue)).")
        }
        return output.text(
            "CHƯA KHẲNG ĐỊNH ĐƯỢC: dữ liệu nguyên vẹn, chữ ký hợp lệ, nhưng chưa có CSCA tin cậy để kiểm tra chuỗi.",
            "NOT CONFIRMED: data intact and signature valid, but no trusted CSCA to check the chain against.")
    }

    private func details(_ verdict: PassiveAuthenticationVerdict, _ trust: CSCATrustList) -> [String] {
        var lines: [String] = []
        let list = { (numbers: [Int]) in numbers.isEmpty ? "-" : numbers.map { "DG\($0)" }.joined(separator: " ") }
        lines.append(output.text("Thuật toán băm", "Hash algorithm") + ": \(verdict.hashAlgorithm)")
        lines.append(output.text("Khớp SOD", "Match the SOD") + ": \(list(verdict.intactDataGroups))")
        lines.append(output.text("Bị sửa", "Altered") + ": \(list(verdict.mismatchedDataGroups))")
        lines.append(
            output.text("Có trong SOD nhưng không có tệp", "In the SOD but not supplied")
                + ": \(list(verdict.unreadDataGroups))")
        lines.append(
            output.text("Không được SOD bảo vệ", "Not covered by the SOD")
                + ": \(list(verdict.uncoveredDataGroups))")
        lines.append(
            output.text("Chữ ký", "Signature") + ": \(verdict.signatureScheme) — "
                + (verdict.signatureValid
                    ? output.text("hợp lệ", "valid")
                    : output.text("KHÔNG hợp lệ", "INVALID")))
        lines.append(output.text("Người ký (DS)", "Document signer") + ": \(verdict.signerSubject)")
        lines.append(output.text("Cấp bởi", "Issued by") + ": \(verdict.signerIssuer)")
        lines.append(
            output.text("Hiệu lực DS", "DS validity") + ": \(Self.day(verdict.signerNotBefore)) – "
                + "\(Self.day(verdict.signerNotAfter))"
                + (verdict.signerExpiredNow
                    ? (verdict.validityModel == .signingTime
                        ? output.text(
                            " (đã hết hạn, không ảnh hưởng giấy tờ đã cấp)",
                            " (expired now; does not fail documents issued earlier)")
                        : output.text(" (ĐÃ HẾT HẠN)", " (EXPIRED)"))
                    : ""))
        lines.append(
            output.text("Mô hình hiệu lực", "Validity model") + ": \(verdict.validityModel.rawValue) — "
                + output.text(
                    verdict.validityModel == .checkTime
                        ? "DS phải còn hiệu lực lúc kiểm tra"
                        : "DS phải còn hiệu lực lúc ký SOD",
                    verdict.validityModel == .checkTime
                        ? "the DS must be valid at the time of the check"
                        : "the DS must have been valid when it signed"))
        lines.append(
            output.text("Chuỗi đến CSCA", "Chain to CSCA") + ": \(verdict.chain.rawValue) — "
                + output.text(Self.vietnameseChainReason(verdict, trust), verdict.chainReason))
        lines.append(
            output.text("CSCA tin cậy đã nạp", "Trusted CSCAs loaded") + ": \(trust.certificates.count)"
                + (trust.isEmpty
                    ? output.text(
                        " (CSCA Việt Nam chưa được công bố)",
                        " (the Vietnamese CSCA is not published)") : ""))
        return lines
    }

    /// The chain result in Vietnamese (the English reason stays in the JSON and with `--lang en`).
    static func vietnameseChainReason(_ verdict: PassiveAuthenticationVerdict, _ trust: CSCATrustList) -> String {
        switch verdict.chain {
        case .trusted: return "DS do CSCA tin cậy ký, CSCA còn hiệu lực khi cấp DS"
        case .untrusted:
            return verdict.chainReason.hasPrefix("no configured CSCA")
                ? "không có CSCA nào trong danh sách tin cậy khớp với đơn vị cấp DS: người ký không được tin cậy"
                : "chuỗi chứng thư không hợp lệ (\(verdict.chainReason))"
        case .unknown: return "chưa cấu hình CSCA tin cậy nên chưa kiểm tra chuỗi"
        case .invalid:
            switch verdict.chainReasonCode {
            case .documentSignerExpired: return "chứng thư người ký (DS) đã hết hạn"
            case .documentSignerNotYetValid: return "chứng thư người ký (DS) chưa có hiệu lực"
            case .signedOutsideValidity: return "SOD được ký ngoài thời hạn hiệu lực của DS"
            case .documentSignerRevoked: return "chứng thư người ký (DS) đã bị thu hồi"
            case .cscaNotValid: return "CSCA không còn hiệu lực"
            default: return "chuỗi chứng thư không hợp lệ (\(verdict.chainReason))"
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
