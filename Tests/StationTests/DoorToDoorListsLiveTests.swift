import ControlAPI
import Foundation
import Intake
import Queue
import StationTestKit
import Testing

/// Issue 22 item 5 through the real daemon and `stationctl`: an invitation list imported, the absent list as CSV
/// for Excel with Vietnamese intact, refused to an operator (403), every view audited with no name in clear.
@Suite struct DoorToDoorListsLiveTests {
    static let operators = [TestGroups.socket, TestGroups.operators]
    static let supervisors = [TestGroups.socket, TestGroups.supervisors]

    @Test(.timeLimit(.minutes(3))) func invitationListAbsentAsCSVForSupervisorsOnlyAndAudited() throws {
        let daemon = try DaemonUnderTest(name: "door-lists")
        try daemon.start()
        defer { _ = daemon.stop() }
        let today = CalendarDate(vietnamDayOf: Date()).iso
        let file = daemon.directory.appendingPathComponent("moi-thon-dong.csv")
        let rows = [
            "16001,Thôn Đông,001299000021,Nguyễn Thị Hoà,\(today)",
            "16001,Thôn Đông,001299000022,\"Đặng, Văn Ước\",\(today)",
            "16001,Bản Nà Hừ,001299000023,Lò Văn Xuân,2099-01-01",
        ]
        try (Data([0xEF, 0xBB, 0xBF]) + Data(([InvitationCSV.header] + rows).joined(separator: "\r\n").utf8))
            .write(to: file)
        // An operator may neither import nor see the list.
        let (importRefused, importBody) = try daemon.curl(
            "POST", ControlPaths.invitations, body: "x", asGroups: Self.operators)
        #expect(importRefused == 403 && errorCode(importBody) == "control.forbidden", "\(importBody)")
        let imported = try daemon.stationctl(["invitations", "import", file.path])
        #expect(imported.status == 0, "\(imported.output)")
        #expect(imported.output.contains("Đã nhập 3 công dân của 2 danh sách mời"), "\(imported.output)")
        let (refused, body) = try daemon.curl(
            "GET", "/v1/lists/absent?format=csv", asGroups: Self.operators)
        #expect(refused == 403, "\(body)")
        #expect(errorCode(body) == "control.forbidden")
        #expect(!body.contains("Nguyễn"))

        // A supervisor gets the CSV: BOM, the Vietnamese header, names intact, quoted where they hold a comma.
        let (status, csv) = try daemon.curl("GET", "/v1/lists/absent?format=csv", asGroups: Self.supervisors)
        #expect(status == 200, "\(csv)")
        let out = daemon.directory.appendingPathComponent("vang-mat.csv")
        let written = try daemon.stationctl(["lists", "absent", "--format", "csv", "--out", out.path])
        #expect(written.status == 0 && written.output.contains("Đã ghi 2 dòng"), "\(written.output)")
        let data = try Data(contentsOf: out)
        #expect(Array(data.prefix(3)) == [0xEF, 0xBB, 0xBF], "BOM")
        let lines = String(decoding: data.dropFirst(3), as: UTF8.self).components(separatedBy: "\r\n")
        #expect(lines.first == "Mã xã,Thôn/xóm,Số định danh,Họ và tên,Ngày được mời")
        #expect(
            Array(lines.dropFirst().dropLast()) == [
                "16001,Thôn Đông,001299000022,\"Đặng, Văn Ước\",\(today)",
                "16001,Thôn Đông,001299000021,Nguyễn Thị Hoà,\(today)",
            ], "invited today and not come (Vietnamese order: Đ before N); the one invited for 2099 not yet absent")
        #expect(csv.contains("Nguyễn Thị Hoà"))
        let mode = try FileManager.default.attributesOfItem(atPath: out.path)[.posixPermissions] as? Int
        #expect(mode == 0o600)
        // The terminal table, one hamlet chosen by its Vietnamese name.
        let table = try daemon.stationctl(["lists", "absent", "--hamlet", "Thôn Đông"])
        #expect(table.status == 0, "\(table.output)")
        #expect(table.output.contains("Danh sách được mời nhưng chưa đến") && table.output.contains("2 người"))
        #expect(table.output.contains("Đặng, Văn Ước") && table.output.contains("Thôn Đông"), "\(table.output)")
        let none = try daemon.stationctl(["lists", "absent", "--hamlet", "Bản Nà Hừ", "--json"])
        let wire = try ControlJSON.decoder().decode(DoorListWire.self, from: Data(none.output.utf8))
        #expect(wire.list == "absent" && wire.rows.isEmpty && wire.columns.first == "commune")
        // The other lists answer too (empty here).
        let awaiting = try daemon.stationctl(["lists", "awaiting-activation", "--format", "csv"])
        #expect(awaiting.output.contains("Số điện thoại") && awaiting.output.contains("Số ngày chờ kích hoạt"))

        // A Windows-1258 file is refused with the line and column; the lists are unchanged.
        let bad = daemon.directory.appendingPathComponent("moi-1258.csv")
        try
            (Data((InvitationCSV.header + "\r\n16001,Th").utf8) + Data([0xF4])
            + Data("n,001299000024,A,\(today)\r\n".utf8))
            .write(to: bad)
        let refusedFile = try daemon.stationctl(["invitations", "import", bad.path])
        #expect(refusedFile.status != 0)
        #expect(refusedFile.output.contains("dòng 2, cột 9 [invitation.encoding]"), "\(refusedFile.output)")

        // Audited: each supervisor's view with the list and the count; the operator's refusals are not views.
        #expect(daemon.stop() == 0)
        let queue = try ApplicationQueue(
            configuration: .init(
                databasePath: daemon.directory.path + "/state/queue.sqlite",
                keyFilePath: daemon.directory.path + "/state/queue.key"))
        let audit = try queue.auditTrail(for: nil)
        #expect(
            audit.filter { $0.action == "list_view" }.map(\.to) == [
                "list:absent rows:2", "list:absent rows:2", "list:absent rows:2", "list:absent rows:0",
                "list:awaiting-activation rows:0",
            ])
        #expect(audit.filter { $0.action == "invitations_import" }.map(\.to) == ["lists:2 citizens:3"])
        for name in ["Nguyễn Thị Hoà", "Đặng", "001299000021"] {
            #expect(!audit.contains { ($0.to ?? "").contains(name) }, "\(name) in the audit")
            #expect(!daemon.log.contains(name), "\(name) in the daemon's log")
        }
        try queue.checkpoint()
        let bytes = FileManager.default.contents(atPath: daemon.directory.path + "/state/queue.sqlite") ?? Data()
        #expect(bytes.range(of: Data("Nguyễn Thị Hoà".utf8)) == nil)
        #expect(bytes.range(of: Data("001299000021".utf8)) == nil)
    }
}
