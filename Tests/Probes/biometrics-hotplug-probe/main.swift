// biometrics-hotplug-probe: live hot-plug through real libusb, with the device plugged in and out *mid-run*.
//
// umockdev-run fixes the device set before the program starts, so it cannot test hot-plug. This helper builds its
// own umockdev testbed through libumockdev and must run under `umockdev-wrapper` (LD_PRELOAD of
// libumockdev-preload, which redirects /sys, /dev and the udev netlink socket into the testbed):
//   1. creates the testbed and adds the recording's parent devices (the bus), not the scanner;
//   2. starts our USBContext and ScannerMonitor (libusb hot-plug callbacks: Debian's libusb uses a libudev monitor,
//      whose netlink socket the preload turns into a socket that umockdev_testbed_uevent writes to);
//   3. adds the scanner's sysfs entry (umockdev_testbed_add_from_string announces it with an "add" uevent itself)
//      → expects `attached`;
//   4. optionally loads the ioctl recording for the device node and captures through the driver (finger, image);
//   5. sends "remove" and deletes the sysfs entry → expects `detached`.
//
// usage: umockdev-wrapper biometrics-hotplug-probe --profiles DIR --device FILE [--ioctl FILE --out FILE.png]
//                                                 [--wait SECONDS] [--uevents no]
//        `--uevents no` deletes the sysfs entry without the "remove" uevent (negative control: no departure may be
//        reported and the scanner stays listed, since libusb's Linux backend learns of devices only through udev
//        events, even for its device list). Run with G_MESSAGES_DEBUG=all to see umockdev's uevents on stderr.
// prints: `hotplug-capability 1`, `initial N`, `attached ID PROFILE MS`, `captured WxH`, `detached ID MS`
// exit codes: 0 all seen, 2 usage, 5 no arrival, 6 no departure, 7 capture failed, 8 testbed error.
import Biometrics
import CUmockdev
import Foundation

func fail(_ code: Int32, _ message: String) -> Never {
    FileHandle.standardError.write(Data((message + "\n").utf8))
    exit(code)
}

var arguments = Array(CommandLine.arguments.dropFirst())
var options: [String: String] = [:]
while arguments.count >= 2, arguments[0].hasPrefix("--") {
    options[String(arguments[0].dropFirst(2))] = arguments[1]
    arguments.removeFirst(2)
}
guard arguments.isEmpty, let profiles = options["profiles"], let devicePath = options["device"] else {
    fail(2, "usage: biometrics-hotplug-probe --profiles DIR --device FILE [--ioctl FILE --out FILE.png]")
}
guard ProcessInfo.processInfo.environment["LD_PRELOAD"]?.contains("umockdev-preload") == true else {
    fail(2, "run me under umockdev-wrapper (libumockdev-preload must be preloaded)")
}

/// The umockdev testbed (a GObject) used from this task only.
final class Testbed: @unchecked Sendable {
    let raw: UnsafeMutablePointer<UMockdevTestbed>

    init() { raw = umockdev_testbed_new() }

    func add(_ text: String) throws {
        var error: UnsafeMutablePointer<GError>?
        guard umockdev_testbed_add_from_string(raw, text, &error) != 0 else {
            let message = error.map { String(cString: $0.pointee.message) } ?? "unknown"
            g_clear_error(&error)
            throw BiometricError(.configuration, "umockdev_testbed_add_from_string: \(message)")
        }
    }

    func loadIoctl(node: String, file: String) throws {
        var error: UnsafeMutablePointer<GError>?
        guard umockdev_testbed_load_ioctl(raw, node, file, &error) != 0 else {
            let message = error.map { String(cString: $0.pointee.message) } ?? "unknown"
            g_clear_error(&error)
            throw BiometricError(.configuration, "umockdev_testbed_load_ioctl: \(message)")
        }
    }

    func uevent(_ sysfsPath: String, _ action: String) { umockdev_testbed_uevent(raw, sysfsPath, action) }
    func remove(_ sysfsPath: String) { umockdev_testbed_remove_device(raw, sysfsPath) }
}

/// Changes seen by the monitor, collected by a background task and polled with deadlines.
final class ChangeLog: @unchecked Sendable {
    private let lock = NSLock()
    private var changes: [ScannerChange] = []
    func append(_ change: ScannerChange) { lock.withLock { changes.append(change) } }
    var all: [ScannerChange] { lock.withLock { changes } }

