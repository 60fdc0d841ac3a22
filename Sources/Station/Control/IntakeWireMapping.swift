import ChipID
import ControlAPI
import Foundation
import Intake
import Messages
import SmartCard

/// The control API's view of the intake session and of its refusals: what `IntakeRoutes` answers.
extension IntakeSessionWire {
    /// The session as the client sees it: state, application id, masked ID number, verdict, fingers, portraits,
    /// validation problems.
    init(id: String, machine: IntakeSession, chipPortraitProblem: String?, validityModel: String?) {
        self.init(id: id, state: machine.state.name)
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
        case .turnedAway(let errors):
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
            CardReading.describePortrait(&self, card: draft.card, problem: chipPortraitProblem)
            self.validityModel = validityModel
        }
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
            throw APIError(
                .badRequest, vi: "Mã truy cập (CAN/MRZ) không hợp lệ.",
                en: "The access key (CAN/MRZ) is not valid.")
        }
        throw APIError(.badRequest, vi: "Cần CAN hoặc MRZ.", en: "Give can or mrz.")
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
            throw APIError(.badRequest, vi: "Vị trí ngón tay phải từ 1 đến 10.", en: "finger must be 1...10.")
        }
        guard let exception = request.exception else { return (position, nil) }
        guard let reason = FingerException(rawValue: exception) else {
            throw APIError(
                .badRequest, vi: "Lý do ngoại lệ không hợp lệ.",
                en: "exception must be missingFinger, injury or unreadable.")
        }
        return (position, reason)
    }

    /// The live portrait from the request body (JPEG); 422 with the portrait's problem.
    static func portrait(_ jpeg: Data) throws(APIError) -> LivePortrait {
        do {
            return try LivePortrait(jpeg: jpeg)
        } catch {
            throw invalid(error)
        }
    }

    /// The details: phone, bundle, priority group and a supervisor's override (`supervisor` nil: the caller is
    /// not a supervisor, and an override is refused with 403).
    static func details(_ request: DetailsRequest, supervisor: String?) throws(APIError) -> IntakeSession.Details {
        var details = IntakeSession.Details()
        if let phone = request.phone, !phone.isEmpty {
            do {
                details.phone = try PhoneNumber(parsing: phone)
            } catch {
                throw invalid(error)
            }
        }
        switch request.bundle ?? "utility" {
        case "utility": details.bundle = .utility
        case "2in1": details.bundle = .twoInOne
        default:
            throw APIError(
                .badRequest, vi: "Gói dịch vụ qua socket: utility hoặc 2in1.",
                en: "bundle must be utility or 2in1.")
        }
        if let group = request.priorityGroup {
            guard let parsed = PriorityGroup(rawValue: group) else {
                throw APIError(.badRequest, vi: "Nhóm ưu tiên không hợp lệ.", en: "Unknown priority group.")
            }
            details.priorityGroup = parsed
        }
        if let reason = request.overrideReason {
            guard let supervisor else {
                throw APIError(
                    .forbidden, vi: "Chỉ cán bộ giám sát được phê duyệt ngoại lệ xác thực.",
                    en: "Only a supervisor may override an authenticity verdict.")
            }
            details.authenticityOverride = SupervisorOverride(supervisor: OperatorID(supervisor), reason: reason)
        }
        return details
    }

    /// A value the citizen gave that does not pass (422 with the value's own code).
    static func invalid(_ error: any Error) -> APIError {
        if let error = error as? IntakeError {
            return APIError(
                .unprocessableContent, code: error.code.rawValue, vi: error.vietnamese, en: error.english)
        }
        return APIError(.badRequest, vi: "Dữ liệu không hợp lệ.", en: "Invalid data.")
    }
}

extension APIError {
    /// The intake coordinator's refusal as the control API answers it.
    init(_ failure: IntakeFailure) {
        switch failure {
        case .busy:
            self.init(
                .busy, vi: "Một máy trạm khác đang điều khiển phiên tiếp nhận.",
                en: "Another client controls the intake session.")
        case .stepInProgress:
            self.init(
                .busy, vi: "Phiên đang thực hiện một bước khác.", en: "The session is busy with another step.")
        case .noSession:
            self.init(.noSession, vi: "Không có phiên tiếp nhận này.", en: "No such intake session.")
        case .noCard:
            self.init(
                .conflict, code: SmartCardError.Code.noCard.rawValue, vi: "Chưa có thẻ trên đầu đọc.",
                en: "No card on any reader.")
        case .noScanner:
            self.init(.unavailable, vi: "Không có máy quét vân tay.", en: "No fingerprint scanner.")
        case .refused(let refusal):
            self.init(
                .conflict, code: "intake.refused.\(refusal.rawValue)", vi: Self.vietnamese(refusal),
                en: Self.english(refusal))
        case .persistFailed(let code):
            self.init(
                .conflict, code: code, vi: "Không lưu được hồ sơ (\(code)).",
                en: "The application could not be stored (\(code)).")
        case .notice(let notice):
            self.init(
                .conflict, code: "intake.notice.\(notice.rawValue)", vi: notice.message.text(.vietnamese),
                en: notice.message.text(.english))
        }
    }

    private static func vietnamese(_ refusal: IntakeSession.Refusal) -> String {
        switch refusal {
        case .notInThisState: "Bước này không thực hiện được ở trạng thái hiện tại."
        case .portraitMissing: "Chưa có ảnh chân dung."
        case .notValidated: "Hồ sơ chưa được kiểm tra."
        case .validationFailed: "Hồ sơ chưa đạt yêu cầu; xem các lỗi kiểm tra."
        }
    }

    private static func english(_ refusal: IntakeSession.Refusal) -> String {
        switch refusal {
        case .notInThisState: "This step is not possible in the current state."
        case .portraitMissing: "No live portrait yet."
        case .notValidated: "The application has not been validated yet."
        case .validationFailed: "The application does not pass validation; see the problems."
        }
    }
}
