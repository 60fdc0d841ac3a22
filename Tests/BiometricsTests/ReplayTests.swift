import Foundation
import Testing

@testable import Biometrics

/// Real libusb against recorded devices under `umockdev-run`; the driver's image must equal libfprint's
/// `capture.png` pixel for pixel.
@Suite(.enabled(if: Fixtures.canReplay, "needs ../shared/fixtures/usb, umockdev-run and the biometrics-replay binary"))
struct ReplayTests {
    static let uruFolder = "uru4000-4500"
    static let nbFolder = "nb1010"
    /// The seed libfprint's emulation mode hands the driver first (g_rand seeded 0xFACADE).
    static let recordedSeed = "51EA2124"

    func replayURU(pcap: URL, out: URL, extra: [String] = []) throws -> ProcessResult {
        try runProcess(
            Fixtures.umockdevRun!,
            [
                "-d", Fixtures.url("\(Self.uruFolder)/device").path,
                "-p", "\(try Fixtures.sysfsPath(Self.uruFolder))=\(pcap.path)",
                "--", Fixtures.replayBinary!.path, "--profiles", Fixtures.profiles.path, "--out", out.path,
            ] + extra)
    }

    @Test func uareu4500ReplayMatchesCapturePNG() throws {
        let dir = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = dir.appendingPathComponent("uru.png")
        let result = try replayURU(
            pcap: Fixtures.url("\(Self.uruFolder)/capture.pcapng"), out: out,
            extra: ["--seed", Self.recordedSeed])
        #expect(result.status == 0, "replay failed: \(result.stderr)")
        #expect(result.stderr.contains("fingerOn") && result.stderr.contains("fingerOff"))
        let got = try PNGCodec.decode([UInt8](Data(contentsOf: out)))
        let expected = try Fixtures.expectedImage(Self.uruFolder)
        #expect(got.width == 384 && got.height == 290)
        #expect(got.width == expected.width && got.height == expected.height)
        let differing = zip(got.pixels, expected.pixels).filter { $0 != $1 }.count
        #expect(differing == 0, "\(differing) pixels differ")
        #expect(result.seconds < 30)
    }

