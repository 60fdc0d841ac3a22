import Biometrics
import Foundation
import StationBenchmarks
import StationTestKit
import USBRecordings

/// `station-bench biometrics`: our processing per image beside the device's own capture time, read from the
/// timestamps of the real recordings in `../shared/fixtures/usb` (time from the capture command to the last image
/// byte, as the recorded device took it). Goal: the processing adds < 10 % to a capture. Printed: what the capture
/// flow adds before the image and its accept/retry decision are available (the JPEG 2000 + ISO record encoded
/// concurrently, measured end to end through `CaptureFlow.runPipelined`), beside the total processing per image.
enum BiometricsBench {
    static func run(iterations: Int) async throws {
        print("== Fingerprint processing per 384×290 image, beside the device's own capture time")
        let captures = try deviceCaptures()
        let processing = try await BiometricsBenchmark.perImageProcessing(iterations: iterations)
        print(processing)
        // The flow end to end, each frame taking the U.are.U recording's capture time (128 ms when none is found).
        let deviceMS = (captures.first { $0.driver == "uru4000" } ?? captures.first)?.milliseconds ?? 128
        let pipeline = try await BiometricsBenchmark.pipelinedCapture(
            captures: max(10, iterations), deviceCapture: .microseconds(Int64(deviceMS * 1000)))
        print(pipeline)
        if captures.isEmpty { print("device capture time: skipped (no recording found; pipeline run with 128 ms)") }
        for capture in captures {
            let added = pipeline.decisionMedianMS / capture.milliseconds * 100
            print(
                String(
                    format: "%@: device capture %.1f ms (command → last image byte, %d B)\n"
                        + "  added to the capture (last byte → image + accept/retry decision, JPEG 2000 + ISO "
                        + "record encoded concurrently): %.1f ms = %.1f%% (goal < 10%%: %@; floor %.1f ms = %.1f%%)\n"
                        + "  total processing per image, serial: %.1f ms wall = %.1f%%, CPU %.1f ms = %.1f%%; "
                        + "record ready %.1f ms after the last byte",
                    capture.label, capture.milliseconds, capture.imageBytes, pipeline.decisionMedianMS, added,
                    added < 10 ? "met" : "NOT met", pipeline.floorMedianMS,
                    pipeline.floorMedianMS / capture.milliseconds * 100, processing.totalMS,
                    processing.totalMS / capture.milliseconds * 100, processing.cpuMS,
                    processing.cpuMS / capture.milliseconds * 100, pipeline.recordReadyMedianMS))
        }
    }

    /// One capture time read from a recording.
    struct DeviceCapture {
        var label: String
        var driver: String
        var milliseconds: Double
        var imageBytes: Int
    }

    /// The device capture times of the recordings in `../shared/fixtures/usb` (empty when the folder is missing).
    static func deviceCaptures() throws -> [DeviceCapture] {
        let usb = LivePCSC.packageRoot.deletingLastPathComponent().appendingPathComponent("shared/fixtures/usb")
        guard let folders = try? FileManager.default.contentsOfDirectory(atPath: usb.path) else {
            print("device capture time: skipped, \(usb.path) not found (the shared fixtures sit beside the checkout)")
            return []
        }
        let catalog = try DeviceProfileCatalog(
            directory: LivePCSC.packageRoot.appendingPathComponent("Devices/biometric"))
        var out: [DeviceCapture] = []
        for folder in folders.sorted() {
            let directory = usb.appendingPathComponent(folder)
            guard let device = try? String(contentsOf: directory.appendingPathComponent("device"), encoding: .utf8),
                let profile = profile(device: device, catalog: catalog)
            else { continue }
            let recording = ["capture.pcapng", "capture.ioctl"].map { directory.appendingPathComponent($0) }
                .first { FileManager.default.fileExists(atPath: $0.path) }
            guard let recording, let markers = CaptureMarkers.forDriver(profile.driver) else { continue }
            let label = "\(profile.name) (\(folder)/\(recording.lastPathComponent))"
            do {
                let times = try USBRecordingFormat.captureTimes(
                    in: [UInt8](try Data(contentsOf: recording)),
                    markers: markers)
                out += times.map {
                    DeviceCapture(
                        label: label, driver: profile.driver, milliseconds: $0.milliseconds,
                        imageBytes: $0.imageBytes)
                }
            } catch let error as BiometricError {
                print("\(label): device capture time not available: \(error.reason)")
            }
        }
        return out
    }

    /// The profile of the device paragraph's `E: PRODUCT=vvvv/pppp/rrrr`.
    static func profile(device: String, catalog: DeviceProfileCatalog) -> DeviceProfile? {
        guard let line = device.split(separator: "\n").first(where: { $0.hasPrefix("E: PRODUCT=") }) else {
            return nil
        }
        let parts = line.dropFirst("E: PRODUCT=".count).split(separator: "/")
        guard parts.count >= 2, let vendor = UInt16(parts[0], radix: 16), let product = UInt16(parts[1], radix: 16)
        else { return nil }
        return catalog.profile(vendor: vendor, product: product)
    }
}
