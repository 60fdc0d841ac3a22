import ControlAPI
import Foundation
import Messages
import Testing

/// The stall line and the export's figures as people read them (#19 item 9), without a daemon: the seconds the
/// wire counts, the line in both languages, spans and sizes.
@Suite struct ProgressWireTests {
    static let now = Date(timeIntervalSince1970: 1_795_417_500)

    @Test func aStallCountsItsSecondsAtTheMomentItIsRead() {
        let stall = UploadStall(
            since: Self.now.addingTimeInterval(-30.6), code: "central.transport", retries: 3,
            nextRetryAt: Self.now.addingTimeInterval(19.2), now: Self.now)
        #expect(stall.stalledSeconds == 30)
        #expect(stall.retryInSeconds == 20)  // rounded up: never "retrying in 0 s" while one is still ahead
        #expect(stall.noAnswer)
        let due = UploadStall(
            since: Self.now, code: "central.transport", retries: 1, nextRetryAt: Self.now.addingTimeInterval(-2),
            now: Self.now)
        #expect(due.retryInSeconds == 0 && due.stalledSeconds == 0)
    }

    @Test func theLineSaysNoAnswerOrTheCentralsCodeAndTheNextTry() {
        var stall = UploadStall(
            since: Self.now.addingTimeInterval(-30), code: "central.transport", retries: 2,
            nextRetryAt: Self.now.addingTimeInterval(20), now: Self.now)
        #expect(stall.line(.vietnamese) == "Không có phản hồi từ trung tâm 30 giây, thử lại sau 20 giây.")
        #expect(stall.line(.english) == "No answer from the central for 30 s, retrying in 20 s.")
        stall.retryInSeconds = 0
        #expect(stall.line(.vietnamese) == "Không có phản hồi từ trung tâm 30 giây, đang thử lại.")
        #expect(stall.line(.english) == "No answer from the central for 30 s, retrying now.")
        stall.code = "central.unavailable"
        stall.retryInSeconds = 8
        #expect(
            stall.line(.vietnamese)
                == "Trung tâm chưa nhận hồ sơ 30 giây (mã central.unavailable), thử lại sau 8 giây.")
        #expect(
            stall.line(.english)
                == "The central has taken nothing for 30 s (code central.unavailable), retrying in 8 s.")
        stall.retryInSeconds = 0
        #expect(stall.line(.english).hasSuffix("(code central.unavailable), retrying now."))
    }

    @Test func spansAreSecondsThenMinutesThenHours() {
        #expect(UploadStall.duration(0, .vietnamese) == "0 giây")
        #expect(UploadStall.duration(119, .vietnamese) == "119 giây")
        #expect(UploadStall.duration(120, .vietnamese) == "2 phút")
        #expect(UploadStall.duration(7_199, .english) == "119 min")
        #expect(UploadStall.duration(7_200 + 5 * 60 + 59, .vietnamese) == "2 giờ 5 phút")
        #expect(UploadStall.duration(-4, .english) == "0 s")
    }

    @Test func sizesAreKilobytesThenMegabytesWithTheLanguagesDecimalMark() {
        #expect(ExportStatus.size(0, .english) == "0 KB")
        #expect(ExportStatus.size(1, .english) == "1 KB")
        #expect(ExportStatus.size(1_047_552, .english) == "1023 KB")
        #expect(ExportStatus.size(1_048_576, .english) == "1.0 MB")
        #expect(ExportStatus.size(5_452_595, .vietnamese) == "5,2 MB")
    }

    @Test func theFractionCountsWrittenAndFailedApplications() {
        var status = ExportStatus(state: .exporting, total: 8, items: 3, failed: 1)
        #expect(status.fraction == 0.5)
        status.total = 0
        #expect(status.fraction == 0)  // counting, nothing known yet
        status.state = .done
        #expect(status.fraction == 1)  // nothing to write is all written
    }

    @Test func theWireKeepsItsFieldNames() throws {
        let stall = UploadStall(
            since: Self.now, code: "central.transport", retries: 1, nextRetryAt: Self.now.addingTimeInterval(5),
            now: Self.now)
        let json = try #require(
            try JSONSerialization.jsonObject(with: ControlJSON.encoder().encode(stall)) as? [String: Any])
        #expect(
            Set(json.keys) == ["since", "code", "retries", "nextRetryAt", "stalledSeconds", "retryInSeconds"])
        let export = try #require(
            try JSONSerialization.jsonObject(with: ControlJSON.encoder().encode(ExportStatus())) as? [String: Any])
        #expect(
            Set(export.keys).isSuperset(of: ["state", "total", "items", "failed", "files", "bytes", "folders"]))
    }
}
