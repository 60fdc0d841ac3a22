import Foundation
import Intake
import Testing

@testable import Queue

/// The health desk's cleansing list: each insurance/chip disagreement once, sealed, exported as CSV for Excel.
struct CleansingTests {
    static let day = CalendarDate(year: 2026, month: 12, day: 6)!
    static let hoa = CleansingEntry(
        idNumber: "031199087654", field: "fullName", insuranceValue: "Lê Thị Hòa", chipValue: "Lê Thị Hoa",
        day: day, cardCode: "HC4310199087654", dateOfBirth: CalendarDate(year: 1999, month: 3, day: 15))

    @Test("one mismatch → exactly one entry, however often the patient is checked; values sealed, not in clear")
    func oneEntryPerMismatch() throws {
        let dir = TemporaryDirectory()
        let queue = try openQueue(dir)
        #expect(try queue.recordCleansing([Self.hoa]) == 1)
        #expect(try queue.recordCleansing([Self.hoa]) == 0, "the same case checked again")
        var later = Self.hoa
        later.day = Self.day.adding(days: 1)
        #expect(try queue.recordCleansing([later]) == 0, "the same case on another day")
        let entries = try queue.cleansingEntries(since: Self.day, by: supervisor)
        #expect(entries == [Self.hoa])
        #expect(try queue.cleansingEntries(since: Self.day.adding(days: 1), by: supervisor).isEmpty)
        #expect(throws: QueueError.self) { try queue.cleansingEntries(since: Self.day, by: officer) }

        // A second field of the same patient is a second case.
        var birth = Self.hoa
        birth.field = "dateOfBirth"
        birth.insuranceValue = "16/03/1999"
        birth.chipValue = "1999-03-15"
        #expect(try queue.recordCleansing([birth]) == 1)
        #expect(try queue.cleansingEntries(since: Self.day, by: supervisor).count == 2)

        // Neither the ID number nor a value is in the store's files in clear.
        for path in [dir.database, dir.database + "-wal"] {
            let bytes = fileBytes(path)
            for needle in ["031199087654", "Lê Thị Hòa", "Lê Thị Hoa", "16/03/1999"] {
                #expect(bytes.range(of: Data(needle.utf8)) == nil, "\(needle) in \(path)")
            }
        }
    }

    @Test("the CSV: UTF-8 BOM, the header, Vietnamese intact, the seed's appendix and the under-6 group")
    func csv() throws {
        var child = Self.hoa
        child.idNumber = "001220012345"
        child.field = "idNumber"
        child.insuranceValue = ""
        child.chipValue = "001220012345"
        child.dateOfBirth = CalendarDate(year: 2022, month: 1, day: 1)
        child.cardCode = "TE1010122012345"
        var quoted = Self.hoa
        quoted.insuranceValue = "Lê, \"Hòa\""
        let data = CleansingCSV.render([Self.hoa, child, quoted])
        #expect(Array(data.prefix(3)) == [0xEF, 0xBB, 0xBF])
        let text = try #require(String(data: data.dropFirst(3), encoding: .utf8))
        let lines = text.components(separatedBy: "\r\n")
        #expect(lines[0] == "ngay,so_dinh_danh,ma_the_bhyt,truong,gia_tri_bhxh,gia_tri_chip,phu_luc,doi_tuong")
        #expect(lines[1] == "2026-12-06,031199087654,HC4310199087654,fullName,Lê Thị Hòa,Lê Thị Hoa,Phụ lục 02,")
        #expect(
            lines[2] == "2026-12-06,001220012345,TE1010122012345,idNumber,,001220012345,Phụ lục 01,Trẻ em dưới 6 tuổi")
        #expect(
            lines[3] == "2026-12-06,031199087654,HC4310199087654,fullName,\"Lê, \"\"Hòa\"\"\",Lê Thị Hoa,Phụ lục 02,")
        #expect(lines.count == 5 && lines[4].isEmpty)
    }
}
