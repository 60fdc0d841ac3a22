import ControlAPI
import Foundation
import Intake
import Queue
import StationTestKit
import Testing

/// `stationctl operator add|ls|disable` against a running daemon: supervisors only for changes, the name from
/// standard input (never argv), audited; a disabled account is refused at intake start.
@Suite(.serialized) struct OperatorRecordsLiveTests {
    static let operators = [TestGroups.socket, TestGroups.operators]
    static let supervisors = [TestGroups.socket, TestGroups.supervisors]

    @Test func supervisorsRecordAndDisableOfficersAndADisabledAccountCannotStartAnIntake() throws {
        let daemon = try DaemonUnderTest(name: "operators")
        try daemon.start()
        defer { _ = daemon.stop() }
        let add = [
            "operator", "add", "nobody", "--staff-number", "CA-0042", "--unit", "Công an huyện Lục Ngạn", "--team",
            "Tổ 3", "--commune", "16001", "--name-file", "-",
        ]
        func stationctl(_ arguments: [String], input: String?, groups: [UInt32]?) throws -> (Int32, String) {
            let (executable, full) = DaemonUnderTest.wrap(
                try Binaries.path("stationctl"), ["--socket", daemon.socketPath] + arguments, groups: groups,
                subcommand: true)
            let result = try runTool(executable, full, input: input, timeout: 30)
            return (result.status, result.output)
        }
        // An officer may not add; a supervisor may, the name read from standard input.
        let refused = try stationctl(add, input: "Nguyễn Văn Ánh\n", groups: Self.operators)
        #expect(refused.0 == 3, "\(refused.1)")
        let added = try stationctl(add + ["--lang", "en"], input: "Nguyễn Văn Ánh\n", groups: Self.supervisors)
        #expect(added.0 == 0, "\(added.1)")
        #expect(added.1.contains("Recorded officer nobody (staff number CA-0042"), "\(added.1)")
        // The same account again: 409 with the store's code; a bad commune: 400 naming the field.
        let again = try stationctl(add, input: "Nguyễn Văn Ánh\n", groups: Self.supervisors)
        #expect(again.0 == 5 && again.1.contains("[queue.duplicate]"), "\(again.1)")
        let (badStatus, badBody) = try daemon.curl(
            "POST", ControlPaths.operators,
            body: #"{"account":"x","staffNumber":"1","fullName":"A","unit":"U","team":"T","commune":"123"}"#)
        #expect(badStatus == 400 && errorCode(badBody) == ControlErrorCode.operatorInvalid.rawValue, "\(badBody)")
        #expect(badBody.contains("commune"))
        // No name given and no terminal: exit 64, nothing sent.
        let noName = try stationctl(Array(add.dropLast(2)), input: nil, groups: Self.supervisors)
        #expect(noName.0 == 64 && noName.1.contains("input.missing"), "\(noName.1)")

        // Officers may list.
        let listed = try stationctl(["operator", "ls"], input: nil, groups: Self.operators)
        #expect(listed.0 == 0)
        #expect(listed.1.contains("Nguyễn Văn Ánh") && listed.1.contains("hoạt động"), "\(listed.1)")
        let json = try stationctl(["operator", "ls", "--json"], input: nil, groups: Self.operators)
        let records = try ControlJSON.decoder().decode([OperatorWire].self, from: Data(json.1.utf8))
        #expect(records.map(\.account) == ["nobody"] && records.first?.team == "Tổ 3")

        // Before disabling, the officer starts an intake (the session ends when curl's connection closes).
        let (started, startBody) = try daemon.curl("POST", ControlPaths.intake, body: "{}", asGroups: Self.operators)
        #expect(started == 201, "\(startBody)")
        #expect(try stationctl(["operator", "disable", "nobody"], input: nil, groups: Self.operators).0 == 3)
        let disabled = try stationctl(["operator", "disable", "nobody"], input: nil, groups: Self.supervisors)
        #expect(disabled.0 == 0, "\(disabled.1)")
        #expect(try stationctl(["operator", "disable", "ghost"], input: nil, groups: Self.supervisors).0 == 4)
        // Now refused at intake start, in Vietnamese, with a typed code; also for a supervisor on their behalf.
        let (refusedStart, refusedBody) = try daemon.curl(
            "POST", ControlPaths.intake, body: "{}", asGroups: Self.operators)
        #expect(refusedStart == 403, "\(refusedBody)")
        #expect(errorCode(refusedBody) == ControlErrorCode.operatorDisabled.rawValue)
        #expect(refusedBody.contains("đã bị cán bộ giám sát khóa tiếp nhận hồ sơ"), "\(refusedBody)")
        let (onBehalf, onBehalfBody) = try daemon.curl(
            "POST", ControlPaths.intake, body: #"{"operatorID":"nobody"}"#)
        #expect(onBehalf == 403 && errorCode(onBehalfBody) == ControlErrorCode.operatorDisabled.rawValue)
        // An account with no record still takes applications.
        let (other, otherBody) = try daemon.curl("POST", ControlPaths.intake, body: "{}")
        #expect(other == 201, "\(otherBody)")

        // Audited; the name never in clear in the store or the daemon's log, nor on stationctl's command line.
        #expect(daemon.stop() == 0)
        #expect(!daemon.log.contains("Ánh"))
        let queue = try ApplicationQueue(
            configuration: .init(
                databasePath: daemon.directory.path + "/state/queue.sqlite",
                keyFilePath: daemon.directory.path + "/state/queue.key"))
        let actions = try queue.auditTrail(for: nil).map(\.action)
        #expect(actions.filter { $0.hasPrefix("operator_") } == ["operator_added", "operator_disabled"])
        try queue.checkpoint()
        let bytes = FileManager.default.contents(atPath: daemon.directory.path + "/state/queue.sqlite") ?? Data()
        #expect(bytes.range(of: Data("Nguyễn Văn Ánh".utf8)) == nil)
        #expect(bytes.range(of: Data("CA-0042".utf8)) != nil)
    }

    @Test func reportsPerOfficialAndTeamAcrossAVietnameseMidnightOnAMachineInAnotherZone() throws {
        var environment = ProcessInfo.processInfo.environment
        environment["TZ"] = "America/Los_Angeles"
        let daemon = try DaemonUnderTest(name: "officer-report", environment: environment)
        try daemon.start()
        for (account, staff, team) in [("nva", "CA-1", "Tổ 1"), ("ttb", "CA-2", "Tổ 1"), ("lvc", "CA-3", "Tổ 2")] {
            let (status, body) = try daemon.curl(
                "POST", ControlPaths.operators,
                body: #"{"account":"\#(account)","staffNumber":"\#(staff)","fullName":"Cán bộ \#(staff)","#
                    + #""unit":"CA huyện, Lục Ngạn","team":"\#(team)","commune":"16001"}"#)
            #expect(status == 201, "\(body)")
        }
        #expect(daemon.stop() == 0)
        // Applications written into the daemon's store while it is stopped: 2026-11-23 00:00 in Hà Nội is
        // 2026-11-22 17:00 UTC, 09:00 on the 22nd in Los Angeles.
        let midnight = Date(timeIntervalSince1970: 1_795_366_800)
        do {
            let queue = try ApplicationQueue(
                configuration: .init(
                    databasePath: daemon.directory.path + "/state/queue.sqlite",
                    keyFilePath: daemon.directory.path + "/state/queue.key"))
            let fixture: [(String, Double)] = [
                ("nva", -0.5), ("nva", 0.5), ("ttb", -0.01), ("lvc", 0.01), ("khach", -0.02), ("khach", 9),
            ]
            for (index, (account, hours)) in fixture.enumerated() {
                var application = SampleApplications.application(
                    for: SampleApplications.citizens(1, start: index)[0], biometricBytes: 200, seed: index)
                application.capturedAt = midnight + hours * 3600
                application.operatorID = OperatorID(account)
                try queue.commit(application, by: .system)
            }
        }
        try daemon.start()
        defer { _ = daemon.stop() }
        // Sunday 22nd (Hà Nội): nva 23:30, ttb 23:59:24, khach 23:58:48. Monday 23rd: nva 00:30, lvc 00:00:36,
        // khach 09:00.
        let sunday = try daemon.stationctl(
            ["report", "daily", "--date", "2026-11-22", "--table", "officers", "--json"])
        let sundayReport = try ControlJSON.decoder().decode(ReportWire.self, from: Data(sunday.output.utf8))
        #expect(sundayReport.officers?.map(\.account) == ["khach", "lvc", "nva", "ttb"])
        #expect(sundayReport.officers?.map(\.taken) == [1, 0, 1, 1])
        #expect(sundayReport.teams?.map(\.team) == ["Tổ 1", "Tổ 2", "(chưa đăng ký)"])
        #expect(sundayReport.teams?.map(\.taken) == [2, 0, 1])

        let csvPath = daemon.directory.appendingPathComponent("officers.csv").path
        let csv = try daemon.stationctl(
            ["report", "daily", "--date", "2026-11-23", "--table", "officers", "--format", "csv", "--out", csvPath])
        #expect(csv.status == 0, "\(csv.output)")
        let bytes = try Data(contentsOf: URL(fileURLWithPath: csvPath))
        #expect(Array(bytes.prefix(3)) == [0xEF, 0xBB, 0xBF])
        let rows = String(decoding: bytes.dropFirst(3), as: UTF8.self).components(separatedBy: "\r\n")
        #expect(rows[0] == "Tài khoản,Số hiệu,Họ và tên,Tổ,Tiếp nhận,Chờ,Duyệt,Kích hoạt,Từ chối")
        #expect(rows[1] == "khach,,(chưa đăng ký),(chưa đăng ký),1,1,0,0,0")
        #expect(rows[2] == "lvc,CA-3,Cán bộ CA-3,Tổ 2,1,1,0,0,0")
        #expect(rows[3] == "nva,CA-1,Cán bộ CA-1,Tổ 1,1,1,0,0,0")
        #expect(rows[4] == "ttb,CA-2,Cán bộ CA-2,Tổ 1,0,0,0,0,0")

        let teamsCSV = daemon.directory.appendingPathComponent("teams.csv").path
        #expect(
            try daemon.stationctl(
                ["report", "weekly", "--date", "2026-11-23", "--table", "teams", "--format", "csv", "--out", teamsCSV]
            ).status == 0)
        let teamRows = String(
            decoding: try Data(contentsOf: URL(fileURLWithPath: teamsCSV)).dropFirst(3), as: UTF8.self
        ).components(separatedBy: "\r\n")
        #expect(teamRows[0] == "Đơn vị,Tổ,Số cán bộ,Tiếp nhận,Chờ,Duyệt,Kích hoạt,Từ chối")
        #expect(teamRows[1] == "\"CA huyện, Lục Ngạn\",Tổ 1,2,3,3,0,0,0")
        #expect(teamRows[2] == "\"CA huyện, Lục Ngạn\",Tổ 2,1,1,1,0,0,0")
        #expect(teamRows[3] == ",(chưa đăng ký),1,2,2,0,0,0")

        // The terminal table: Vietnamese headers, a total row.
        let table = try daemon.stationctl(["report", "daily", "--date", "2026-11-23", "--table", "teams"])
        #expect(table.status == 0)
        #expect(table.output.contains("theo tổ") && table.output.contains("Số cán bộ"), "\(table.output)")
        #expect(table.output.split(separator: "\n").contains { $0.hasPrefix("Tổng") && $0.hasSuffix("0") })
    }
}
