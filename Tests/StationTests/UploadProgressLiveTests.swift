import ControlAPI
import Foundation
import Queue
import StationTestKit
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// #19 item 9 and #21 item 4, through the real daemon and a real `central-receiver`: `stationctl upload` says a
/// stall (since when nothing went, when the next try is) instead of a silent 0 %, in Vietnamese and English; and
/// `stationctl export` says what it wrote (`--json`: one document whose counts match the queue).
@Suite(.serialized) struct UploadProgressLiveTests {
    /// Reads `GET /v1/upload` as JSON.
    static func upload(_ daemon: DaemonUnderTest) throws -> [String: Any] {
        let (code, body) = try daemon.curl("GET", "/v1/upload")
        #expect(code == 200, "\(body)")
        return jsonObject(body) ?? [:]
    }

    /// The capture groups of the last match of `pattern` in `text`, as numbers (nil: no match).
    static func numbers(_ pattern: String, in text: String) -> [Int]? {
        guard let expression = try? NSRegularExpression(pattern: pattern),
            let match = expression.matches(in: text, range: NSRange(text.startIndex..., in: text)).last
        else { return nil }
        return (1..<match.numberOfRanges).compactMap { index in
            Range(match.range(at: index), in: text).flatMap { Int(text[$0]) }
        }
    }

    /// Commits `count` synthetic applications (captured) into the stopped daemon's store.
    static func commit(_ count: Int, start: Int, into daemon: DaemonUnderTest) throws {
        try FileManager.default.createDirectory(
            atPath: daemon.directory.path + "/state", withIntermediateDirectories: true)
        let queue = try ApplicationQueue(
            configuration: .init(
                databasePath: daemon.directory.path + "/state/queue.sqlite",
                keyFilePath: daemon.directory.path + "/state/queue.key", minimumFreeBytes: 1 << 20))
        for (index, citizen) in SampleApplications.citizens(count, start: start).enumerated() {
            try queue.commit(
                SampleApplications.application(for: citizen, biometricBytes: 3_000, seed: start + index), by: .system)
        }
    }

