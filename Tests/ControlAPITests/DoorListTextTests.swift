import ControlAPI
import Foundation
import Messages
import Testing

/// The door-to-door lists as people read them: the wire's codes named in Vietnamese (English on request), the CSV
/// for Excel, a row without a hamlet said so in the terminal table and left empty in the CSV.
@Suite struct DoorListTextTests {
    static let refusals = DoorListWire(
        list: "refusals", day: "2026-11-26", columns: DoorListText.columns["refusals"]!,
        rows: [
            [
                "01234", "Thôn Đông", "001299000007", "Phạm Văn Dũng", "notYetEligible", "noPhone", "false",
                "2026-11-23",
                "=hẹn, tuần sau",
            ],
            ["01234", "", "001299000008", "Hoàng Thị Em", "ineligible", "illness", "true", "2026-11-23", ""],
        ])

    @Test("CSV: BOM, the Vietnamese header, classes, reasons and the confirmation in words, formulas defused")
    func csv() throws {
        let data = DoorListText.csv(Self.refusals)
        #expect(Array(data.prefix(3)) == [0xEF, 0xBB, 0xBF])
        let lines = String(decoding: data.dropFirst(3), as: UTF8.self).components(separatedBy: "\r\n")
        #expect(
            lines == [
                "Mã xã,Thôn/xóm,Số định danh,Họ và tên,Phân loại,Lý do,Đã được địa phương xác nhận,Ngày ghi nhận,Ghi chú",
                "01234,Thôn Đông,001299000007,Phạm Văn Dũng,Chưa đủ điều kiện,không có số điện thoại di động,Chưa,"
                    + "2026-11-23,\"'=hẹn, tuần sau\"",
                "01234,,001299000008,Hoàng Thị Em,Không đủ điều kiện,\"ốm đau, bệnh nặng\",Có,2026-11-23,",
                "",
            ])
    }

    @Test("the terminal table: a title with the day and the count, no hamlet said so, English on request")
    func table() {
        let vietnamese = DoorListText.table(Self.refusals, language: .vietnamese)
        #expect(vietnamese.hasPrefix("Danh sách công dân chưa đủ / không đủ điều kiện, ngày 2026-11-26: 2 người\n"))
        #expect(vietnamese.contains("(không ghi thôn)") && vietnamese.contains("Hoàng Thị Em"))
        let english = DoorListText.table(Self.refusals, language: .english)
        #expect(english.contains("Full name") && english.contains("(no hamlet)") && english.contains("no mobile phone"))
        #expect(!english.contains("Họ và tên"))
    }
}
