import Foundation
import Intake
import Messages
import Testing

/// The commune and hamlet of an intake session (issue 19 item 7): chosen from the station's service area, the
/// registration point's commune by default, anything else refused with what may be chosen.
@Suite struct ServiceAreaTests {
    static let area = ServiceArea(communes: [
        .init(code: "26734", hamlets: ["Thôn Đông", "Thôn Tây"]), .init(code: "26737", hamlets: ["Xóm 1"]),
        .init(code: "26740"),
    ])

    @Test func theOfficerChoosesACommuneAndHamletOrGetsThePointsCommune() throws {
        #expect(try Self.area.place(commune: nil, hamlet: nil) == IntakePlace(communeCode: "26734"))
        #expect(try Self.area.place(commune: " ", hamlet: "") == IntakePlace(communeCode: "26734"))
        #expect(
            try Self.area.place(commune: "26737", hamlet: "Xóm 1") == IntakePlace(communeCode: "26737", hamlet: "Xóm 1")
        )
        // As people type it: the configured spelling is recorded.
        #expect(
            try Self.area.place(commune: "26734", hamlet: " thôn tây ")
                == IntakePlace(communeCode: "26734", hamlet: "Thôn Tây"))
        #expect(try Self.area.place(commune: "26740", hamlet: nil) == IntakePlace(communeCode: "26740"))
        #expect(ServiceArea.only("16001").communes == [.init(code: "16001")])
    }

    @Test func aPlaceOutsideTheAreaIsRefusedNamingWhatMayBeChosen() {
        #expect(throws: PlaceChoiceError(.communeNotServed, commune: "99999", allowed: ["26734", "26737", "26740"])) {
            try Self.area.place(commune: "99999", hamlet: nil)
        }
        #expect(
            throws: PlaceChoiceError(.hamletNotServed, commune: "26737", hamlet: "Thôn Đông", allowed: ["Xóm 1"])
        ) { try Self.area.place(commune: "26737", hamlet: "Thôn Đông") }
        do {
            _ = try Self.area.place(commune: "99999", hamlet: nil)
        } catch {
            #expect(error.code.rawValue == "intake.commune_not_served")
            #expect(
                error.message.text(.vietnamese)
                    == "Trạm không được cấu hình để tiếp nhận cho xã 99999. Chọn một trong các xã: 26734, 26737, 26740."
            )
            #expect(error.message.text(.english).contains("Choose one of: 26734, 26737, 26740"))
        }
        do {
            _ = try Self.area.place(commune: "26740", hamlet: "Xóm 1")
        } catch {
            #expect(error.code == .hamletNotServed)
            #expect(error.message.text(.vietnamese).contains("Xã 26740 không có danh sách thôn/xóm"))
        }
    }

    @Test func theSessionTakesItsApplicationsAndReadBackAtThePlace() {
        var session = IntakeSession(
            operatorID: OperatorID("officer-7"),
            point: RegistrationPoint(communeCode: "26734", kind: .mobile, placeName: "Nhà văn hóa"),
            place: IntakePlace(communeCode: "26737", hamlet: "Xóm 1"))
        #expect(session.point.communeCode == "26737" && session.point.placeName == "Nhà văn hóa")
        #expect(session.place == IntakePlace(communeCode: "26737", hamlet: "Xóm 1"))
        _ = session.handle(.cardRead(IntakeSessionTests.card, applicationID: IntakeSessionTests.id, at: Date()))
        _ = session.handle(.screened([]))
        _ = session.handle(.startBiometrics)
        _ = session.handle(.portraitCaptured(IntakeSessionTests.portrait))
        let actions = session.handle(.finishBiometrics)
        guard case .validate(let application, _)? = actions.first else {
            Issue.record("no validation: \(actions)")
            return
        }
        #expect(application.point.communeCode == "26737")
        #expect(session.readBack?.communeCode == "26737" && session.readBack?.hamlet == "Xóm 1")
    }
}
