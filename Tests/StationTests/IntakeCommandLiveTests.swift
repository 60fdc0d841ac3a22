import ControlAPI
import Foundation
import Intake
import Queue
import Simulation
import StationTestKit
import Testing

/// `stationctl intake` forgives the officer's mistakes (issue 19 items 1–3), against the daemon with the simulated
/// CCCD on the live reader: on a terminal a wrong CAN and a phone that does not pass are asked again in the same
/// session, the read-back is printed and confirmed before the commit; a citizen turned away is recorded on the
/// eligibility list (`--refuse`).
@Suite(.serialized)
struct IntakeCommandLiveTests {
    let lease: LivePCSC.Lease
    var harness: PCSCHarness { lease.harness }
    init() async throws { lease = try await LivePCSC.acquire() }

    /// Runs `stationctl ARGS` on a pseudo-terminal and answers each prompt (the first pair whose text appears
    /// after the previous answer) as an officer types: a no-echo prompt flushes what was typed before it shows.
    /// A finger's capture that failed (a slow, loaded machine) is retaken ("Lấy lại …? (c/k)": c).
    /// `pausingAt: (N, MARKER)`: when the Nth prompt appears the driver creates `MARKER.reached` and answers only
    /// once `MARKER.go` exists (the test acts on the devices meanwhile).
    private static func onTerminal(
        _ arguments: [String], answers: [(prompt: String, answer: String)], pausingAt marker: (Int, String)? = nil
    ) throws
        -> (status: Int32, output: String)
    {
        let driver = """
            import json, os, pty, select, sys, time
            pairs = json.loads(sys.argv[1])
            pid, fd = pty.fork()
            if pid == 0:
                os.execv(sys.argv[2], sys.argv[2:])
            out, seen, retake, deadline = b"", 0, 0, time.time() + 150
            last, answered_at = None, 0.0
            while time.time() < deadline:
                r, _, _ = select.select([fd], [], [], 0.2)
                if r:
                    try:
                        chunk = os.read(fd, 4096)
                    except OSError:
                        break
                    if not chunk:
                        break
                    out += chunk
                text = out.decode("utf-8", "replace")
                if "Lấy lại " in text[retake:] and text.endswith("(c/k): "):  # a capture failed (a loaded machine)
                    retake = len(text)
                    os.write(fd, b"c\\n")
                if pairs and pairs[0][0] in text[seen:]:
                    seen = text.index(pairs[0][0], seen) + len(pairs[0][0])
                    if len(pairs[0]) > 2:  # tell the test the prompt is up, wait until it says go
                        open(pairs[0][2] + ".reached", "w").close()
                        while not os.path.exists(pairs[0][2] + ".go") and time.time() < deadline:
                            time.sleep(0.1)
                    time.sleep(0.5)
                    last = pairs.pop(0)
                    os.write(fd, (last[1] + "\\n").encode())
                    answered_at, answered_len = time.time(), len(out)
                elif last is not None and len(out) == answered_len and time.time() - answered_at > 5:
                    # Nothing came after the answer: a no-echo prompt flushed it (a loaded machine printed the
                    # prompt before the terminal settled). Type it again, as an officer would.
                    os.write(fd, (last[1] + "\\n").encode())
                    answered_at = time.time()
            else:
                os.kill(pid, 9)
            _, status = os.waitpid(pid, 0)
            sys.stdout.write(out.decode("utf-8", "replace"))
            sys.exit(os.waitstatus_to_exitcode(status))
            """
        let pairs = String(
            decoding: try JSONSerialization.data(
                withJSONObject: answers.enumerated().map { index, pair in
                    [pair.prompt, pair.answer] + (marker?.0 == index ? [marker!.1] : [])
                }), as: UTF8.self)
        return try runTool(
            "/usr/bin/env", ["python3", "-c", driver, pairs, try Binaries.path("stationctl")] + arguments,
            timeout: 170)
    }

