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

    /// How long `stationctl` may print nothing it is expected to print (the next prompt, a progress line, its end)
    /// before the driver gives up: far above what a loaded 2-core machine needs, far below a test's time limit.
    static let stallSeconds = 45.0

    /// Runs `stationctl ARGS` on a pseudo-terminal and answers each prompt (the first pair whose text appears
    /// after the previous answer) as an officer types. A finger's capture that failed (a slow, loaded machine) is
    /// retaken ("Lấy lại …? (c/k)": c). `pausingAt: (N, MARKER)`: when the Nth prompt appears the driver creates
    /// `MARKER.reached` and answers only once `MARKER.go` exists (the test acts on the devices meanwhile); it
    /// creates `MARKER.ended` when it stops, whatever happened.
    ///
    /// Never holds the PC/SC lease for long: when `stationctl` prints nothing for `stallSeconds` (while a prompt
    /// is expected or after the last answer), the driver notes where each of its threads (and each of `watch`'s,
    /// the daemon's) is blocked, and a backtrace of `stationctl` when gdb is there, kills it by its PID and ends
    /// with status 124 and the transcript so far. It runs on a thread of its own, not on the test's executor.
    private static func onTerminal(
        _ arguments: [String], answers: [(prompt: String, answer: String)], pausingAt marker: (Int, String)? = nil,
        watch: [pid_t?] = []
    ) async throws
        -> (status: Int32, output: String)
    {
        let driver = """
            import json, os, pty, select, shutil, subprocess, sys, time
            pairs, stall = json.loads(sys.argv[1]), float(sys.argv[2])
            watched = [int(p) for p in sys.argv[3].split(",") if p]
            markers = [p[2] for p in pairs if len(p) > 2]
            pid, fd = pty.fork()
            if pid == 0:
                os.execv(sys.argv[4], sys.argv[4:])

            def threads(p):
                try:
                    tasks = sorted(os.listdir(f"/proc/{p}/task"), key=int)
                except OSError:
                    return [f"  pid {p}: gone"]
                lines = []
                for tid in tasks:
                    def field(name):
                        try:
                            with open(f"/proc/{p}/task/{tid}/{name}") as f:
                                return f.read().strip()
                        except OSError:
                            return "?"
                    lines.append(f"  {p}/{tid} {field('comm')}: wchan={field('wchan')} "
                                 f"syscall={field('syscall').split(' ')[0]}")
                return lines

            def backtrace(p):
                if not shutil.which("gdb"):
                    return []
                try:
                    run = subprocess.run(["gdb", "-p", str(p), "-batch", "-nx", "-ex", "thread apply all bt 20"],
                                         capture_output=True, text=True, timeout=60)
                except (OSError, subprocess.TimeoutExpired) as error:
                    return [f"  gdb: {error}"]
                return ["  " + l for l in run.stdout.splitlines() if l.startswith(("Thread ", "#"))]

            out, seen, retake, stalled = b"", 0, 0, None
            due = time.time() + stall
            try:
                while True:
                    if time.time() > due:
                        stalled = pairs[0][0] if pairs else "the end of stationctl"
                        break
                    ready, _, _ = select.select([fd], [], [], 0.2)
                    if ready:
                        try:
                            chunk = os.read(fd, 4096)
                        except OSError:
                            break
                        if not chunk:
                            break
                        out += chunk
                        due = time.time() + stall  # it is moving
                    text = out.decode("utf-8", "replace")
                    if "Lấy lại " in text[retake:] and text.endswith("(c/k): "):  # a capture failed (a loaded machine)
                        retake = len(text)
                        os.write(fd, b"c\\n")
                    if pairs and pairs[0][0] in text[seen:]:
                        seen = text.index(pairs[0][0], seen) + len(pairs[0][0])
                        if len(pairs[0]) > 2:  # tell the test the prompt is up, wait until it says go
                            open(pairs[0][2] + ".reached", "w").close()
                            waited = time.time() + 4 * stall
                            while not os.path.exists(pairs[0][2] + ".go") and time.time() < waited:
                                time.sleep(0.1)
                        time.sleep(0.3)
                        os.write(fd, (pairs.pop(0)[1] + "\\n").encode())
                        due = time.time() + stall
                report = ""
                if stalled is not None:
                    lines = ["", f"[pty driver] stationctl (pid {pid}) printed nothing for {stall:.0f} s, "
                             f"waiting for: {stalled}", "[pty driver] where its threads wait:"]
                    lines += threads(pid) + backtrace(pid)
                    for other in watched:
                        lines += [f"[pty driver] pid {other}:"] + threads(other)
                    report = "\\n".join(lines) + "\\n[pty driver] killed stationctl\\n"
                    os.kill(pid, 9)
                _, status = os.waitpid(pid, 0)
                sys.stdout.write(out.decode("utf-8", "replace") + report)
                sys.exit(124 if stalled is not None else os.waitstatus_to_exitcode(status))
            finally:
                for marker in markers:
                    open(marker + ".ended", "w").close()
            """
        let pairs = String(
            decoding: try JSONSerialization.data(
                withJSONObject: answers.enumerated().map { index, pair in
                    [pair.prompt, pair.answer] + (marker?.0 == index ? [marker!.1] : [])
                }), as: UTF8.self)
        let watched = watch.compactMap { $0 }.map(String.init).joined(separator: ",")
        let command = ["python3", "-c", driver, pairs, "\(stallSeconds)", watched, try Binaries.path("stationctl")]
        let limit = stallSeconds * Double(answers.count + 6) + 120
        return try await withCheckedThrowingContinuation { continuation in
            Thread {
                continuation.resume(with: Result { try runTool("/usr/bin/env", command + arguments, timeout: limit) })
            }.start()
        }
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
        let result = try await Self.onTerminal(
            ["intake", "--socket", daemon.socketPath, "--portrait", try portrait(daemon).path],
            answers: [
                ("CAN (6 số cuối số định danh)", wrong),
                ("CAN (6 số cuối số định danh)", set.can),
                ("Số điện thoại di động", "0241234567"),
                ("Số điện thoại di động", "0912345678"),
                ("Đã đọc lại cho công dân và công dân xác nhận đúng? (c/k)", "c"),
            ], watch: [daemon.pid])
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
            // The fingers by name, never by ISO number (issue 19 item 5).
            "Đặt ngón trỏ tay phải lên máy quét…", "Đặt ngón trỏ tay trái lên máy quét…",
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
        let daemonPID = daemon.pid
        async let run = Self.onTerminal(arguments, answers: answers, pausingAt: (1, marker), watch: [daemonPID])
        // Until the phone prompt is up (or the driver gave up: its transcript says why).
        let reached = Date(timeIntervalSinceNow: 4 * Self.stallSeconds)
        while !FileManager.default.fileExists(atPath: marker + ".reached")
            && !FileManager.default.fileExists(atPath: marker + ".ended") && Date() < reached
        {
            try await Task.sleep(for: .milliseconds(100))
        }
        guard FileManager.default.fileExists(atPath: marker + ".reached") else {
            let result = try await run
            Issue.record("the phone prompt never came:\n\(result.output)\n\(daemon.log.suffix(2000))")
            return
        }
        card.stop()
        let paused = Date(timeIntervalSinceNow: 10)
        while try !daemon.curl("GET", "/v1/status").1.contains(#""state":"paused""#) && Date() < paused {
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(try daemon.curl("GET", "/v1/status").1.contains(#""state":"paused""#))
        card = try harness.startCard(arguments: ["--dataset", url.path])
        _ = FileManager.default.createFile(atPath: marker + ".go", contents: nil)
        let result = try await run
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
        #expect(landline.status == 7, "\(landline.output)")
        #expect(landline.output.contains("intake.phone_landline"))
        #expect(try total(daemon) == 0)
        let committed = try daemon.stationctl(
            ["intake", "--can", set.can, "--portrait", portrait, "--phone", "0912345678", "--yes", "--lang", "en"],
            timeout: 90)
        #expect(committed.status == 0, "\(committed.output)")
        #expect(committed.output.contains("Read back to the citizen:"), "\(committed.output)")
        #expect(committed.output.contains("right index finger: quality"), "\(committed.output)")
        #expect(committed.output.contains("Place the left index finger on the scanner…"), "\(committed.output)")
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
