import ControlAPI
import Foundation
import Intake
import Queue
import Simulation
import StationTestKit
import Testing

/// `stationctl intake` forgives the officer's mistakes (issue 19 items 1–3), against the daemon with the simulated
/// CCCD on the live reader: on a terminal a wrong CAN, a poor finger, a portrait file that cannot be read and a
/// phone that does not pass are asked again in the same session, a pulled card is waited for, the read-back is
/// printed and confirmed before the commit; a citizen turned away is recorded on the eligibility list.
///
/// The terminal tests run `stationctl` on a pseudo-terminal driven by a Python script (`onTerminal`). Everything that
/// waits (the driver, the test's own choreography around the card) waits on threads of its own, never on Swift's
/// cooperative pool, which long synchronous tests elsewhere in the suite can hold for minutes; the driver and the
/// test coordinate through marker files with bounded waits; the driver fails the run at once when another process
/// has the terminal open (it would take the typed lines: the cause of the stalls that had this suite reverted).
@Suite(.serialized)
struct IntakeCommandLiveTests {
    let lease: LivePCSC.Lease
    var harness: PCSCHarness { lease.harness }
    init() async throws { lease = try await LivePCSC.acquire() }

    /// How long `stationctl` may print nothing it is expected to print (the next prompt, a progress line, its end)
    /// before the driver gives up: far above what a loaded 2-core machine needs, far below a test's time limit.
    static let stallSeconds = 45.0
    /// How long the driver waits at a marked prompt for the test's `.go`, and the test for the driver's `.reached`.
    static let markerSeconds = 120.0

