import Foundation
import StationTestKit

/// `station-demo` (`make demo`): the station's main job with simulated devices, driven through the real `stationd`
/// commands: a private pcscd with the vpcd virtual reader, a simulated card inserted and read, a fingerprint
/// captured from the simulated module; then the daemon itself (`stationd run`) with a local central receiver: an
/// intake through `stationctl`, an upload, the status sync, and the operator's view of status and queue. Everything it starts is stopped by PID; its files stay in `.demo/`.

let root = LivePCSC.packageRoot
let demoDirectory = root.appendingPathComponent(".demo")
let english = CommandLine.arguments.contains("--lang=en") || CommandLine.arguments.contains("en")
let lang = english ? "en" : "vi"
/// `--up` (`make demo-up`): leave everything running after the demo until Ctrl-C.
let keepRunning = CommandLine.arguments.contains("--up")

func say(_ vi: String, _ en: String) {
    print("\n\u{1B}[1m▶ \(english ? en : vi)\u{1B}[0m")
    fflush(nil)
}

/// Runs `stationd` and prints what it shows. `input` (a CAN, say) goes to its standard input, never its arguments:
/// those are readable by every local user through /proc.
func show(
    _ label: String, _ arguments: [String], input: (label: String, value: String)? = nil,
    environment: [String: String]
) throws -> String {
    let stationd = try Binaries.path("stationd")
    print("$ " + (input.map { "echo $\($0.label) | " } ?? "") + "stationd \(arguments.joined(separator: " "))")
    let result = try runTool(
        stationd, arguments + ["--lang", lang], input: input.map { $0.value + "\n" },
        environment: environment, timeout: 60)
    let text = result.output.split(separator: "\n").filter { !$0.contains(" warning station.") }
        .joined(separator: "\n")
    print(text)
    guard result.status == 0 else { throw HarnessError("\(label) failed with exit status \(result.status)") }
    return result.output
}

do {
    try? FileManager.default.removeItem(at: demoDirectory.appendingPathComponent("pcsc"))
    try FileManager.default.createDirectory(at: demoDirectory, withIntermediateDirectories: true)
    say(
        "Khởi động dịch vụ đầu đọc thẻ (pcscd) với đầu đọc ảo vpcd",
        "Starting the card reader service (pcscd) with the vpcd virtual reader")
    let harness = try PCSCHarness(directory: demoDirectory.appendingPathComponent("pcsc"))
    defer { harness.shutdown() }
    let environment = harness.clientEnvironment
    _ = try show("readers", ["readers"], environment: environment)

    say(
        "Theo dõi sự kiện, rồi đặt thẻ mô phỏng lên đầu đọc",
        "Watching events, then placing the simulated card on the reader")
    let events = try ManagedProcess(
        "events", executable: try Binaries.path("stationd"),
        arguments: ["events", "--lang", lang, "--seconds", "6"],
        logFile: demoDirectory.appendingPathComponent("events.log"), environment: environment)
    Thread.sleep(forTimeInterval: 0.8)
    let dataset = root.appendingPathComponent("Devices/cards").path
    let datasetFiles =
        (try? FileManager.default.contentsOfDirectory(atPath: dataset))?
        .filter { $0.hasSuffix(".json") }.sorted() ?? []
    // The plain, consistent data set (the others carry deliberate faults for the tests).
    let datasetFile = datasetFiles.first { $0 == "nguyen-van-an.json" } ?? datasetFiles.first
    let card = try harness.startCard(
        slot: 0, arguments: datasetFile.map { ["--dataset", "\(dataset)/\($0)"] } ?? [], label: "demo-card")
    defer { card.stop() }
    Thread.sleep(forTimeInterval: 1.2)
    _ = try show("readers", ["readers"], environment: environment)

    say("Trao đổi APDU với thẻ qua PC/SC", "Exchanging APDUs with the card through PC/SC")
    if datasetFile == nil {
        _ = try show(
            "card apdu", ["card", "apdu", "00 A4 04 0C 08 F0 53 54 41 54 49 4F 4E", "00 B0 81 00 00"],
            environment: environment)
    } else {
        _ = try show("card apdu", ["card", "apdu", "00 A4 04 0C 07 A0 00 00 02 47 10 01"], environment: environment)
        say(
            "Đọc chip CCCD (PACE bằng số CAN, Chip Authentication, Passive Authentication)",
            "Reading the CCCD chip (PACE with the CAN, Chip Authentication, Passive Authentication)")
        let json = try Data(contentsOf: URL(fileURLWithPath: "\(dataset)/\(datasetFile!)"))
        let object = try JSONSerialization.jsonObject(with: json) as? [String: Any]
        if let id = object?["idNumber"] as? String ?? object?["id"] as? String {
            // The test CSCA (TEST ONLY keys) is the trust anchor, so the verdict line shows a genuine card.
            let trust = root.appendingPathComponent("Devices/cards/pki/trust").path
            _ = try show(
                "card read", ["card", "read", "--can-file", "-", "--trust", trust],
                input: ("CAN", String(id.suffix(6))), environment: environment)
        }
    }

    say("Lấy thẻ ra", "Removing the card")
    card.stop()
    events.wait(timeout: 10)
    print(events.output.split(separator: "\n").filter { !$0.contains(" warning station.") }.joined(separator: "\n"))

    say("Lấy vân tay từ thiết bị vân tay mô phỏng", "Capturing a fingerprint from the simulated fingerprint module")
    var fingerEnvironment = ProcessInfo.processInfo.environment
    fingerEnvironment["STATION_FINGERPRINT_USB"] = "0"
    _ = try show(
        "fingerprint",
        [
            "fingerprint", "capture", "--simulate", "good", "--finger", "right-index",
            "--out", demoDirectory.appendingPathComponent("finger.png").path,
        ],
        environment: fingerEnvironment)

    try StationRunDemo.run(harness: harness)

    try? FileManager.default.removeItem(at: demoDirectory.appendingPathComponent("env"))
    say(
        "Xong. Nhật ký và tệp ở .demo/ — mọi tiến trình đã dừng.",
        "Done. Logs and files are in .demo/ — every process has been stopped.")
} catch {
    FileHandle.standardError.write(Data("station-demo: \(error)\n".utf8))
    exit(1)
}
