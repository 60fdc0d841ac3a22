import ChipID
import ControlAPI
import Foundation
import Hummingbird
import Intake
import Messages
import Portraits
import SmartCard

/// The control API's view of the intake session and of its refusals: what `IntakeRoutes` answers.
extension IntakeSessionWire {
    /// The session as the client sees it: state, application id, masked ID number, verdict, fingers, portraits,
    /// validation problems.
    init(id: String, machine: IntakeSession, chipPortraitProblem: String?, validityModel: String?) {
        self.init(id: id, state: machine.state.name)
        communeCode = machine.point.communeCode
        hamlet = machine.hamlet
        let draft: IntakeSession.Draft?
        var review: IntakeSession.Review?
        var turnedAway: [IntakeError]?
        switch machine.state {
        case .cardRead(let d), .biometrics(let d): draft = d
        case .review(let d, let r):
            draft = d
            review = r
        case .paused(let d, let r, let step):
            draft = d
            review = r
            resumeStep = step.rawValue
        case .committed(let id):
            applicationID = id.text
            draft = nil
        case .turnedAway(let errors, _):
            turnedAway = errors
            draft = nil
        default: draft = nil
        }
        if let draft {
            applicationID = draft.applicationID.text
            maskedIDNumber = draft.card.identity.idNumber.masked
            authenticity = draft.card.authenticity.rawValue
            fingers = draft.fingerprints.map(\.position.rawValue).sorted()
            portrait = draft.livePortrait != nil
            // No card, no chip portrait to describe (the verdict `noCard` says why).
            if draft.card.authenticity != .noCard {
                CardReading.describePortrait(&self, card: draft.card, problem: chipPortraitProblem)
            }
            self.validityModel = validityModel
        }
        suggestedPriorityGroup = machine.suggestedPriorityGroup?.rawValue
        let requests = machine.exceptionRequests
        if !requests.isEmpty { exceptionRequests = requests.map(FingerExceptionWire.init) }
        if let errors = turnedAway ?? review?.errors {
            problems = errors.map { ValidationProblem(code: $0.code.rawValue, message: $0.vietnamese) }
        }
        if let summary = machine.readBack {
            readBack = IntakeReadBackWire(
                revision: summary.revision, fullName: summary.fullName, dateOfBirth: summary.dateOfBirth.iso,
                maskedIDNumber: summary.maskedIDNumber, phone: summary.phone, bundle: summary.bundle,
                priorityGroup: summary.priorityGroup?.rawValue, communeCode: summary.communeCode,
                fingers: summary.fingers.map {
                    .init(position: $0.position.rawValue, quality: $0.quality, exception: $0.exception?.rawValue)
                },
                portraitPresent: summary.portraitPresent, validated: summary.validated)
            readBack?.hamlet = summary.hamlet
            readBack?.suggestedPriorityGroup = summary.suggestedPriorityGroup?.rawValue
            if let draft {
                switch draft.details.bundle {
                case .threeInOne(let bank): readBack?.bankCode = bank.bankBIN
                case .fourInOne(let bank, let benefits):
                    readBack?.bankCode = bank.bankBIN
                    readBack?.benefits = SocialBenefit.allCases.filter(benefits.contains).map(\.rawValue)
                case .utility, .twoInOne: break
                }
            }
        }
    }
}

/// Parsing of the intake requests' strings into the coordinator's domain values.
enum IntakeRequests {
    /// The access key of a card read: the CAN, else the MRZ. 400 when neither is given or valid.
    static func accessKey(_ request: CardReadRequest) throws(APIError) -> AccessKey {
        do {
            if let can = request.can { return try AccessKey.can(digits: can) }
            if let mrz = request.mrz {
                return .mrz(try MRZ(mrz.trimmingCharacters(in: .whitespacesAndNewlines)).keySeed)
            }
        } catch {
            throw APIError(.badRequest, Message(.controlAccessKeyInvalid))
        }
        throw APIError(.badRequest, Message(.controlAccessKeyMissing))
    }