    /// Runs `stationctl ARGS` on a pseudo-terminal and answers each prompt (the first pair, once the output ends
    /// with its text and ": ", printed after the previous answer) as an officer types. A finger's capture that failed
    /// ("Lấy lại …? (c/k)") is retaken: c. `pausingAt: (N, MARKER, SAYING)`: when the Nth prompt appears the driver
    /// creates `MARKER.reached` and answers only once `MARKER.go` exists (the test acts on the devices meanwhile) and,
    /// with `SAYING`, once `stationctl` has printed that text after the prompt (said at once, before any answer); it
    /// creates `MARKER.ended` when it stops, whatever happened.
    ///
    /// Before each answer the driver looks for any other process with the terminal device open (`/proc/*/fd`): one
    /// would take the typed lines. It names them, kills `stationctl` by its PID and ends with status 125.
    /// Never holds the PC/SC lease for long: when `stationctl` prints nothing for `stallSeconds`, or the test does
    /// not say go within `markerSeconds`, the driver notes where each of its threads (and each of `watch`'s, the
    /// daemon's) is blocked, and a backtrace of `stationctl` when gdb is there, kills it by its PID and ends with
    /// status 124 and the transcript so far. It runs on a thread of its own, not on the test's executor.
    private static func onTerminal(
        _ arguments: [String], answers: [(prompt: String, answer: String)],
        pausingAt marker: (index: Int, path: String, saying: String?)? = nil,
        watch: [pid_t?] = []
    ) async throws
        -> (status: Int32, output: String)
    {
        let driver = """
            import json, os, pty, select, shutil, subprocess, sys, time
            pairs, stall, marker_wait = json.loads(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3])
            watched = [int(p) for p in sys.argv[4].split(",") if p]
            markers = [p[2] for p in pairs if len(p) > 2]
            pid, fd = pty.fork()
            if pid == 0:
                os.execv(sys.argv[5], sys.argv[5:])

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

            def terminal():
                # stationctl's standard input: the terminal device (set up before it printed anything).
                try:
                    return os.readlink(f"/proc/{pid}/fd/0")
                except OSError:
                    return None

            def others(device):
                # Every process but stationctl with the terminal device open: a reader there takes typed lines.
                found = []
                for entry in os.listdir("/proc"):
                    if not entry.isdigit() or int(entry) == pid:
                        continue
                    try:
                        descriptors = os.listdir(f"/proc/{entry}/fd")
                    except OSError:
                        continue
                    for descriptor in descriptors:
                        try:
                            if os.readlink(f"/proc/{entry}/fd/{descriptor}") != device:
                                continue
                            with open(f"/proc/{entry}/comm") as f:
                                found.append(f"pid {entry} ({f.read().strip()}) fd {descriptor}")
                        except OSError:
                            pass
                return found

            out, seen, retake, failure, status = b"", 0, 0, None, 0
            due = time.time() + stall
            try:
                while True:
                    if time.time() > due:
                        failure = (124, f"stationctl (pid {pid}) printed nothing for {stall:.0f} s, waiting for: "
                                   + (pairs[0][0] if pairs else "the end of stationctl"))
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
                    if "Lấy lại " in text[retake:] and text.endswith("(c/k): "):  # a capture failed: retake it
                        retake = len(text)
                        os.write(fd, b"c\\n")
                    # Only at the prompt itself: the output so far ends with it, printed after the last answer.
                    # A hidden prompt turns echo off with TCSAFLUSH before it prints, which discards anything typed
                    # earlier; text that merely contains the prompt (a message, a retry) is not a prompt.
                    if pairs and len(text) > seen and text.endswith(pairs[0][0] + ": "):
                        seen, mark = len(text), len(out)
                        device = terminal()
                        intruders = others(device) if device else []
                        if intruders:
                            failure = (125, f"another process has stationctl's terminal {device} open and would "
                                       "take the typed lines: " + "; ".join(intruders))
                            break
                        if len(pairs[0]) > 2:  # tell the test the prompt is up, wait until it says go
                            open(pairs[0][2] + ".reached", "w").close()
                            waited = time.time() + marker_wait
                            while not os.path.exists(pairs[0][2] + ".go") and time.time() < waited:
                                time.sleep(0.1)
                            if not os.path.exists(pairs[0][2] + ".go"):
                                failure = (124, f"the test did not say go within {marker_wait:.0f} s")
                                break
                            if len(pairs[0]) > 3:  # stationctl must say this before the officer answers
                                said = time.time() + stall
                                while pairs[0][3] not in out[mark:].decode("utf-8", "replace"):
                                    if time.time() > said:
                                        break
                                    if select.select([fd], [], [], 0.2)[0]:
                                        out += os.read(fd, 4096)
                                if pairs[0][3] not in out[mark:].decode("utf-8", "replace"):
                                    failure = (124, f"stationctl did not say at the prompt: {pairs[0][3]}")
                                    break
                        time.sleep(0.3)
                        os.write(fd, (pairs.pop(0)[1] + "\\n").encode())
                        due = time.time() + stall
                report = ""
                if failure is not None:
                    status = failure[0]
                    lines = ["", "[pty driver] " + failure[1], "[pty driver] where its threads wait:"]
                    lines += threads(pid) + (backtrace(pid) if status == 124 else [])
                    for other in watched:
                        lines += [f"[pty driver] pid {other}:"] + threads(other)
                    report = "\\n".join(lines) + "\\n[pty driver] killed stationctl\\n"
                    os.kill(pid, 9)
                _, code = os.waitpid(pid, 0)
                sys.stdout.write(out.decode("utf-8", "replace") + report)
                sys.exit(status if failure is not None else os.waitstatus_to_exitcode(code))
            finally:
                for marker in markers:
                    open(marker + ".ended", "w").close()
            """
        let pairs = String(
            decoding: try JSONSerialization.data(
                withJSONObject: answers.enumerated().map { index, pair in
                    [pair.prompt, pair.answer]
                        + (marker.map { $0.index == index ? [$0.path] + ($0.saying.map { [$0] } ?? []) : [] } ?? [])
                }), as: UTF8.self)
        let watched = watch.compactMap { $0 }.map(String.init).joined(separator: ",")
        let command = [
            "python3", "-c", driver, pairs, "\(stallSeconds)", "\(markerSeconds)", watched,
            try Binaries.path("stationctl"),
        ]
        let limit = stallSeconds * Double(answers.count + 6) + markerSeconds + 120
        return try await offThePool { try runTool("/usr/bin/env", command + arguments, timeout: limit) }
    }

