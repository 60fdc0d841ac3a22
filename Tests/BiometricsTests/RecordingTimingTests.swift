import Foundation
import Testing
import USBRecordings

@testable import Biometrics

/// The device's own capture time, read from the recordings' timestamps. The numbers below were read by hand from
/// `uru4000-4500/capture.pcapng` (e.g. `tshark -r capture.pcapng -T fields -e frame.time_epoch -e usb.urb_type`):
/// packet 29 is the register write MODE := 0x20 at 1631177490.212480, packet 31 the 111,040-byte bulk completion
/// at 1631177490.340813, so the device took 128.333 ms from the capture command to the last image byte.
@Suite(.enabled(if: Fixtures.available, "needs ../shared/fixtures/usb"))
struct RecordingTimingTests {
    @Test func pcapngEventsAndTimestampsMatchTheRecording() throws {
        let recording = try USBMonRecording(pcapng: try Fixtures.bytes("uru4000-4500/capture.pcapng"))
        #expect(recording.events.count == 42)
        let first = try #require(recording.events.first)
        #expect(first.timestampNanoseconds == 1_631_177_486_325_475_000)
        #expect(first.kind == .submit && first.transferType == 2 && first.endpoint == 0x80)
        #expect(first.setup == [0x80, 0x06, 0x00, 0x01, 0x00, 0x00, 0x12, 0x00])  // GET_DESCRIPTOR device
        let last = try #require(recording.events.last)
        #expect(last.timestampNanoseconds == 1_631_177_490_917_337_000)
        #expect(last.kind == .complete && last.status == -2)  // the interrupt URB cancelled at the end (-ENOENT)
        let bulk = recording.events.filter { $0.transferType == 3 && $0.kind == .complete }
        #expect(bulk.count == 1 && bulk[0].data.count == 111_040 && bulk[0].endpoint == 0x82)
        #expect(
            zip(recording.events, recording.events.dropFirst())
                .allSatisfy { $0.timestampNanoseconds <= $1.timestampNanoseconds })
    }

    @Test func uareuCaptureTimeFromCommandToLastImageByte() throws {
        let times = try USBRecordingFormat.captureTimes(
            in: try Fixtures.bytes("uru4000-4500/capture.pcapng"),
            markers: .uru4000)
        #expect(times.count == 1)
        #expect(times[0].commandNanoseconds == 1_631_177_490_212_480_000)
        #expect(times[0].lastImageByteNanoseconds == 1_631_177_490_340_813_000)
        #expect(times[0].duration == .microseconds(128_333))
        #expect(times[0].imageBytes == 111_040)
        // The NB-1010's markers find no capture in the U.are.U's traffic.
        #expect(
            RecordedCaptureTime.measure(
                try USBMonRecording(
                    pcapng: try Fixtures.bytes(
                        "uru4000-4500/capture.pcapng")), markers: .nb1010
            ).isEmpty)
    }

    @Test func ioctlTreeIsRecognisedAndHasNoTiming() throws {
        let bytes = try Fixtures.bytes("nb1010/capture.ioctl")
        #expect(USBRecordingFormat.detect(bytes) == .umockdevIoctlTree)
        #expect(USBRecordingFormat.detect(try Fixtures.bytes("uru4000-4500/capture.pcapng")) == .pcapng)
        #expect(USBRecordingFormat.detect(try Fixtures.bytes("nb1010/capture.png")) == .unknown)
        let error = #expect(throws: BiometricError.self) {
            try USBRecordingFormat.captureTimes(in: bytes, markers: .nb1010)
        }
        #expect(error?.code == .format && error?.reason.contains("no timestamps") == true)
    }
}

/// The pcapng reader on hand-made files: timestamp resolutions and malformed input.
struct PcapngParsingTests {
    /// A pcapng with one usbmon (220) interface at `tsresol` and one bulk OUT submission of `data` at `ticks`.
    static func pcapng(tsresol: UInt8?, ticks: UInt64, data: [UInt8]) -> [UInt8] {
        func le32(_ v: UInt32) -> [UInt8] { (0..<4).map { UInt8(v >> (8 * UInt32($0)) & 0xFF) } }
        func le16(_ v: UInt16) -> [UInt8] { [UInt8(v & 0xFF), UInt8(v >> 8)] }
        var out =
            le32(0x0A0D_0D0A) + le32(28) + le32(0x1A2B_3C4D) + le16(1) + le16(0)
            + [UInt8](
                repeating: 0xFF,
                count: 8) + le32(28)
        var options: [UInt8] = []
        if let tsresol { options = le16(9) + le16(1) + [tsresol, 0, 0, 0] + le16(0) + le16(0) }
        let idbLength = UInt32(20 + options.count)
        out += le32(1) + le32(idbLength) + le16(220) + le16(0) + le32(0) + options + le32(idbLength)
        var header = [UInt8](repeating: 0, count: 64)
        header[8] = UInt8(ascii: "S")
        header[9] = 3
        header[10] = 0x02
        header[11] = 5
        header[12] = 1
        header[14] = 0x2D  // no setup
        header.replaceSubrange(28..<32, with: le32(UInt32(bitPattern: -115)))
        header.replaceSubrange(32..<36, with: le32(UInt32(data.count)))
        header.replaceSubrange(36..<40, with: le32(UInt32(data.count)))
        var packet = header + data
        let captured = UInt32(packet.count)
        while packet.count % 4 != 0 { packet.append(0) }
        let epbLength = UInt32(32 + packet.count)
        out +=
            le32(6) + le32(epbLength) + le32(0) + le32(UInt32(ticks >> 32)) + le32(UInt32(ticks & 0xFFFF_FFFF))
            + le32(captured) + le32(captured) + packet + le32(epbLength)
        return out
    }

    @Test(arguments: [
        (UInt8?.none, UInt64(1_500_000), Int64(1_500_000_000)),  // default: microseconds
        (UInt8(6), UInt64(2_000_001), Int64(2_000_001_000)),
        (UInt8(9), UInt64(3_000_000_007), Int64(3_000_000_007)),  // nanoseconds
        (UInt8(0x80 | 10), UInt64(1024 * 5 + 512), Int64(5_500_000_000)),  // 2^-10 s
    ])
    func timestampResolution(tsresol: UInt8?, ticks: UInt64, nanoseconds: Int64) throws {
        let file = Self.pcapng(tsresol: tsresol, ticks: ticks, data: [0x80, 0x12, 0x04])
        let recording = try USBMonRecording(pcapng: file)
        #expect(recording.events.count == 1)
        #expect(recording.events[0].timestampNanoseconds == nanoseconds)
        #expect(recording.events[0].data == [0x80, 0x12, 0x04] && recording.events[0].deviceAddress == 5)
        #expect(recording.events[0].setup.isEmpty && recording.events[0].status == -115)
        #expect(CaptureMarkers.nb1010.isCaptureCommand(recording.events[0]))
    }

    @Test func malformedFilesAreRefused() {
        let good = Self.pcapng(tsresol: 6, ticks: 1, data: [1, 2, 3, 4])
        for bad in [Array(good.prefix(20)), [0x00] + Array(good.dropFirst()), Array(good.dropLast(8))] {
            #expect(throws: BiometricError.self) { try USBMonRecording(pcapng: bad) }
        }
        var lying = good
        lying[28 + 32 + 20] = 0xFF  // captured length of the packet beyond its block
        #expect(throws: BiometricError.self) { try USBMonRecording(pcapng: lying) }
    }
}