    /// A finger exception's approval: a supervisor caller with a non-blank reason; nil otherwise (the session then
    /// asks for a supervisor).
    static func exceptionApproval(_ request: FingerRequest, supervisor: String?) -> SupervisorOverride? {
        guard let supervisor, let reason = request.exceptionReason?.trimmingCharacters(in: .whitespacesAndNewlines),
            !reason.isEmpty
        else { return nil }
        return SupervisorOverride(supervisor: OperatorID(supervisor), reason: reason)
    }

    /// The finger of a capture request, and its exception if the finger cannot be captured.
    static func finger(_ request: FingerRequest) throws(APIError) -> (FingerPosition, FingerException?) {
        guard let position = FingerPosition(rawValue: request.finger) else {
            throw APIError(.badRequest, Message(.controlFingerInvalid))
        }
        guard let exception = request.exception else { return (position, nil) }
        guard let reason = FingerException(rawValue: exception) else {
            throw APIError(.badRequest, Message(.controlFingerExceptionInvalid))
        }
        return (position, reason)
    }

    /// The live portrait from the request body: a phone's or webcam's JPEG or PNG, normalised (upright, cropped to
    /// 3:4, resized, re-encoded; `PortraitNormaliser`); 422 with the reason when the photo cannot be used.
    static func portrait(_ photo: Data) async throws(APIError) -> LivePortrait {
        do {
            return try await PortraitNormaliser.standard.normalise(photo)
        } catch {
            throw invalid(error)
        }
    }

    /// The details: phone, bundle (with its bank and benefits), priority group and a supervisor's override
    /// (`supervisor` nil: the caller is not a supervisor, and an override is refused with 403). `withoutCard`: the
    /// session has no card, and an absent bundle is the 2-in-1. A bundle whose bank or benefits do not pass is
    /// refused at once (422 `intake.bundle_details`, naming what is missing).
    static func details(_ request: DetailsRequest, supervisor: String?, withoutCard: Bool = false)
        throws(APIError) -> IntakeSession.Details
    {
        var details = IntakeSession.Details()
        if let phone = request.phone, !phone.isEmpty {
            do {
                details.phone = try PhoneNumber(parsing: phone)
            } catch {
                throw invalid(error)
            }
        }
        details.bundle = try bundle(request, withoutCard: withoutCard)
        if let problem = BundleDetailsRule().check(details.bundle).first { throw invalid(problem) }
        if let group = request.priorityGroup {
            guard let parsed = PriorityGroup(rawValue: group) else {
                throw APIError(.badRequest, Message(.controlPriorityGroupInvalid))
            }
            details.priorityGroup = parsed
        }
        if let reason = request.overrideReason {
            guard let supervisor else {
                throw APIError(.forbidden, Message(.controlOverrideSupervisorOnly))
            }
            details.authenticityOverride = SupervisorOverride(supervisor: OperatorID(supervisor), reason: reason)
        }
        return details
    }

    /// The bundle of the details: 400 `control.bundle_invalid` or `control.benefit_invalid` for a name the
    /// station does not know; the bank and benefits as given (the rule judges them).
    static func bundle(_ request: DetailsRequest, withoutCard: Bool) throws(APIError) -> ServiceBundle {
        let bank = BankAccountRequest(
            bankBIN: (request.bankCode ?? "").trimmingCharacters(in: .whitespaces),
            existingAccountNumber: request.accountNumber.map { $0.filter { !$0.isWhitespace } }.flatMap {
                $0.isEmpty ? nil : $0
            },
            accountConsent: request.accountConsent ?? false, preferentialLoan: request.preferentialLoan ?? false)
        switch request.bundle ?? (withoutCard ? "2in1" : "utility") {
        case "utility": return .utility
        case "2in1": return .twoInOne
        case "3in1": return .threeInOne(bank)
        case "4in1":
            var benefits = Set<SocialBenefit>()
            for name in request.benefits ?? [] {
                guard let benefit = SocialBenefit(rawValue: name) else {
                    throw APIError(.badRequest, Message(.controlBenefitInvalid))
                }
                benefits.insert(benefit)
            }
            return .fourInOne(bank, benefits: benefits)
        default:
            throw APIError(.badRequest, Message(.controlBundleInvalid))
        }
    }