    /// Runs `body` on a thread of its own (it waits on processes and files), not on Swift's cooperative pool.
    private static func offThePool<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            Thread { continuation.resume(with: Result { try body() }) }.start()
        }
    }

    /// A started daemon with the card of `url` on the live reader; `fingerprints`: the simulated scanner's presses
    /// in order (`[biometrics] simulator`; default all good).
    private func daemonWithCard(
        _ name: String, dataSet url: URL, extra: [String] = [], fingerprints: String? = nil
    ) async throws -> (DaemonUnderTest, ManagedProcess) {
        let daemon = try DaemonUnderTest(
            name: name, extraConfig: "[point]\ncommune_code = 26734\n", environment: harness.clientEnvironment)
        if let fingerprints { daemon.base.fingerprintSimulator = fingerprints }
        try daemon.start()
        // Reported by pcscd and still there a moment later (vpcd may drop a new card right after the last one left).
        let harness = harness
        let card = try await Self.offThePool {
            try harness.startCardReported(arguments: ["--dataset", url.path] + extra)
        }
        try await Self.offThePool {
            let deadline = Date(timeIntervalSinceNow: 45)
            while try !daemon.curl("GET", "/v1/readers").1.contains(#""cardPresent":true"#) && Date() < deadline {
                Thread.sleep(forTimeInterval: 0.2)
            }
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

    /// In ONE session: a wrong CAN is asked again, a right index finger that gives no image in three presses is
    /// retaken, a portrait file that cannot be read is asked again, a landline is asked again, the poor right index
    /// finger the review finds is retaken (that finger only); the right answers end in one committed application,
    /// the read-back printed in Vietnamese and confirmed first.
    @Test func eachMistakeIsAskedAgainInOneSessionThenTheReadBackIsConfirmed() async throws {
        let url = LivePCSC.packageRoot.appendingPathComponent("Devices/cards/nguyen-van-an.json")
        let set = try CitizenDataSet.load(url)
        // The simulated scanner's presses, in order: three blank ones (the right index finger's capture fails), three
        // partial ones (its retake keeps the best, quality 20, below the station's 40), then good ones (the left
        // index finger; the right one retaken after the review named it).
        let (daemon, card) = try await daemonWithCard(
            "ctl-retry", dataSet: url, fingerprints: "blank, blank, blank, partial, partial, partial, good, good")
        defer { card.stop() }
        let wrong = set.can == "000000" ? "111111" : "000000"
        let missing = daemon.directory.appendingPathComponent("no-such-photo.jpg").path
        let result = try await Self.onTerminal(
            ["intake", "--socket", daemon.socketPath],
            answers: [
                ("CAN (6 số cuối số định danh)", wrong),
                ("CAN (6 số cuối số định danh)", set.can),
                ("Tệp ảnh chân dung (JPEG hoặc PNG)", missing),
                ("Tệp ảnh chân dung (JPEG hoặc PNG)", try portrait(daemon).path),
                ("Số điện thoại di động", "0241234567"),
                ("Số điện thoại di động", "0912345678"),
                ("Đã đọc lại cho công dân và công dân xác nhận đúng? (c/k)", "c"),
            ], watch: [daemon.pid])
        #expect(result.status == 0, "\(result.output)\n\(daemon.log.suffix(2000))")
        #expect(result.output.contains("chip.access_denied"), "\(result.output)")
        // Each press said live while the finger request runs (capture.attempt): the finger by name, the quality
        // and the capture flow's advice, the accepted one as such.
        #expect(result.output.contains("ngón trỏ tay phải: lần 1, chất lượng 0 — vui lòng đặt ngón tay lên máy quét"))
        #expect(result.output.contains("ngón trỏ tay phải: lần 3, chất lượng 2"), "\(result.output)")
        #expect(result.output.contains(" — đặt ngón tay vào giữa máy quét"), "\(result.output)")
        #expect(result.output.contains("ngón trỏ tay trái: lần 1, chất lượng "), "\(result.output)")
        #expect(result.output.contains(" — đạt"), "\(result.output)")
        #expect(result.output.contains("biometric.quality-too-low"), "\(result.output)")
        #expect(result.output.contains("Lấy lại ngón trỏ tay phải? (c/k)"), "\(result.output)")
        // The review names the poor finger: only that one is asked again.
        #expect(result.output.contains("[intake.fingerprint_low_quality]"), "\(result.output)")
        #expect(result.output.components(separatedBy: "Lấy lại ngón trỏ tay phải?").count == 3, "\(result.output)")
        #expect(!result.output.contains("Lấy lại ngón trỏ tay trái?"), "\(result.output)")
        #expect(result.output.contains("Không đọc được tệp ảnh \(missing): chọn tệp khác"), "\(result.output)")
        #expect(result.output.contains("intake.phone_landline"), "\(result.output)")
        // The read-back, in Vietnamese, before the question.
        let readBack = try #require(result.output.range(of: "Đọc lại cho công dân:"), "\(result.output)")
        let question = try #require(result.output.range(of: "công dân xác nhận đúng?"))
        #expect(readBack.upperBound < question.lowerBound)
        for line in [
            "Họ và tên: \(set.fullName)", "Số định danh: *********\(set.idNumber.suffix(3))",
            "Số điện thoại: 0912345678", "Mã xã/phường: 26734", "Gói dịch vụ: ", "ngón trỏ tay phải: chất lượng",
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

    /// The card pulled out while the officer types the phone: the session pauses and the command says so in
    /// Vietnamese at once, at the prompt; once the phone is typed it waits for the card, reads it again and sends the
    /// phone again; one application. The test's part
    /// (pull the card when the phone prompt is up, see the session paused, put the card back, say go) runs on a
    /// thread of its own, so a starved cooperative pool cannot hold the driver at the prompt.
    @Test func aPulledCardIsWaitedForAndTheSessionResumes() async throws {
        let url = LivePCSC.packageRoot.appendingPathComponent("Devices/cards/nguyen-van-an.json")
        let set = try CitizenDataSet.load(url)
        let (daemon, first) = try await daemonWithCard("ctl-pulled", dataSet: url)
        let marker = daemon.directory.appendingPathComponent("phone-prompt").path
        let arguments = ["intake", "--socket", daemon.socketPath, "--portrait", try portrait(daemon).path]
        let answers = [
            ("CAN (6 số cuối số định danh)", set.can), ("Số điện thoại di động", "0912345678"),
            ("Đã đọc lại cho công dân và công dân xác nhận đúng? (c/k)", "c"),
        ]
        let daemonPID = daemon.pid
        async let run = Self.onTerminal(
            arguments, answers: answers, pausingAt: (1, marker, "Thẻ đã bị rút ra: đặt lại thẻ để tiếp tục"),
            watch: [daemonPID])
        let harness = harness
        let (card, reached, paused) = try await Self.offThePool { () throws -> (ManagedProcess, Bool, Bool) in
            func exists(_ suffix: String) -> Bool { FileManager.default.fileExists(atPath: marker + suffix) }
            // Until the phone prompt is up (or the driver ended: its transcript says why).
            let deadline = Date(timeIntervalSinceNow: Self.stallSeconds * 4 + Self.markerSeconds)
            while !exists(".reached") && !exists(".ended") && Date() < deadline { Thread.sleep(forTimeInterval: 0.1) }
            guard exists(".reached") else { return (first, false, false) }
            first.stop()
            let pausedBy = Date(timeIntervalSinceNow: 30)
            var paused = false
            while !paused && Date() < pausedBy {
                paused = try daemon.curl("GET", "/v1/status").1.contains(#""state":"paused""#)
                if !paused { Thread.sleep(forTimeInterval: 0.1) }
            }
            let again = try harness.startCard(arguments: ["--dataset", url.path])
            _ = FileManager.default.createFile(atPath: marker + ".go", contents: nil)
            return (again, true, paused)
        }
        defer { card.stop() }
        let result = try await run
        #expect(reached, "the phone prompt never came:\n\(result.output)\n\(daemon.log.suffix(2000))")
        #expect(paused, "the pulled card did not pause the session")
        #expect(result.status == 0, "\(result.output)\n\(daemon.log.suffix(2000))")
        // Said at once, while the officer was still at the phone prompt (before the number was typed), once.
        let said = try #require(
            result.output.range(of: "Thẻ đã bị rút ra: đặt lại thẻ để tiếp tục"), "\(result.output)")
        let typed = try #require(result.output.range(of: "0912345678"), "\(result.output)")
        #expect(said.upperBound < typed.lowerBound, "\(result.output)")
        #expect(result.output.components(separatedBy: "Thẻ đã bị rút ra").count == 2, "\(result.output)")
        #expect(result.output.contains("Đặt thẻ lên đầu đọc…"), "\(result.output)")
        #expect(result.output.contains("Đã lưu hồ sơ:"), "\(result.output)")
        #expect(try total(daemon) == 1)
        #expect(daemon.stop() == 0)
    }

    /// `--exception 7=injury` from an operator is a request a supervisor decides at another terminal: the command
    /// says it waits, goes on with the portrait and phone, waits before the read-back until the supervisor's word,
    /// says it, and commits with the exception in the read-back. A declined exception, without a terminal to capture
    /// the finger on, ends the command (exit 7) with nothing stored.
    @Test func anExceptionWaitsForTheSupervisorsWordBeforeTheReadBack() async throws {
        let url = LivePCSC.packageRoot.appendingPathComponent("Devices/cards/nguyen-van-an.json")
        let set = try CitizenDataSet.load(url)
        let (daemon, card) = try await daemonWithCard("ctl-exception", dataSet: url)
        defer { card.stop() }
        let portrait = try portrait(daemon).path
        let operators = [TestGroups.socket, TestGroups.operators]
        let arguments = [
            "intake", "--can", set.can, "--portrait", portrait, "--phone", "0912345678", "--yes", "--exception",
            "7=injury",
        ]
        for (decision, reason) in [("decline", "vân tay đọc được, lấy lại"), ("confirm", "đã xem vết thương")] {
            async let run = Self.offThePool { try daemon.stationctl(arguments, asGroups: operators, timeout: 120) }
            // The supervisor (root at the socket) decides once the request is listed.
            let decided = try await Self.offThePool { () -> (Int32, String) in
                let deadline = Date(timeIntervalSinceNow: 60)
                var session: String?
                while session == nil && Date() < deadline {
                    let listed = try daemon.curl("GET", ControlPaths.exceptions).1
                    let requests = (try? JSONSerialization.jsonObject(with: Data(listed.utf8))) as? [[String: Any]]
                    session = requests?.first?["session"] as? String
                    if session == nil { Thread.sleep(forTimeInterval: 0.3) }
                }
                guard let session else { return (-1, "no request listed") }
                Thread.sleep(forTimeInterval: 1.5)  // the command is waiting at the read-back by now
                return try daemon.stationctl(["exceptions", decision, session, "7", "--reason", reason])
            }
            #expect(decided.0 == 0, "\(decided.1)")
            let result = try await run
            #expect(
                result.output.contains("Ngoại lệ ngón trỏ tay trái: đang chờ tổ trưởng xác nhận"), "\(result.output)")
            if decision == "decline" {
                #expect(result.status == 7, "\(result.output)")
                #expect(
                    result.output.contains("không xác nhận ngoại lệ ngón trỏ tay trái (\(reason))"), "\(result.output)")
                #expect(try total(daemon) == 0)
            } else {
                #expect(result.status == 0, "\(result.output)")
                #expect(result.output.contains("đã xác nhận ngoại lệ ngón trỏ tay trái."), "\(result.output)")
                #expect(result.output.contains("Đã lưu hồ sơ:"), "\(result.output)")
                #expect(try total(daemon) == 1)
            }
        }
        #expect(daemon.stop() == 0)
    }

    /// Scriptable: `--yes` confirms the read-back (printed all the same) and commits that revision; without a
    /// terminal a landline still ends the command with the problem's exit code (7) and nothing stored, and the same
    /// citizen again is turned away as a duplicate right after the card read (exit 7).
    @Test func yesConfirmsTheReadBackAndNonInteractiveKeepsItsExitCodes() async throws {
        let url = LivePCSC.packageRoot.appendingPathComponent("Devices/cards/nguyen-van-an.json")
        let set = try CitizenDataSet.load(url)
        let (daemon, card) = try await daemonWithCard("ctl-yes", dataSet: url)
        defer { card.stop() }
        let portrait = try portrait(daemon).path
        let landline = try await Self.offThePool {
            try daemon.stationctl(
                ["intake", "--can", set.can, "--portrait", portrait, "--phone", "0241234567", "--yes", "--lang", "en"],
                timeout: 90)
        }
        #expect(landline.status == 7, "\(landline.output)")
        #expect(landline.output.contains("intake.phone_landline"))
        #expect(try total(daemon) == 0)
        let committed = try await Self.offThePool {
            try daemon.stationctl(
                [
                    "intake", "--can", set.can, "--portrait", portrait, "--phone", "0912345678", "--yes", "--lang",
                    "en", "--bundle", "3in1", "--bank", "970405", "--account-consent",
                ], timeout: 90)
        }
        #expect(committed.status == 0, "\(committed.output)")
        #expect(committed.output.contains("Read back to the citizen:"), "\(committed.output)")
        #expect(committed.output.contains("right index finger: quality"), "\(committed.output)")
        #expect(committed.output.contains("Bundle: 3-in-1"), "\(committed.output)")
        #expect(committed.output.contains("Bank (code): 970405"), "\(committed.output)")
        #expect(committed.output.contains("Place the left index finger on the scanner…"), "\(committed.output)")
        // The short reference (K7M2-QX4G: 4 + 4 characters), not the UUID, and how to print the receipt.
        let committedLine = committed.output.split(separator: "\n").first { $0.hasPrefix("Application committed: ") }
        let reference = String(committedLine?.dropFirst("Application committed: ".count).prefix(9) ?? "")
        #expect(reference.count == 9 && reference.dropFirst(4).first == "-", "\(committed.output)")
        #expect(committed.output.contains("stationctl receipt \(reference) --print"), "\(committed.output)")
        #expect(try total(daemon) == 1)
        // The same citizen again: turned away right after the card read (before any finger), naming the
        // application already taken; without --refuse, nothing recorded: exit 7.
        let again = try await Self.offThePool {
            try daemon.stationctl(
                ["intake", "--can", set.can, "--portrait", portrait, "--phone", "0912345678", "--yes"], timeout: 90)
        }
        #expect(again.status == 7, "\(again.output)")
        #expect(again.output.contains("[intake.duplicate]"), "\(again.output)")
        // Named by the application already taken: its reference and that it waits for the central.
        #expect(again.output.contains("hồ sơ \(reference), đang chờ trung tâm xét duyệt"), "\(again.output)")
        #expect(!again.output.contains("Đặt ngón"), "\(again.output)")
        #expect(try total(daemon) == 1)
        #expect(daemon.stop() == 0)
    }

    /// A child (under 14) is turned away at the card read, before any finger. On a terminal the command offers to
    /// record the citizen, lists the reasons by their Vietnamese names, asks for the local authority's confirmation
    /// of an ineligible reason and a note, and records it in one step; scriptable, `--refuse under14` records it in
    /// the same connection. Each record read back from the store (the latest counts).
    @Test func aTurnedAwayCitizenIsRecordedOnTheTerminalOrWithRefuse() async throws {
        let child = try IntakeCoordinatorTests.childDataSet()
        defer { try? FileManager.default.removeItem(at: child) }
        let set = try CitizenDataSet.load(child)
        let pki = LivePCSC.packageRoot.appendingPathComponent("Devices/cards/pki").path
        let (daemon, card) = try await daemonWithCard("ctl-refuse", dataSet: child, extra: ["--pki", pki])
        defer { card.stop() }
        let queue = {
            try ApplicationQueue(
                configuration: .init(
                    databasePath: daemon.directory.path + "/state/queue.sqlite",
                    keyFilePath: daemon.directory.path + "/state/queue.key"))
        }
        let citizen = try #require(CitizenID(set.idNumber))
        let onTerminal = try await Self.onTerminal(
            ["intake", "--socket", daemon.socketPath],
            answers: [
                ("CAN (6 số cuối số định danh)", set.can),
                ("Ghi nhận công dân vào danh sách chưa đăng ký được? (c/k)", "c"),
                ("Chọn lý do (1–11)", "9"),
                ("Chính quyền địa phương đã xác nhận? (c/k)", "c"),
                ("Ghi chú (Enter để bỏ qua)", ""),
            ], watch: [daemon.pid])
        #expect(onTerminal.status == 0, "\(onTerminal.output)\n\(daemon.log.suffix(2000))")
        #expect(onTerminal.output.contains("[intake.under_age]"), "\(onTerminal.output)")
        #expect(onTerminal.output.contains("  9. ốm đau, bệnh nặng"), "\(onTerminal.output)")
        #expect(
            onTerminal.output.contains("Đã ghi nhận vào danh sách chưa đăng ký được: ốm đau, bệnh nặng"),
            "\(onTerminal.output)")
        #expect(!onTerminal.output.contains("Đặt ngón"), "turned away before any finger")
        let recorded = try #require(try queue().eligibility(of: citizen))
        #expect(recorded.eligibility == .ineligible(.illness) && recorded.confirmedByLocalAuthority)

        let refused = try await Self.offThePool {
            try daemon.stationctl(["intake", "--can", set.can, "--refuse", "under14", "--lang", "en"], timeout: 90)
        }
        #expect(refused.status == 0, "\(refused.output)\n\(daemon.log.suffix(2000))")
        #expect(refused.output.contains("intake.under_age"), "\(refused.output)")
        #expect(refused.output.contains("Recorded on the eligibility list: under 14"), "\(refused.output)")
        // A reason not on the list: said in Vietnamese with the list, exit 64, before any session.
        let unknown = try await Self.offThePool {
            try daemon.stationctl(["intake", "--can", set.can, "--refuse", "sick"], timeout: 90)
        }
        #expect(unknown.status == 64, "\(unknown.output)")
        #expect(unknown.output.contains("--refuse sick không có trong danh sách lý do"), "\(unknown.output)")
        #expect(try total(daemon) == 0)
        #expect(daemon.stop() == 0)
        #expect(try queue().eligibility(of: citizen)?.eligibility == .notYetEligible(.under14))
    }
}
