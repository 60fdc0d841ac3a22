import Foundation

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
            IntakeError(
                .underAge,
                vi: "Công dân chưa đủ \(minimumAge) tuổi, chưa đăng ký được tài khoản định danh mức 2. Hẹn lại từ "
                    + "ngày \(eligible.iso).",
                en: "The citizen is under \(minimumAge); a level-2 account cannot be registered yet. Invite them "
                    + "back on or after \(eligible.iso)."
            )
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
            IntakeError(
                .cardExpired,
                vi: "Thẻ CCCD đã hết hạn. Hướng dẫn công dân làm thủ tục cấp đổi thẻ trước.",
                en: "The CCCD card has expired. Guide the citizen to renew the card first."
            )
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
                    .authenticityRefused,
                    vi: "Thẻ không qua được kiểm tra xác thực chip (\(verdict.rawValue)). Không nhận hồ sơ; báo cán bộ "
                        + "phụ trách để xác minh thẻ.",
                    en: "The card failed chip authentication (\(verdict.rawValue)). Do not accept the application; "
                        + "report the card to the officer in charge."
                )
            ]
        case .supervisorOverride:
            break
        }
        guard let override = application.authenticityOverride else {
            return [
                IntakeError(
                    .authenticityNeedsOverride,
                    vi:
                        "Chưa khẳng định được thẻ thật (\(verdict.rawValue)). Cần cán bộ giám sát phê duyệt "
                        + "và ghi lý do.",
                    en: "The card could not be fully authenticated (\(verdict.rawValue)). A supervisor must approve "
                        + "with a reason."
                )
            ]
        }
        guard !override.reason.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty,
            !override.supervisor.rawValue.isEmpty
        else {
            return [
                IntakeError(
                    .overrideWithoutReason,
                    vi: "Phê duyệt của cán bộ giám sát phải có tên cán bộ và lý do.",
                    en: "A supervisor override needs the supervisor's id and a reason."
                )
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
        switch application.identity.consistency {
        case .consistent:
            return []
        case .notCompared where allowUncompared:
            return []
        case .notCompared:
            return [
                IntakeError(
                    .dataGroupsNotCompared,
                    vi: "Chưa đối chiếu được dữ liệu chip (DG1/DG13). Đọc lại thẻ.",
                    en: "The chip data (DG1/DG13) was not cross-checked. Read the card again."
                )
            ]
        case .mismatch:
            return [
                IntakeError(
                    .dataGroupMismatch,
                    vi: "Dữ liệu trong chip không khớp nhau (DG1/DG13); hồ sơ sẽ bị trả về. Hướng dẫn công dân "
                        + "điều chỉnh thông tin thẻ trước.",
                    en: "The chip's data groups disagree (DG1/DG13); C06 would return the application. Guide the "
                        + "citizen to correct the card first."
                )
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
                        .fingerprintMissing,
                        vi: "Chưa lấy vân tay \(position.vietnameseName). Lấy vân tay, hoặc ghi nhận lý do "
                            + "(mất ngón, chấn thương).",
                        en: "No print for the \(position.englishName). Capture it, or record why (missing finger, "
                            + "injury)."
                    ))
                continue
            }
            if size == 0 {
                errors.append(
                    IntakeError(
                        .fingerprintEmptyRecord,
                        vi: "Bản ghi vân tay \(position.vietnameseName) bị rỗng. Lấy lại vân tay.",
                        en: "The \(position.englishName) record is empty. Capture it again."
                    ))
            } else if quality < minimumQuality {
                errors.append(
                    IntakeError(
                        .fingerprintLowQuality,
                        vi: "Vân tay \(position.vietnameseName) chất lượng thấp (\(quality) < \(minimumQuality)). "
                            + "Lau ngón tay và máy quét rồi lấy lại, hoặc ghi nhận lý do.",
                        en: "The \(position.englishName) print quality is low (\(quality) < \(minimumQuality)). "
                            + "Clean the finger and scanner and retry, or record why."
                    ))
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
        guard application.chipPortrait.isEmpty else { return [] }
        return [
            IntakeError(
                .chipPortraitMissing,
                vi: "Chưa đọc được ảnh chân dung trong chip (DG2). Đọc lại thẻ.",
                en: "The chip portrait (DG2) was not read. Read the card again."
            )
        ]
    }
}

/// The bundle's extra fields are complete: a 6-digit bank BIN, a plausible account number if linking one, at
/// least one benefit for 4-in-1.
public struct BundleDetailsRule: ApplicationRule {
    /// Creates the rule.
    public init() {}
    /// The problems found; empty when the application passes.
    public func check(_ application: Application, in context: ValidationContext) -> [IntakeError] {
        let bank: BankAccountRequest
        switch application.bundle {
        case .utility, .twoInOne: return []
        case .threeInOne(let request): bank = request
        case .fourInOne(let request, let benefits):
            bank = request
            if benefits.isEmpty { return [BundleDetailsRule.error("chưa chọn khoản an sinh", "no benefit chosen")] }
        }
        let digits: (String) -> Bool = { $0.utf8.allSatisfy { (0x30...0x39).contains($0) } }
        guard bank.bankBIN.count == 6, digits(bank.bankBIN) else {
            return [BundleDetailsRule.error("mã ngân hàng (BIN) phải gồm 6 chữ số", "the bank BIN must be 6 digits")]
        }
        if let account = bank.existingAccountNumber, !(6...19).contains(account.count) || !digits(account) {
            return [
                BundleDetailsRule.error("số tài khoản phải gồm 6–19 chữ số", "the account number must be 6–19 digits")
            ]
        }
        return []
    }

    static func error(_ vi: String, _ en: String) -> IntakeError {
        IntakeError(
            .bundleDetails,
            vi: "Thông tin gói dịch vụ chưa đủ: \(vi). Bổ sung trước khi xác nhận.",
            en: "Bundle details incomplete: \(en). Complete them before confirming."
        )
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
        let prior: [PriorApplicationStatus]
        do {
            prior = try lookup.priorApplications(for: identity.idNumber)
        } catch {
            return [
                IntakeError(
                    .duplicate,
                    vi: "Không kiểm tra được hồ sơ trùng (lỗi hàng đợi). Thử lại; nếu vẫn lỗi, báo kỹ thuật.",
                    en: "Could not check for duplicates (queue error). Retry; if it persists, call support."
                )
            ]
        }
        guard prior.contains(where: { $0 == .pending || $0 == .accepted }) else { return [] }
        return [
            IntakeError(
                .duplicate,
                vi: "Công dân đã có hồ sơ đang xử lý hoặc đã được duyệt. Không nhận hồ sơ mới; kiểm tra hàng đợi.",
                en: "The citizen already has an application pending or approved. Do not take a new one; check "
                    + "the queue."
            )
        ]
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
