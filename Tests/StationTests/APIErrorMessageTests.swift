import Biometrics
import ControlAPI
import Foundation
import Messages
import Queue
import Testing

@testable import Station

/// The control API's answers are catalog messages rendered in the caller's language, with the Vietnamese and the
/// English they had when they were written inline.
@Suite struct APIErrorMessageTests {
    @Test func aCatalogMessageIsVietnameseByDefaultAndEnglishOnRequest() {
        let error = APIError(.badRequest, Message(.controlUnknownState, ["name": "heldd"]))
        #expect(error.code == ControlErrorCode.badRequest.rawValue)
        #expect(error.status == .badRequest)
        #expect(error.vietnamese == "Trạng thái không hợp lệ: heldd.")
        #expect(error.text(.english) == "Unknown state: heldd.")
        let owner = APIError(
            .forbidden, code: ControlErrorCode.operatorDisabled, Message(.controlOperatorDisabled, ["account": "lan"]))
        #expect(owner.code == "control.operator_disabled")
        #expect(owner.text(.english).hasPrefix("The account lan was disabled for intake by a supervisor."))
    }

    @Test func aRoleRefusalNamesTheRoleInEachLanguage() {
        #expect(
            Message(CallerRole.supervisor.refusal).text(.vietnamese)
                == "Tài khoản của bạn không có quyền thực hiện thao tác này (cần quyền cán bộ giám sát).")
        #expect(
            Message(CallerRole.root.refusal).text(.english) == "Your account may not do this (needs the root role).")
    }

    /// One shape for operator text (#18): both languages come from the catalog; the store's own reason goes to the
    /// technician as the detail (it used to be the English text).
    @Test func theStoresRefusalsSpeakTheCatalogAndKeepTheirReasonAsDetail() {
        let mapped = QueueRoutes.map(QueueError(.notFound, "no application 42"))
        #expect(mapped.code == "queue.not_found")
        #expect(mapped.vietnamese == "Không tìm thấy hồ sơ.")
        #expect(mapped.text(.english) == "No such application.")
        #expect(mapped.detail == "no application 42")
    }

    @Test func aScannerErrorIsTheCatalogsMessageWithItsReasonForTheTechnician() {
        let error = APIError(scanner: BiometricError(.timeout, "bulk read on endpoint 0x82 timed out after 5000 ms"))
        #expect(error.code == "biometric.timeout")
        #expect(error.status == .badGateway)
        #expect(error.vietnamese == "Máy quét không phản hồi")
        #expect(error.text(.english) == "The scanner did not respond in time")
        #expect(error.detail == "bulk read on endpoint 0x82 timed out after 5000 ms")
    }

    @Test func startupAdviceIsVietnameseFirstAndEnglishOnRequest() throws {
        let error = QueueError(.storeLocked, "PID 7 holds /var/lib/stationd")
        let vietnamese = try #require(StartupAdvice.lines(for: error))
        #expect(vietnamese[0] == "queue.store_locked: PID 7 holds /var/lib/stationd")
        #expect(vietnamese[1].hasPrefix("Một tiến trình stationd khác đang chạy"))
        #expect(vietnamese[2].hasPrefix("Another stationd is running"))
        let english = try #require(StartupAdvice.lines(for: error, english: true))
        #expect(english[1] == vietnamese[2] && english[2] == vietnamese[1])
        #expect(StartupAdvice.lines(for: QueueError(.duplicate, "x")) == nil)
    }
}