    /// The identity typed for a citizen without a card, checked (422 `intake.identity_invalid` or
    /// `intake.id_number_structure`, naming the field; never with the values typed).
    static func identity(_ request: TypedIdentityRequest, today: CalendarDate) throws(APIError) -> ChipIdentity {
        do {
            return try ChipIdentity.typed(
                idNumber: request.idNumber, fullName: request.fullName, dateOfBirth: request.dateOfBirth,
                sex: request.sex, today: today)
        } catch {
            throw invalid(error)
        }
    }

    /// The station's bank list as `GET /v1/banks` answers it.
    static var banks: BanksWire {
        BanksWire(banks: BankDirectory.all.map { .init(code: $0.code, shortName: $0.shortName, name: $0.name) })
    }

    /// A value the citizen gave that does not pass (422 with the value's own code).
    /// The refusal to record: the reason's class (400 `intake.refusal_reason_invalid` for a reason the eligibility
    /// list does not know), the note, the local authority's confirmation.
    static func refusal(_ request: RefusalRequest) throws(APIError) -> (EligibilityClass, String, Bool) {
        guard let eligibility = EligibilityClass(refusalReason: request.reason) else {
            throw APIError(
                .badRequest, moduleCode: MessageKey.intakeRefusalReasonInvalid.rawValue,
                Message(.intakeRefusalReasonInvalid), detail: "reason: \(request.reason.prefix(40))")
        }
        return (eligibility, String((request.note ?? "").prefix(500)), request.confirmedByLocalAuthority ?? false)
    }

    /// The session's commune and hamlet, checked against the station's service area: 400 with
    /// `intake.commune_not_served` or `intake.hamlet_not_served` naming what may be chosen.
    static func place(commune: String?, hamlet: String?, in area: ServiceArea) throws(APIError) -> IntakePlace {
        do {
            return try area.place(commune: commune, hamlet: hamlet)
        } catch {
            throw APIError(.badRequest, moduleCode: error.code.rawValue, error.message)
        }
    }

    static func invalid(_ error: any Error) -> APIError {
        if let error = error as? IntakeError {
            return APIError(
                .unprocessableContent, moduleCode: error.code.rawValue,
                text: { $0 == .english ? error.english : error.vietnamese })
        }
        return APIError(.badRequest, Message(.controlInvalidData))
    }
}

extension APIError {
    /// The intake coordinator's refusal as the control API answers it.
    init(_ failure: IntakeFailure) {
        switch failure {
        case .busy: self.init(.busy, Message(.controlIntakeBusy))
        case .stepInProgress: self.init(.busy, Message(.controlIntakeBusyStep))
        case .noSession: self.init(.noSession, Message(.controlNoIntakeSession))
        case .noCard: self.init(.conflict, moduleCode: SmartCardError.Code.noCard.rawValue, Message(.controlNoCard))
        case .noScanner: self.init(.unavailable, Message(.controlNoScanner))
        case .refused(let refusal):
            // A finger exception request that is not there is 404, a decision without a reason 422.
            let status: HTTPResponse.Status =
                switch refusal {
                case .noExceptionRequest: .notFound
                case .exceptionReasonMissing: .unprocessableContent
                default: .conflict
                }
            self.init(status, moduleCode: "intake.refused.\(refusal.rawValue)", Message(Self.message(refusal)))
        case .persistFailed(let code):
            self.init(.conflict, moduleCode: code, Message(.controlPersistFailed, ["code": code]))
        case .notice(let notice):
            self.init(.conflict, moduleCode: "intake.notice.\(notice.rawValue)", notice.message)
        case .refusalNeedsCard:
            self.init(.conflict, moduleCode: MessageKey.intakeRefusalNoCard.rawValue, Message(.intakeRefusalNoCard))
        }
    }

    /// A refusal's message: its key is its code, `intake.refused.VALUE`.
    private static func message(_ refusal: IntakeSession.Refusal) -> MessageKey {
        switch refusal {
        case .notInThisState: .intakeRefusedNotInThisState
        case .portraitMissing: .intakeRefusedPortraitMissing
        case .notValidated: .intakeRefusedNotValidated
        case .validationFailed: .intakeRefusedValidationFailed
        case .noExceptionRequest: .intakeRefusedNoExceptionRequest
        case .exceptionDecided: .intakeRefusedExceptionDecided
        case .exceptionReasonMissing: .intakeRefusedExceptionReasonMissing
        }
    }
}
