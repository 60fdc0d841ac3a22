import CentralAPI
import Foundation
import Queue
import Retry
import StationTestKit
import Testing
import Uplink

/// What the stall line and the export's progress are made of (#19 item 9): the upload cycle's stall, the drain's
/// retry events on a test clock, and the exporter's running figures against the files it wrote.
@Suite struct ProgressAccountingTests {
    typealias Cycle = UploadCycle<TestClock>
    static func instant(_ milliseconds: Int64) -> TestClock.Instant { .init(milliseconds: milliseconds) }
    static func failure(_ code: CentralError.Code, status: Int?, retryAfter: Double? = nil) -> CentralClient.CallError {
        CentralClient.CallError(error: CentralError(code, "test"), status: status, retryAfter: retryAfter)
    }

    @Test func aStallRunsFromTheFirstFailedAttemptUntilTheCentralAnswers() {
        var random = SystemRandomNumberGenerator()
        var cycle = Cycle(deadline: Self.instant(600_000), backoff: Backoff(base: 1, cap: 2))
        #expect(cycle.stalledSince == nil)
        _ = cycle.start(now: Self.instant(1_000))
        // The probe handed out at 1 s times out at 6 s: the stall counts from the probe's start.
        _ = cycle.failed(Self.failure(.transport, status: nil), now: Self.instant(6_000), using: &random)
        #expect(cycle.stalledSince == Self.instant(1_000))
        #expect(cycle.stalledFor(now: Self.instant(6_000)) == 5)
        // The next probe fails too: the stall keeps its start.
        _ = cycle.woke(now: Self.instant(8_000))
        _ = cycle.failed(
            Self.failure(.unavailable, status: 503, retryAfter: 2), now: Self.instant(8_500), using: &random)
        #expect(cycle.stalledSince == Self.instant(1_000))
        #expect(cycle.stalledFor(now: Self.instant(10_500)) == 9.5)
        // The central answers the next probe: the stall is over.
        _ = cycle.woke(now: Self.instant(10_500))
        _ = cycle.probed(now: Self.instant(10_600))
        #expect(cycle.stalledSince == nil && cycle.stalledFor(now: Self.instant(11_000)) == nil)
        // A batch handed out at 10.6 s whose offer fails: a new stall from the batch's start.
        _ = cycle.failed(Self.failure(.unavailable, status: 503), now: Self.instant(12_000), using: &random)
        #expect(cycle.stalledSince == Self.instant(10_600))
        _ = cycle.woke(now: Self.instant(13_000))
        _ = cycle.probed(now: Self.instant(13_100))
        _ = cycle.uploaded(batch: true, sentSomething: true, now: Self.instant(14_000))
        #expect(cycle.stalledSince == nil)
    }

    @Test func theDrainsRetryEventsSayHowLongNothingWent() async throws {
        let station = try InProcessStation()
        _ = try station.addReady(2)
        let central = FakeCentral()
        central.probeFailures = [
            Self.failure(.transport, status: nil), Self.failure(.unavailable, status: 503, retryAfter: 2),
        ]
        central.putFailures = [(keep: 0, error: Self.failure(.unavailable, status: 429, retryAfter: 2))]
        let events = EventLog()
        let uploader = try Uploader(
            queue: station.queue, credentials: station.credentials,
            configuration: .init(
                client: central, backoff: Backoff(base: 2, cap: 2, jitter: .none), stateDirectory: station.directory),
            events: { events.append($0) })
        let clock = TestClock()
        _ = try await uploader.drain(until: Self.instant(60_000), clock: clock)
        let retries = events.all.compactMap { event -> [Double]? in
            guard case .retrying(let after, _, let stalledFor) = event else { return nil }
            return [after, stalledFor]
        }
        // Probe at 0 fails (stalled 0 s), probe at 2 s fails (stalled 2 s), probe at 4 s answers; the chunk sent at
        // 4 s fails (a new stall, 0 s).
        #expect(retries == [[2, 0], [2, 2], [2, 0]], "\(events.all)")
        let answered = events.all.firstIndex(of: .centralAnswered)
        let lastRetry = events.all.lastIndex { if case .retrying = $0 { true } else { false } }
        #expect(answered != nil && lastRetry != nil && answered! < lastRetry!)
        #expect(events.all.filter { $0 == .centralAnswered }.count == 1)
    }

    @Test func theExportersFiguresAddUpToTheFilesItWrote() throws {
        let station = try InProcessStation()
        let ids = try station.addReady(5)
        let media = station.directory + "/usb"
        var seen: [Exporter.Report] = []
        let report = try Exporter(queue: station.queue, credentials: station.credentials)
            .export(to: media, batchSize: 2) { seen.append($0) }
        // Counted once, first; then every file and every folder; each figure only grows; the last is the report.
        #expect(seen.first.map { $0.total == 5 && $0.files == 0 && $0.bytes == 0 && $0.items == 0 } == true)
        #expect(seen.last == report)
        for (before, after) in zip(seen, seen.dropFirst()) {
            #expect(after.files >= before.files && after.bytes >= before.bytes && after.items >= before.items)
            #expect(after.total == 5)
        }
        #expect(report.items == ids.count && report.folders.count == 3 && report.failed == 0)
        #expect(report.files == ids.count + 2 * report.folders.count)
        // Heard after every file, not only at the end of a folder: every count of files from none to the last.
        #expect(Set(seen.map(\.files)) == Set(0...report.files))
        var bytes = 0
        var files = 0
        for folder in report.folders {
            let walker = FileManager.default.enumerator(atPath: folder)
            while let name = walker?.nextObject() as? String {
                let attributes = try FileManager.default.attributesOfItem(atPath: folder + "/" + name)
                guard attributes[.type] as? FileAttributeType == .typeRegular else { continue }
                files += 1
                bytes += (attributes[.size] as? Int) ?? 0
            }
        }
        #expect(files == report.files && bytes == report.bytes)
        // Items are counted as their folder is recorded: never more than the files written so far.
        #expect(seen.allSatisfy { $0.items <= $0.files })
        #expect(try station.statuses(ids).allSatisfy { $0.local == .exported })
    }
}
