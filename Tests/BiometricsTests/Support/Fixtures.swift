import Foundation

@testable import Biometrics

/// Paths and helpers shared by the tests: fixtures live in `../shared/fixtures/usb` next to the package root and
/// are never copied into the repository.
enum Fixtures {
    static let packageRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let usb = packageRoot.deletingLastPathComponent().appendingPathComponent("shared/fixtures/usb")
    static let profiles = packageRoot.appendingPathComponent("Devices/biometric")
    static let udevRules = packageRoot.appendingPathComponent("Devices/udev/70-stationd-fingerprint.rules")

    static var available: Bool {
        let ok = FileManager.default.fileExists(atPath: usb.appendingPathComponent("uru4000-4500/capture.pcapng").path)
        if !ok { print("BiometricsTests: fixtures missing at \(usb.path); replay tests skipped") }
        return ok
    }

    static func url(_ relative: String) -> URL { usb.appendingPathComponent(relative) }

    static func bytes(_ relative: String) throws -> [UInt8] { [UInt8](try Data(contentsOf: url(relative))) }

    static func expectedImage(_ folder: String) throws -> FingerprintImage {
        try PNGCodec.decode(bytes("\(folder)/capture.png"))
    }

    /// The `P:` path of the first paragraph of an umockdev device dump.
    static func sysfsPath(_ folder: String) throws -> String {
        let text = try String(contentsOf: url("\(folder)/device"), encoding: .utf8)
        guard let line = text.split(separator: "\n").first(where: { $0.hasPrefix("P: ") }) else { return "" }
        return "/sys" + line.dropFirst(3)
    }

    /// The replay executable built next to the test bundle.
    static var replayBinary: URL? {
        let exe = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        var directory = exe.deletingLastPathComponent()
        for _ in 0..<3 {
            let candidate = directory.appendingPathComponent("biometrics-replay")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
            directory = directory.deletingLastPathComponent()
        }
        return nil
    }

    /// The hot-plug probe built next to the replay executable.
    static var hotplugProbe: URL? {
        replayBinary.map { $0.deletingLastPathComponent().appendingPathComponent("biometrics-hotplug-probe") }
            .flatMap { FileManager.default.isExecutableFile(atPath: $0.path) ? $0 : nil }
    }

    /// `umockdev-wrapper` (runs a program with libumockdev-preload).
    static var umockdevWrapper: String? {
        ["/usr/bin/umockdev-wrapper", "/usr/local/bin/umockdev-wrapper"]
            .first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    static var umockdevRun: String? {
        for path in ["/usr/bin/umockdev-run", "/usr/local/bin/umockdev-run"]
        where FileManager.default.isExecutableFile(atPath: path) { return path }
        print("BiometricsTests: umockdev-run not installed (apt-get install umockdev); replay tests skipped")
        return nil
    }

    static var canReplay: Bool { available && umockdevRun != nil && replayBinary != nil }

    static func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("bio-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }
}

/// Result of a subprocess.
struct ProcessResult {
    var status: Int32
    var stdout: String
    var stderr: String
    var seconds: Double
}

/// Runs a process with a hard time limit (killed after `limit` seconds) so no test can hang.
func runProcess(_ executable: String, _ arguments: [String], limit: Double = 60) throws -> ProcessResult {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    let out = Pipe()
    let err = Pipe()
    process.standardOutput = out
    process.standardError = err
    let start = Date()
    try process.run()
    let killer = DispatchWorkItem { if process.isRunning { process.terminate() } }
    DispatchQueue.global().asyncAfter(deadline: .now() + limit, execute: killer)
    let outData = out.fileHandleForReading.readDataToEndOfFile()
    let errData = err.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    killer.cancel()
    return ProcessResult(
        status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
        stderr: String(decoding: errData, as: UTF8.self), seconds: Date().timeIntervalSince(start))
}

/// Minimal pcapng reader for usbmon (DLT 220) captures: enough to pick packets and to write edited copies.
struct USBMonCapture {
    struct Packet {
        var blockOffset: Int
        var blockLength: Int
        var dataOffset: Int
        var eventType: Character
        var transferType: UInt8
        var endpoint: UInt8
        var status: Int32
        var payload: [UInt8]
        var setup: [UInt8]
    }
    var bytes: [UInt8]
    var packets: [Packet] = []

    init(_ bytes: [UInt8]) {
        self.bytes = bytes
        var offset = 0
        func le32(_ at: Int) -> UInt32 {
            UInt32(bytes[at]) | UInt32(bytes[at + 1]) << 8 | UInt32(bytes[at + 2]) << 16 | UInt32(bytes[at + 3]) << 24
        }
        while offset + 12 <= bytes.count {
            let type = le32(offset)
            let length = Int(le32(offset + 4))
            if type == 6 {
                let captured = Int(le32(offset + 20))
                let data = offset + 28
                let header = Array(bytes[data..<(data + 64)])
                let status = Int32(
                    bitPattern: UInt32(header[28]) | UInt32(header[29]) << 8
                        | UInt32(header[30]) << 16 | UInt32(header[31]) << 24)
                packets.append(
                    Packet(
                        blockOffset: offset, blockLength: length, dataOffset: data,
                        eventType: Character(UnicodeScalar(header[8])), transferType: header[9],
                        endpoint: header[10], status: status,
                        payload: Array(bytes[(data + 64)..<(data + captured)]),
                        setup: Array(header[40..<48])))
            }
            offset += length
        }
    }

    /// A copy that ends after packet `last`, with that packet's status replaced.
    func truncated(after last: Int, status: Int32? = nil) -> [UInt8] {
        let packet = packets[last]
        var out = Array(bytes[0..<(packet.blockOffset + packet.blockLength)])
        if let status {
            let value = UInt32(bitPattern: status)
            for i in 0..<4 { out[packet.dataOffset + 28 + i] = UInt8(value >> (8 * UInt32(i)) & 0xFF) }
        }
        return out
    }
}