    private func daemonWithCard(_ name: String, dataSet url: URL, extra: [String] = []) async throws -> (
        DaemonUnderTest, ManagedProcess
    ) {
        let daemon = try DaemonUnderTest(
            name: name, extraConfig: "[point]\ncommune_code = 26734\n", environment: harness.clientEnvironment)
        try daemon.start()
        let card = try harness.startCard(arguments: ["--dataset", url.path] + extra)
        let deadline = Date(timeIntervalSinceNow: 45)
        while try !daemon.curl("GET", "/v1/readers").1.contains(#""cardPresent":true"#) && Date() < deadline {
            try await Task.sleep(for: .milliseconds(200))
        }
        return (daemon, card)
    }

    private func portrait(_ daemon: DaemonUnderTest) throws -> URL {
        let portrait = daemon.directory.appendingPathComponent("portrait.jpg")
        try IntakeLiveTests.syntheticJPEG(width: 480, height: 640).write(to: portrait)
        return portrait
    }

    private func total(_ daemon: DaemonUnderTest) throws -> Int? {
        (jsonObject(try daemon.curl("GET", "/v1/status").1)?["queue"] as? [String: Any])?["total"] as? Int
    }

    /// A wrong CAN is asked again and a landline is asked again, in ONE session: the right CAN and a mobile number
    /// end in one committed application; the read-back is printed in Vietnamese and confirmed first.
    @Test func aWrongCANAndALandlineAreAskedAgainThenTheReadBackIsConfirmed() async throws {
        let url = LivePCSC.packageRoot.appendingPathComponent("Devices/cards/nguyen-van-an.json")
        let set = try CitizenDataSet.load(url)
        let (daemon, card) = try await daemonWithCard("ctl-retry", dataSet: url)
        defer { card.stop() }
        let wrong = set.can == "000000" ? "111111" : "000000"
        let result = try Self.onTerminal(
            ["intake", "--socket", daemon.socketPath, "--portrait", try portrait(daemon).path],
            answers: [
                ("CAN (6 số cuối số định danh)", wrong),
                ("CAN (6 số cuối số định danh)", set.can),
                ("Số điện thoại di động", "0241234567"),
                ("Số điện thoại di động", "0912345678"),
                ("Đã đọc lại cho công dân và công dân xác nhận đúng? (c/k)", "c"),
            ])
        #expect(result.status == 0, "\(result.output)\n\(daemon.log.suffix(2000))")
        #expect(result.output.contains("chip.access_denied"), "\(result.output)")
        #expect(result.output.contains("intake.phone_landline"), "\(result.output)")
        // The read-back, in Vietnamese, before the question.
        let readBack = try #require(result.output.range(of: "Đọc lại cho công dân:"), "\(result.output)")
        let question = try #require(result.output.range(of: "công dân xác nhận đúng?"))
        #expect(readBack.upperBound < question.lowerBound)
        for line in [
            "Họ và tên: \(set.fullName)", "Số định danh: *********\(set.idNumber.suffix(3))",
            "Số điện thoại: 0912345678", "Mã xã/phường: 26734", "ngón trỏ tay phải: chất lượng",
            "ngón trỏ tay trái: chất lượng", "Ảnh chân dung: có",
        ] {
            #expect(result.output.contains(line), "\(line)\n\(result.output)")
        }
        #expect(result.output.contains("Đã lưu hồ sơ:"), "\(result.output)")
        // One session, one application.
        #expect(try total(daemon) == 1)
        #expect(daemon.stop() == 0)
    }