    /// Waits up to `seconds` for a change matching `predicate` at index ≥ `from`.
    func wait(from: Int, seconds: Double, _ predicate: (ScannerChange) -> Bool) async -> (Int, ScannerChange)? {
        let deadline = Date(timeIntervalSinceNow: seconds)
        while Date() < deadline {
            let seen = all
            if let index = seen.indices.first(where: { $0 >= from && predicate(seen[$0]) }) {
                return (index, seen[index])
            }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return nil
    }
}

// The recording's paragraphs: the first is the scanner, the rest are its parents (hub, controller).
let text: String
do { text = try String(contentsOfFile: devicePath, encoding: .utf8) } catch { fail(2, "cannot read \(devicePath)") }
let paragraphs = text.components(separatedBy: "\n\n").filter { $0.hasPrefix("P: ") }
guard let scannerParagraph = paragraphs.first,
    let sysfsLine = scannerParagraph.split(separator: "\n").first
else { fail(2, "no device paragraph") }
let sysfsPath = "/sys" + sysfsLine.dropFirst(3)
let deviceNode = scannerParagraph.split(separator: "\n").first { $0.hasPrefix("E: DEVNAME=") }
    .map { String($0.dropFirst("E: DEVNAME=".count)) }

let waitSeconds = options["wait"].flatMap(Double.init) ?? 5
let sendUevents = options["uevents"] != "no"
let testbed = Testbed()
do {
    for parent in paragraphs.dropFirst().reversed() { try testbed.add(parent + "\n") }
} catch { fail(8, "\(error)") }

do {
    let catalog = try DeviceProfileCatalog(directory: URL(fileURLWithPath: profiles))
    let context = try USBContext()
    print("hotplug-capability \(context.hasHotplugCapability ? 1 : 0)")
    let log = ChangeLog()
    let stream = try await ScannerMonitor(context: context, catalog: catalog).changes()
    let watcher = Task { for await change in stream { log.append(change) } }
    try await Task.sleep(for: .milliseconds(300))  // the initial scan's changes, if any, are in by now
    print("initial \(log.all.count)")
    let start = log.all.count

    // Plug in.
    let plugged = Date()
    try testbed.add(scannerParagraph + "\n")
    guard
        let (arrivalIndex, arrival) = await log.wait(
            from: start, seconds: waitSeconds,
            {
                if case .attached = $0 { return true } else { return false }
            }), case .attached(let scanner) = arrival
    else {
        fail(5, "no arrival reported within \(waitSeconds) s")
    }
    print(
        String(
            format: "attached %@ %@ %.0f", scanner.id, scanner.profile.id,
            Date().timeIntervalSince(plugged) * 1000))

    // Capture from the device that just arrived.
    if let ioctl = options["ioctl"], let out = options["out"] {
        guard let deviceNode else { fail(2, "no DEVNAME in the device paragraph") }
        do {
            try testbed.loadIoctl(node: deviceNode, file: ioctl)
            let driver = try ScannerDirectory(context: context, catalog: catalog).driver(for: scanner)
            try await driver.open()
            do {
                try await driver.waitForFinger(timeout: .seconds(5))
                let image = try await driver.captureImage()
                await driver.close()
                try Data(PNGCodec.encode(image)).write(to: URL(fileURLWithPath: out))
                print("captured \(image.width)x\(image.height)")
            } catch {
                await driver.close()
                throw error
            }
        } catch let error as BiometricError {
            fail(7, "capture after arrival failed: \(error.code.rawValue): \(error.reason)")
        }
    }

    // Unplug.
    let unplugged = Date()
    if sendUevents { testbed.uevent(sysfsPath, "remove") }
    testbed.remove(sysfsPath)
    guard
        let (_, departure) = await log.wait(
            from: arrivalIndex + 1, seconds: waitSeconds,
            {
                if case .detached = $0 { return true } else { return false }
            }), case .detached(let gone) = departure
    else {
        let listed = try await ScannerDirectory(context: context, catalog: catalog).scanners().count
        fail(6, "no departure reported within \(waitSeconds) s (scanners listed now: \(listed))")
    }
    print(String(format: "detached %@ %.0f", gone.id, Date().timeIntervalSince(unplugged) * 1000))
    watcher.cancel()
    exit(0)
} catch let error as BiometricError {
    fail(8, "\(error.code.rawValue): \(error.reason)")
}
