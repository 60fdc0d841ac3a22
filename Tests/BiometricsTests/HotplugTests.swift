import Foundation
import Testing

@testable import Biometrics

/// Live hot-plug through real libusb: `biometrics-hotplug-probe` runs under `umockdev-wrapper`, starts our USB
/// context and scanner monitor on an empty bus, then plugs the NB-1010 in mid-run (libumockdev: sysfs entry +
/// "add" uevent, which Debian's udev-built libusb receives through its libudev monitor), captures from it, and
/// unplugs it ("remove" uevent + sysfs entry deleted).
@Suite(
    .enabled(
        if: Fixtures.canReplay && Fixtures.hotplugProbe != nil && Fixtures.umockdevWrapper != nil,
        "needs ../shared/fixtures/usb, umockdev-wrapper and the biometrics-hotplug-probe binary"))
struct HotplugTests {
    @Test func arrivalCaptureAndDepartureAreReportedLive() throws {
        let dir = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = dir.appendingPathComponent("after-arrival.png")
        let result = try runProcess(
            Fixtures.umockdevWrapper!,
            [
                Fixtures.hotplugProbe!.path, "--profiles", Fixtures.profiles.path,
                "--device", Fixtures.url("nb1010/device").path,
                "--ioctl", Fixtures.url("nb1010/capture.ioctl").path, "--out", out.path,
            ], limit: 30)
        #expect(result.status == 0, "probe failed (\(result.status)): \(result.stderr)\n\(result.stdout)")
        let lines = result.stdout.split(separator: "\n").map(String.init)
        #expect(lines.contains("hotplug-capability 1"))
        #expect(lines.contains("initial 0"), "the scanner must not be there before it is plugged in")
        let attached = try #require(lines.first { $0.hasPrefix("attached ") })
        #expect(attached.hasPrefix("attached usb:298d:1010@1-7 nb1010 "))
        #expect(lines.contains("captured 256x180"))
        let detached = try #require(lines.first { $0.hasPrefix("detached ") })
        #expect(detached.hasPrefix("detached usb:298d:1010@1-7 "))
        // The callbacks arrive within the monitor's half-second pump, not by luck of a late re-scan.
        for line in [attached, detached] {
            let milliseconds = try #require(Double(line.split(separator: " ").last ?? ""))
            #expect(milliseconds < 2000, "\(line)")
        }
        let got = try PNGCodec.decode([UInt8](Data(contentsOf: out)))
        #expect(got.pixels == (try Fixtures.expectedImage("nb1010")).pixels)
        #expect(result.seconds < 30)
    }

    /// Negative control: the scanner's sysfs entry deleted *without* the "remove" uevent is neither reported
    /// nor dropped from the list (libusb's Linux backend keeps its device list from udev events): the departure
    /// seen above comes from the hot-plug event, not from a lucky enumeration. (The arrival's uevent is sent by
    /// umockdev_testbed_add_from_string itself; umockdev has no public way to add a device silently.)
    @Test func departureWithoutUeventIsNotReported() throws {
        let result = try runProcess(
            Fixtures.umockdevWrapper!,
            [
                Fixtures.hotplugProbe!.path, "--profiles", Fixtures.profiles.path,
                "--device", Fixtures.url("nb1010/device").path, "--uevents", "no", "--wait", "1.5",
            ], limit: 30)
        #expect(result.status == 6, "\(result.stderr)\n\(result.stdout)")
        #expect(result.stderr.contains("scanners listed now: 1"))
        #expect(result.stdout.contains("attached usb:298d:1010@1-7") && !result.stdout.contains("detached"))
    }
}