    /// The card pulled out while the officer types the phone: the session pauses, the command says so in
    /// Vietnamese, waits for the card, reads it again and sends the phone again; one application.
    @Test func aPulledCardIsWaitedForAndTheSessionResumes() async throws {
        let url = LivePCSC.packageRoot.appendingPathComponent("Devices/cards/nguyen-van-an.json")
        let set = try CitizenDataSet.load(url)
        let (daemon, first) = try await daemonWithCard("ctl-pulled", dataSet: url)
        var card = first
        defer { card.stop() }
        let marker = daemon.directory.appendingPathComponent("phone-prompt").path
        let arguments = ["intake", "--socket", daemon.socketPath, "--portrait", try portrait(daemon).path]
        let answers = [
            ("CAN (6 số cuối số định danh)", set.can), ("Số điện thoại di động", "0912345678"),
            ("Đã đọc lại cho công dân và công dân xác nhận đúng? (c/k)", "c"),
        ]
        let run = Task.detached { try Self.onTerminal(arguments, answers: answers, pausingAt: (1, marker)) }
        let reached = Date(timeIntervalSinceNow: 90)
        while !FileManager.default.fileExists(atPath: marker + ".reached") && Date() < reached {
            try await Task.sleep(for: .milliseconds(100))
        }
        card.stop()
        let paused = Date(timeIntervalSinceNow: 10)
        while try !daemon.curl("GET", "/v1/status").1.contains(#""state":"paused""#) && Date() < paused {
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(try daemon.curl("GET", "/v1/status").1.contains(#""state":"paused""#))
        card = try harness.startCard(arguments: ["--dataset", url.path])
        FileManager.default.createFile(atPath: marker + ".go", contents: nil)
        let result = try await run.value
        #expect(result.status == 0, "\(result.output)\n\(daemon.log.suffix(2000))")
        #expect(result.output.contains("Thẻ đã bị rút ra: đặt lại thẻ để tiếp tục"), "\(result.output)")
        #expect(result.output.contains("Đã lưu hồ sơ:"), "\(result.output)")
        #expect(try total(daemon) == 1)
        #expect(daemon.stop() == 0)
    }

    /// Scriptable: `--yes` confirms the read-back (printed all the same) and commits that revision; without a
    /// terminal a landline still ends the command with the problem's exit code and nothing stored.
    @Test func yesConfirmsTheReadBackAndNonInteractiveKeepsItsExitCodes() async throws {
        let url = LivePCSC.packageRoot.appendingPathComponent("Devices/cards/nguyen-van-an.json")
        let set = try CitizenDataSet.load(url)
        let (daemon, card) = try await daemonWithCard("ctl-yes", dataSet: url)
        defer { card.stop() }
        let portrait = try portrait(daemon).path
        let landline = try daemon.stationctl(
            ["intake", "--can", set.can, "--portrait", portrait, "--phone", "0241234567", "--yes", "--lang", "en"],
            timeout: 90)
        #expect(landline.status == 6, "\(landline.output)")
        #expect(landline.output.contains("intake.phone_landline"))
        #expect(try total(daemon) == 0)
        let committed = try daemon.stationctl(
            ["intake", "--can", set.can, "--portrait", portrait, "--phone", "0912345678", "--yes", "--lang", "en"],
            timeout: 90)
        #expect(committed.status == 0, "\(committed.output)")
        #expect(committed.output.contains("Read back to the citizen:"), "\(committed.output)")
        #expect(committed.output.contains("right index finger: quality"), "\(committed.output)")
        #expect(committed.output.contains("Application committed:"))
        #expect(try total(daemon) == 1)
        #expect(daemon.stop() == 0)
    }

    /// A child (under 14) is turned away at the card read; `--refuse under14` records them on the eligibility list
    /// in the same connection, read back from the store.
    @Test func aTurnedAwayCitizenIsRecordedWithRefuse() async throws {
        let child = try IntakeCoordinatorTests.childDataSet()
        defer { try? FileManager.default.removeItem(at: child) }
        let set = try CitizenDataSet.load(child)
        let pki = LivePCSC.packageRoot.appendingPathComponent("Devices/cards/pki").path
        let (daemon, card) = try await daemonWithCard("ctl-refuse", dataSet: child, extra: ["--pki", pki])
        defer { card.stop() }
        let refused = try daemon.stationctl(
            ["intake", "--can", set.can, "--refuse", "under14", "--lang", "en"], timeout: 90)
        #expect(refused.status == 0, "\(refused.output)\n\(daemon.log.suffix(2000))")
        #expect(refused.output.contains("intake.under_age"), "\(refused.output)")
        #expect(refused.output.contains("Recorded on the eligibility list"), "\(refused.output)")
        #expect(try total(daemon) == 0)
        #expect(daemon.stop() == 0)
        let queue = try ApplicationQueue(
            configuration: .init(
                databasePath: daemon.directory.path + "/state/queue.sqlite",
                keyFilePath: daemon.directory.path + "/state/queue.key"))
        let citizen = try #require(CitizenID(set.idNumber))
        let record = try #require(try queue.eligibility(of: citizen))
        #expect(record.eligibility == .notYetEligible(.under14))
    }
}
