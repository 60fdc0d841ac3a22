// biometrics-replay: captures one image from the first supported scanner through real libusb and writes it as PNG.
// Made to run under `umockdev-run` against a recorded device, so tests compare the result with the expected image.
//
// usage: biometrics-replay --profiles DIR --out FILE.png [--seed HEX]... [--steps finger,capture,removal]
//                          [--finger-timeout SECONDS] [--cancel-after SECONDS]
//        biometrics-replay --profiles DIR --list        (supported scanners via the hot-plug monitor's first scan)
//        biometrics-replay --profiles DIR --out FILE.png --iso FILE [--seed HEX]
//                          (whole station path: claim, capture flow, ISO 19794-4:2011 + JPEG 2000, hash chain)
// exit codes: 0 done, 2 usage, 3 no supported device, 4 typed biometric error (code printed on stderr).
import Biometrics
import Foundation

func fail(_ code: Int32, _ message: String) -> Never {
    FileHandle.standardError.write(Data((message + "\n").utf8))
    exit(code)
}

var arguments = Array(CommandLine.arguments.dropFirst())
var profilesPath: String?
var outPath: String?
var seeds: [UInt32] = []
var steps: Set<String> = ["finger", "capture", "removal"]
var fingerTimeout = 10.0
var cancelAfter: Double?
var listOnly = false
var isoPath: String?
while !arguments.isEmpty {
    let flag = arguments.removeFirst()
    if flag == "--list" {
        listOnly = true
        continue
    }
    guard let value = arguments.first else { fail(2, "missing value for \(flag)") }
    arguments.removeFirst()
    switch flag {
    case "--profiles": profilesPath = value
    case "--out": outPath = value
    case "--seed":
        guard let seed = UInt32(value.replacingOccurrences(of: "0x", with: ""), radix: 16) else { fail(2, "bad seed") }
        seeds.append(seed)
    case "--steps": steps = Set(value.split(separator: ",").map(String.init))
    case "--finger-timeout": fingerTimeout = Double(value) ?? fingerTimeout
    case "--cancel-after": cancelAfter = Double(value)
    case "--iso": isoPath = value
    default: fail(2, "unknown option \(flag)")
    }
}
if listOnly {
    do {
        let directory = profilesPath.map { URL(fileURLWithPath: $0) } ?? DeviceProfileCatalog.defaultDirectory()
        let monitor = ScannerMonitor(context: try USBContext(), catalog: try DeviceProfileCatalog(directory: directory))
        var count = 0
        for await change in try await monitor.changes() {
            if case .attached(let scanner) = change {
                print("\(scanner.id) \(scanner.profile.id)")
                count += 1
            }
            break  // the first scan is delivered at once; hot-plug events would follow
        }
        exit(count > 0 ? 0 : 3)
    } catch let error as BiometricError {
        fail(4, "\(error.code.rawValue): \(error.reason)")
    }
}
guard let outPath else { fail(2, "usage: biometrics-replay --profiles DIR --out FILE.png [--seed HEX]") }

if let isoPath {
    do {
        let directory = profilesPath.map { URL(fileURLWithPath: $0) } ?? DeviceProfileCatalog.defaultDirectory()
        let station = try FingerprintStation(
            configuration: BiometricsConfiguration(
                profilesDirectory: directory, seeds: seeds,
                policy: CapturePolicy(threshold: 0, maxAttempts: 1, fingerTimeout: .seconds(fingerTimeout))))
        let owner = ClaimOwner(session: "replay", pid: getpid())
        let (capture, outcome) = try await station.capture(for: owner, finger: .rightIndex)
        try Data(capture.isoRecord).write(to: URL(fileURLWithPath: isoPath))
        try Data(PNGCodec.encode(outcome.image)).write(to: URL(fileURLWithPath: outPath))
        print("\(capture.deviceID) quality \(capture.quality) hash \(capture.hash) previous \(capture.previousHash)")
        await station.endSession(owner.session)
        exit(0)
    } catch let error as BiometricError {
        fail(4, "\(error.code.rawValue): \(error.reason)")
    }
}

do {
    let directory = profilesPath.map { URL(fileURLWithPath: $0) } ?? DeviceProfileCatalog.defaultDirectory()
    let catalog = try DeviceProfileCatalog(directory: directory)
    let context = try USBContext()
    let scanners = ScannerDirectory(context: context, catalog: catalog, seeds: SeedSource(seeds))
    guard let found = try await scanners.scanners().first else { fail(3, "no supported scanner attached") }
    let driver = try scanners.driver(for: found)
    let events = Task {
        var names: [String] = []
        for await event in driver.events { names.append("\(event)") }
        return names
    }
    try await driver.open()
    let work = Task { () throws -> FingerprintImage? in
        var image: FingerprintImage?
        if steps.contains("finger") { try await driver.waitForFinger(timeout: .seconds(fingerTimeout)) }
        if steps.contains("capture") { image = try await driver.captureImage() }
        if steps.contains("removal") {
            do {
                try await driver.waitForRemoval(timeout: .seconds(5))
            } catch let error as BiometricError where error.code == .timeout && image != nil {
                // As in the capture flow: the image is complete; a finger left on does not undo it.
                FileHandle.standardError.write(Data("removal not seen (timeout); the image stands\n".utf8))
            }
        }
        return image
    }
    if let cancelAfter {
        Task {
            try await Task.sleep(for: .seconds(cancelAfter))
            work.cancel()
        }
    }
    let image: FingerprintImage?
    do {
        image = try await work.value
    } catch {
        await driver.close()
        throw error
    }
    await driver.close()
    let eventNames = await events.value
    FileHandle.standardError.write(Data("device \(found.id) profile \(found.profile.id) events \(eventNames)\n".utf8))
    guard let image else { fail(4, "biometric.no-image: capture step not requested") }
    try Data(PNGCodec.encode(image)).write(to: URL(fileURLWithPath: outPath))
    print("\(found.profile.id) \(image.width)x\(image.height) \(QualityAssessor().assess(image))")
} catch let error as BiometricError {
    fail(4, "\(error.code.rawValue): \(error.reason)")
} catch {
    fail(4, "biometric.other: \(error)")
}