    @Test(.timeLimit(.minutes(3))) func aStallIsSaidWithItsSecondsAndTheNextTry() async throws {
        // The central answers every signed request 503 with Retry-After 8: the offer of the waiting application
        // fails and the station waits exactly 8 s (the cap is far above, the jitter below it).
        let root = LivePCSC.packageRoot
        let receiver = try CentralReceiverProcess(
            population: root.appendingPathComponent("Devices/central/population.csv"),
            extraArguments: ["--error-rate", "1", "--retry-after", "8"])
        let daemon = try DaemonUnderTest(name: "stall", uploadingTo: receiver)
        try Self.commit(1, start: 61_000, into: daemon)
        try daemon.start()
        defer { _ = daemon.stop() }
        let started = Date()

        // The first cycle (a second after the start) is refused: the stall, its code, the next try in 8 s.
        var stall: [String: Any] = [:]
        while stall.isEmpty && Date().timeIntervalSince(started) < 20 {
            try await Task.sleep(for: .milliseconds(200))
            stall = try Self.upload(daemon)["stall"] as? [String: Any] ?? [:]
        }
        #expect(stall["code"] as? String == "central.unavailable", "\(stall)\n\(daemon.log)")
        // However late this poll sees it (a loaded machine): stalled since the refused attempt began, the next try 8 s
        // after the refusal, so the two add up to the Retry-After plus the attempt's own time (each rounded).
        let retryIn = stall["retryInSeconds"] as? Int ?? -1
        let stalledSeconds = stall["stalledSeconds"] as? Int ?? -1
        #expect((0...8).contains(retryIn) && stalledSeconds >= 0, "\(stall)")
        #expect((7...10).contains(stalledSeconds + retryIn), "\(stall)")
        #expect(stall["retries"] as? Int == 1, "\(stall)")
        let vietnamese = try daemon.stationctl(["upload", "--status"])
        let refused = Self.numbers(
            #"Trung tâm chưa nhận hồ sơ (\d+) giây \(mã central\.unavailable\), thử lại sau (\d+) giây\."#,
            in: vietnamese.output)
        // The same sum, or a second refusal's (the stall still counted from the first attempt).
        #expect(
            refused.map { (0...8).contains($0[1]) && [7, 8, 9, 10, 15, 16, 17, 18].contains($0[0] + $0[1]) } == true,
            "\(vietnamese.output)")
        let english = try daemon.stationctl(["upload", "--status", "--lang", "en"])
        let refusedEnglish = Self.numbers(
            #"The central has taken nothing for (\d+) s \(code central\.unavailable\), retrying in (\d+) s\."#,
            in: english.output)
        #expect(
            refusedEnglish.map { (0...8).contains($0[1]) && [7, 8, 9, 10, 15, 16, 17, 18].contains($0[0] + $0[1]) }
                == true, "\(english.output)")

        // An officer waits for the upload; meanwhile the central stops answering at all: it keeps its port (the
        // kernel accepts connections) but never answers, so each probe times out after 5 s.
        let waiting = try ManagedProcess(
            "stationctl", executable: try Binaries.path("stationctl"),
            arguments: ["upload", "--wait", "--socket", daemon.socketPath],
            logFile: daemon.directory.appendingPathComponent("upload-wait.log"), environment: daemon.environment)
        defer { waiting.stop() }
        _ = try runTool(
            "/usr/bin/curl",
            ["-s", "--max-time", "10", "-X", "POST", "--data-binary", "{}", receiver.baseURL + "/admin/faults"])
        #expect(kill(receiver.process.pid, SIGSTOP) == 0)
        var resumed = false
        defer { if !resumed { kill(receiver.process.pid, SIGCONT) } }
        let silent = Date()
        while (stall["code"] as? String) != "central.transport" && Date().timeIntervalSince(silent) < 30 {
            try await Task.sleep(for: .milliseconds(250))
            stall = try Self.upload(daemon)["stall"] as? [String: Any] ?? [:]
        }
        #expect(stall["code"] as? String == "central.transport", "\(stall)\n\(daemon.log)")
        // The stall goes on from the first refused offer (no answer came since): at least the 8 s wait and the
        // 5 s probe, at most the time since the start.
        let stalled = stall["stalledSeconds"] as? Int ?? -1
        #expect(stalled >= 12 && Double(stalled) <= Date().timeIntervalSince(started) + 1, "\(stall)")
        #expect((stall["retries"] as? Int ?? 0) >= 2, "\(stall)")
        let english2 = try daemon.stationctl(["status", "--lang", "en"])
        let silentEnglish = Self.numbers(
            #"No answer from the central for (\d+) s, (?:retrying in (\d+) s|retrying now)\."#,
            in: english2.output)
        #expect(silentEnglish.map { $0[0] >= 12 && ($0.count == 1 || $0[1] <= 300) } == true, "\(english2.output)")
        let vietnamese2 = try daemon.stationctl(["upload", "--status"])
        let silentVietnamese = Self.numbers(
            #"Không có phản hồi từ trung tâm (\d+) giây, (?:thử lại sau (\d+) giây|đang thử lại)\."#,
            in: vietnamese2.output)
        #expect(silentVietnamese.map { $0[0] >= 12 } == true, "\(vietnamese2.output)")

        // The waiting command says so too (it polls every half second) and said the refusals before, with the
        // next try in seconds (its request does not cut the running back-off short).
        let shown = Date()
        while !waiting.output.contains("Không có phản hồi từ trung tâm") && Date().timeIntervalSince(shown) < 15 {
            try await Task.sleep(for: .milliseconds(200))
        }
        let waited = Self.numbers(
            #"Trung tâm chưa nhận hồ sơ \d+ giây \(mã central\.unavailable\), thử lại sau (\d+) giây"#,
            in: waiting.output)
        #expect(waited.map { (0...8).contains($0[0]) } == true, "\(waiting.output)")

        // The central answers again: the waiting command ends well, having shown the stall, and the stall is gone.
        #expect(kill(receiver.process.pid, SIGCONT) == 0)
        resumed = true
        let status = waiting.wait(timeout: 60)
        #expect(status == 0, "\(waiting.output)\n\(daemon.log)")
        #expect(waiting.output.contains("Không có phản hồi từ trung tâm"), "\(waiting.output)")
        #expect(waiting.output.contains("100% xong"), "\(waiting.output)")
        let after = try Self.upload(daemon)
        #expect(after["stall"] == nil && after["state"] as? String == "idle", "\(after)")
        #expect(try receiver.admin("/admin/stats").flatMap { ($0 as? [String: Any])?["itemsStored"] as? Int } == 1)
    }

    @Test(.timeLimit(.minutes(3))) func exportSaysWhatItWroteAndItsJSONMatchesTheQueue() async throws {
        // Enrolled while the central answered, then the central is gone: the station exports to a USB stick.
        let receiver = try CentralReceiverProcess.forStation()
        let daemon = try DaemonUnderTest(name: "export-progress", uploadingTo: receiver)
        try daemon.start()
        let enrolled = Date()
        while (try Self.upload(daemon)["state"] as? String) != "idle" && Date().timeIntervalSince(enrolled) < 20 {
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(daemon.stop() == 0)
        receiver.process.stop()
        try Self.commit(6, start: 62_000, into: daemon)
        try daemon.start()
        defer { _ = daemon.stop() }

        let usb = daemon.directory.appendingPathComponent("usb").path
        let exported = try daemon.stationctl(["export", "--to", usb, "--json", "--lang", "en"], timeout: 60)
        #expect(exported.status == 0, "\(exported.output)\n\(daemon.log)")
        let result = try #require(jsonObject(exported.output), "\(exported.output)")
        #expect(result["state"] as? String == "done")
        #expect(result["destination"] as? String == usb)
        #expect(result["total"] as? Int == 6 && result["items"] as? Int == 6 && result["failed"] as? Int == 0)
        let folders = result["folders"] as? [String] ?? []
        #expect(!folders.isEmpty && folders.allSatisfy { $0.hasPrefix(usb + "/") })
        // Every file it counted is on the stick, with the bytes it counted: items, a manifest and a signature per
        // folder.
        var files = 0
        var bytes = 0
        for folder in folders {
            let walker = FileManager.default.enumerator(atPath: folder)
            while let name = walker?.nextObject() as? String {
                var info = stat()
                guard stat(folder + "/" + name, &info) == 0, info.st_mode & S_IFMT == S_IFREG else { continue }
                files += 1
                bytes += Int(info.st_size)
            }
        }
        #expect(result["files"] as? Int == files && files == 6 + 2 * folders.count, "\(result)")
        #expect(result["bytes"] as? Int == bytes && bytes > 6 * 3_000, "\(result)")
        let status = try #require(jsonObject(try daemon.curl("GET", "/v1/status").1))
        let byState = (status["queue"] as? [String: Any])?["byState"] as? [String: Int]
        #expect(byState?["exported"] == result["items"] as? Int, "\(status)")

        // Two more: the text says what it wrote and where, in Vietnamese; an export with nothing left writes
        // nothing.
        #expect(daemon.stop() == 0)
        try Self.commit(2, start: 62_100, into: daemon)
        try daemon.start()
        let text = try daemon.stationctl(["export", "--to", usb], timeout: 60)
        #expect(text.status == 0, "\(text.output)")
        let written = Self.numbers(#"Đã xuất (\d+)/(\d+) hồ sơ \((\d+) tệp, (\d+) KB\) vào "#, in: text.output)
        #expect(written.map { $0[0] == 2 && $0[1] == 2 && $0[2] == 4 && $0[3] >= 6 } == true, "\(text.output)")
        #expect(text.output.contains(usb), "\(text.output)")
        // Every line of progress it printed counts up to the end.
        let progress = text.output.split(separator: "\n").compactMap {
            Self.numbers(#"Đang xuất: (\d+)/(\d+) hồ sơ, (\d+) tệp"#, in: String($0))
        }
        #expect(progress.allSatisfy { $0[0] <= 2 && $0[1] == 2 && $0[2] <= 4 }, "\(progress)")
        let nothing = try daemon.stationctl(["export", "--to", usb, "--json"])
        #expect(jsonObject(nothing.output)?["items"] as? Int == 0, "\(nothing.output)")
        let after = try #require(jsonObject(try daemon.curl("GET", "/v1/status").1))
        #expect(((after["queue"] as? [String: Any])?["byState"] as? [String: Int])?["exported"] == 8)
    }
}