    /// `stationd fingerprint capture` alone, under umockdev with the recording, writes capture.png: the recorded
    /// finger scores below the default threshold, the retry's wait times out (the recording holds one touch), and
    /// the best image is kept rather than lost.
    @Test func stationdCaptureCommandReproducesCapturePNG() throws {
        let stationd = Fixtures.replayBinary!.deletingLastPathComponent().appendingPathComponent("stationd")
        try #require(FileManager.default.isExecutableFile(atPath: stationd.path), "stationd is built with the tests")
        let dir = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = dir.appendingPathComponent("cli.png")
        let result = try runProcess(
            Fixtures.umockdevRun!,
            [
                "-d", Fixtures.url("\(Self.uruFolder)/device").path,
                "-p",
                "\(try Fixtures.sysfsPath(Self.uruFolder))=\(Fixtures.url("\(Self.uruFolder)/capture.pcapng").path)",
                "--", stationd.path, "fingerprint", "capture", "--profiles", Fixtures.profiles.path,
                "--seed", Self.recordedSeed, "--out", out.path, "--lang", "en",
            ])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("Quality:"))
        let got = try PNGCodec.decode([UInt8](Data(contentsOf: out)))
        #expect(got.pixels == (try Fixtures.expectedImage(Self.uruFolder)).pixels)
    }

    /// `stationd fingerprint capture` alone on the NB-1010 recording writes its capture.png. The recording ends
    /// with the image (libfprint's capture completes there): replayed, the device keeps reporting the finger, so
    /// the removal wait times out; the flow keeps the complete image, says the lift was not seen, and takes no
    /// second press before a lift.
    @Test func stationdCaptureCommandReproducesNB1010CapturePNG() throws {
        let stationd = Fixtures.replayBinary!.deletingLastPathComponent().appendingPathComponent("stationd")
        try #require(FileManager.default.isExecutableFile(atPath: stationd.path), "stationd is built with the tests")
        let dir = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = dir.appendingPathComponent("nb-cli.png")
        let result = try runProcess(
            Fixtures.umockdevRun!,
            [
                "-d", Fixtures.url("\(Self.nbFolder)/device").path,
                "-i", "/dev/bus/usb/001/003=\(Fixtures.url("\(Self.nbFolder)/capture.ioctl").path)",
                "--", stationd.path, "fingerprint", "capture", "--profiles", Fixtures.profiles.path,
                "--out", out.path, "--removal-timeout", "2", "--json",
            ])
        #expect(result.status == 0, "\(result.stderr)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        #expect(json["device"] as? String == "usb:298d:1010@1-7")
        #expect(json["fingerLifted"] as? Bool == false)
        #expect((json["attempts"] as? Int) == 1)
        let got = try PNGCodec.decode([UInt8](Data(contentsOf: out)))
        let expected = try Fixtures.expectedImage(Self.nbFolder)
        #expect(got.width == 256 && got.height == 180)
        #expect(got.pixels == expected.pixels, "\(zip(got.pixels, expected.pixels).filter { $0 != $1 }.count) differ")
        #expect(result.seconds < 20, "took \(result.seconds) s")
    }

    /// The whole station path on the recorded U.are.U: claim, capture flow, ISO/IEC 19794-4:2011 record with
    /// JPEG 2000 lossless, hash chain. The record's image must still be capture.png exactly.
    @Test func stationPathProducesISORecordOfTheRecordedImage() throws {
        let dir = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let iso = dir.appendingPathComponent("capture.fir")
        let result = try replayURU(
            pcap: Fixtures.url("\(Self.uruFolder)/capture.pcapng"),
            out: dir.appendingPathComponent("station.png"),
            extra: ["--seed", Self.recordedSeed, "--iso", iso.path])
        #expect(result.status == 0, "\(result.stderr)")
        let record = try FingerImageRecord(decoding: [UInt8](Data(contentsOf: iso)))
        #expect(record.edition == .iso2011 && record.compression == .jpeg2000Lossless)
        #expect(record.resolutionPPI == 500 && record.views[0].position == .rightIndex)
        #expect(try record.image().pixels == (try Fixtures.expectedImage(Self.uruFolder)).pixels)
        #expect(result.stdout.contains("previous \(CaptureChain.anchor)"))
        let hash = try #require(result.stdout.split(separator: " ").drop { $0 != "hash" }.dropFirst().first)
        let isoBytes = [UInt8](try Data(contentsOf: iso))
        #expect(String(hash) == CaptureChain.link(previous: CaptureChain.anchor, data: isoBytes))
    }

    /// Microsoft Fingerprint Reader v2 (AES challenge–response at power-up, frame obfuscation detected by variance,
    /// no flips). Runs when libfprint's tests/uru4000-msv2 recording is present in the shared fixtures.
    @Test(
        .enabled(
            if: FileManager.default.fileExists(atPath: Fixtures.url("uru4000-msv2/capture.pcapng").path),
            "fixtures/usb/uru4000-msv2 not present (copy libfprint 1.94.7 tests/uru4000-msv2 there)"))
    func microsoftV2ReplayMatchesCapturePNG() throws {
        let dir = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = dir.appendingPathComponent("msv2.png")
        let result = try runProcess(
            Fixtures.umockdevRun!,
            [
                "-d", Fixtures.url("uru4000-msv2/device").path,
                "-p", "\(try Fixtures.sysfsPath("uru4000-msv2"))=\(Fixtures.url("uru4000-msv2/capture.pcapng").path)",
                "--", Fixtures.replayBinary!.path, "--profiles", Fixtures.profiles.path, "--out", out.path,
                "--seed", Self.recordedSeed,
            ])
        #expect(result.status == 0, "replay failed: \(result.stderr)")
        let got = try PNGCodec.decode([UInt8](Data(contentsOf: out)))
        #expect(got.pixels == (try Fixtures.expectedImage("uru4000-msv2")).pixels)
    }

    @Test func nb1010ReplayMatchesCapturePNG() throws {
        let dir = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = dir.appendingPathComponent("nb.png")
        let result = try runProcess(
            Fixtures.umockdevRun!,
            [
                "-d", Fixtures.url("\(Self.nbFolder)/device").path,
                "-i", "/dev/bus/usb/001/003=\(Fixtures.url("\(Self.nbFolder)/capture.ioctl").path)",
                "--", Fixtures.replayBinary!.path, "--profiles", Fixtures.profiles.path, "--out", out.path,
                "--steps", "finger,capture",
            ])
        #expect(result.status == 0, "replay failed: \(result.stderr)")
        let got = try PNGCodec.decode([UInt8](Data(contentsOf: out)))
        let expected = try Fixtures.expectedImage(Self.nbFolder)
        #expect(got.width == 256 && got.height == 180)
        #expect(got.pixels == expected.pixels, "\(zip(got.pixels, expected.pixels).filter { $0 != $1 }.count) differ")
    }

    /// The device vanishes while the frame is on the wire: the kernel completes the pending bulk URB with
    /// -ESHUTDOWN, libusb reports NO_DEVICE, the driver must surface `biometric.device-lost` and exit promptly.
    @Test func deviceRemovedMidCaptureIsTypedAndDoesNotHang() throws {
        let dir = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let capture = USBMonCapture(try Fixtures.bytes("\(Self.uruFolder)/capture.pcapng"))
        let bulkDone = try #require(capture.packets.firstIndex { $0.eventType == "C" && $0.transferType == 3 })
        let pcap = dir.appendingPathComponent("unplugged.pcapng")
        try Data(capture.truncated(after: bulkDone, status: -108)).write(to: pcap)
        let result = try replayURU(
            pcap: pcap, out: dir.appendingPathComponent("none.png"),
            extra: ["--seed", Self.recordedSeed])
        #expect(result.status == 4)
        #expect(result.stderr.contains(BiometricError.Code.deviceLost.rawValue), "stderr: \(result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("none.png").path))
        #expect(result.seconds < 20, "took \(result.seconds) s")
    }

    /// The device stalls the very first register read (EPIPE in the URB): `biometric.stall`, and open fails cleanly.
    @Test func stalledControlTransferIsTyped() throws {
        let dir = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let capture = USBMonCapture(try Fixtures.bytes("\(Self.uruFolder)/capture.pcapng"))
        let firstRead = try #require(capture.packets.firstIndex { $0.setup.starts(with: [0xC0, 0x04, 0x07]) })
        let pcap = dir.appendingPathComponent("stall.pcapng")
        try Data(capture.truncated(after: firstRead + 1, status: -32)).write(to: pcap)
        let result = try replayURU(pcap: pcap, out: dir.appendingPathComponent("none.png"))
        #expect(result.status == 4)
        #expect(result.stderr.contains(BiometricError.Code.stall.rawValue), "stderr: \(result.stderr)")
        #expect(result.seconds < 20)
    }

    /// The recording stops before any finger arrives: the wait must end with `biometric.timeout`, not hang.
    @Test func recordingEndingBeforeFingerTimesOut() throws {
        let dir = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let capture = USBMonCapture(try Fixtures.bytes("\(Self.uruFolder)/capture.pcapng"))
        // Keep everything up to the device-info read, drop the interrupts that report the finger.
        let infoRead = try #require(capture.packets.firstIndex { $0.setup.starts(with: [0xC0, 0x04, 0xF0]) })
        let pcap = dir.appendingPathComponent("nofinger.pcapng")
        try Data(capture.truncated(after: infoRead + 1)).write(to: pcap)
        let result = try replayURU(
            pcap: pcap, out: dir.appendingPathComponent("none.png"),
            extra: ["--finger-timeout", "1"])
        #expect(result.status == 4)
        #expect(result.stderr.contains(BiometricError.Code.timeout.rawValue), "stderr: \(result.stderr)")
        #expect(result.seconds < 20, "took \(result.seconds) s")
    }

    /// Cancelling the task that waits for a finger ends the wait through the USB thread: typed, and fast.
    @Test func cancellationWhileWaitingForFinger() throws {
        let dir = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let capture = USBMonCapture(try Fixtures.bytes("\(Self.uruFolder)/capture.pcapng"))
        let infoRead = try #require(capture.packets.firstIndex { $0.setup.starts(with: [0xC0, 0x04, 0xF0]) })
        let pcap = dir.appendingPathComponent("nofinger.pcapng")
        try Data(capture.truncated(after: infoRead + 1)).write(to: pcap)
        let result = try replayURU(
            pcap: pcap, out: dir.appendingPathComponent("none.png"),
            extra: ["--finger-timeout", "30", "--cancel-after", "0.5"])
        #expect(result.status == 4)
        #expect(result.stderr.contains(BiometricError.Code.cancelled.rawValue), "stderr: \(result.stderr)")
        #expect(result.seconds < 15, "took \(result.seconds) s")
    }

    /// Enumeration through real libusb matches the recorded device against the profiles (the monitor's first scan).
    @Test func monitorListsTheRecordedScanner() throws {
        let result = try runProcess(
            Fixtures.umockdevRun!,
            [
                "-d", Fixtures.url("\(Self.nbFolder)/device").path,
                "--", Fixtures.replayBinary!.path, "--profiles", Fixtures.profiles.path, "--list",
            ])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "usb:298d:1010@1-7 nb1010")
    }

    /// Without write permission on the usbfs node (and without CAP_DAC_OVERRIDE), opening must fail with
    /// `biometric.access-denied` and a message that names the udev rule to install.
    @Test(
        .enabled(
            if: getuid() == 0 && FileManager.default.isExecutableFile(atPath: "/usr/bin/setpriv"),
            "needs root (to drop CAP_DAC_OVERRIDE) and setpriv"))
    func accessDeniedNamesTheUdevRule() throws {
        let dir = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let script = """
            chmod 000 "$UMOCKDEV_DIR/dev/bus/usb/001/003" && \
            exec setpriv --bounding-set=-dac_override,-dac_read_search --inh-caps=-dac_override,-dac_read_search \
            "\(Fixtures.replayBinary!.path)" --profiles "\(Fixtures.profiles.path)" --out "\(dir.path)/x.png" \
            --steps finger,capture
            """
        let result = try runProcess(
            Fixtures.umockdevRun!,
            [
                "-d", Fixtures.url("\(Self.nbFolder)/device").path,
                "-i", "/dev/bus/usb/001/003=\(Fixtures.url("\(Self.nbFolder)/capture.ioctl").path)",
                "--", "/bin/sh", "-c", script,
            ])
        #expect(result.status == 4)
        #expect(result.stderr.contains(BiometricError.Code.accessDenied.rawValue), "stderr: \(result.stderr)")
        #expect(result.stderr.contains("70-stationd-fingerprint.rules"))
        let rule = BiometricError.accessDenied(device: "/dev/bus/usb/001/003")
        #expect(rule.operatorMessage.hasPrefix("Không có quyền"))
        #expect(FileManager.default.fileExists(atPath: Fixtures.udevRules.path))
    }
}
