import ControlAPI
import Foundation
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
        #expect(badStatus == 400 && errorCode(badBody) == ControlErrorCode.operatorInvalid, "\(badBody)")
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
        #expect(errorCode(refusedBody) == ControlErrorCode.operatorDisabled)
        #expect(refusedBody.contains("đã bị cán bộ giám sát khóa tiếp nhận hồ sơ"), "\(refusedBody)")
        let (onBehalf, onBehalfBody) = try daemon.curl(
            "POST", ControlPaths.intake, body: #"{"operatorID":"nobody"}"#)
        #expect(onBehalf == 403 && errorCode(onBehalfBody) == ControlErrorCode.operatorDisabled)
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
}
