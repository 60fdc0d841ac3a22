import Biometrics

/// How to find one capture in a driver's USB traffic: the request that starts the capture and the transfers that
/// carry the image.
public struct CaptureMarkers: Sendable {
    /// Whether `event` is the host's submission of the capture command.
    public var isCaptureCommand: @Sendable (USBMonEvent) -> Bool
    /// Whether `event` is a completion carrying image bytes.
    public var isImageData: @Sendable (USBMonEvent) -> Bool

    /// Builds markers.
    public init(
        isCaptureCommand: @escaping @Sendable (USBMonEvent) -> Bool,
        isImageData: @escaping @Sendable (USBMonEvent) -> Bool
    ) {
        self.isCaptureCommand = isCaptureCommand
        self.isImageData = isImageData
    }

    /// U.are.U: the register write MODE (0x4E) := 0x20 (capture) starts it; the frame arrives on bulk IN 0x82.
    public static let uru4000 = CaptureMarkers(
        isCaptureCommand: { event in
            event.kind == .submit && event.transferType == 2 && event.setup.count == 8
                && event.setup[0] == 0x40 && event.setup[1] == 0x04 && event.setup[2] == 0x4E && event.setup[3] == 0
                && event.data == [0x20]
        },
        isImageData: { event in
            event.kind == .complete && event.transferType == 3 && event.endpoint == 0x82 && event.status == 0
                && !event.data.isEmpty
        })

    /// NB-1010: the bulk command `80 12` (capture) on 0x02 starts it; the image comes as 540-byte reads on 0x83.
    public static let nb1010 = CaptureMarkers(
        isCaptureCommand: { event in
            event.kind == .submit && event.transferType == 3 && event.endpoint == 0x02
                && event.data.starts(with: [0x80, 0x12])
        },
        isImageData: { event in
            event.kind == .complete && event.transferType == 3 && event.endpoint == 0x83 && event.status == 0
                && event.data.count == 540
        })

    /// The markers of a driver family (`DeviceProfile.driver`), if known.
    public static func forDriver(_ driver: String) -> CaptureMarkers? {
        switch driver {
        case "uru4000": return .uru4000
        case "nb1010": return .nb1010
        default: return nil
        }
    }
}

/// How long the device itself took for one capture in a recording: from the host's capture command to the
/// completion that delivered the last image byte, as the capturing host timestamped them.
public struct RecordedCaptureTime: Sendable, Hashable {
    /// Time of the capture command's submission (ns since the epoch).
    public var commandNanoseconds: Int64
    /// Time of the last image completion (ns since the epoch).
    public var lastImageByteNanoseconds: Int64
    /// Image bytes delivered between the two (frame headers included).
    public var imageBytes: Int

    /// The device's capture time.
    public var duration: Duration { .nanoseconds(lastImageByteNanoseconds - commandNanoseconds) }
    /// The same in milliseconds.
    public var milliseconds: Double { Double(lastImageByteNanoseconds - commandNanoseconds) / 1e6 }

    /// Every capture in `recording`: each capture command paired with the last image completion before the next
    /// capture command. Commands without image data (an aborted capture) are left out.
    public static func measure(_ recording: USBMonRecording, markers: CaptureMarkers) -> [RecordedCaptureTime] {
        var out: [RecordedCaptureTime] = []
        var current: RecordedCaptureTime?
        for event in recording.events {
            if markers.isCaptureCommand(event) {
                if let done = current, done.imageBytes > 0 { out.append(done) }
                current = RecordedCaptureTime(
                    commandNanoseconds: event.timestampNanoseconds,
                    lastImageByteNanoseconds: event.timestampNanoseconds, imageBytes: 0)
            } else if current != nil, markers.isImageData(event) {
                current!.lastImageByteNanoseconds = event.timestampNanoseconds
                current!.imageBytes += event.data.count
            }
        }
        if let done = current, done.imageBytes > 0 { out.append(done) }
        return out
    }
}

/// The kinds of USB recording found in `../shared/fixtures/usb`, and what timing each can give.
public enum USBRecordingFormat: Sendable, Hashable {
    /// usbmon capture in pcapng: every packet carries a timestamp.
    case pcapng
    /// umockdev ioctl tree (`@DEV …` then one `USBDEVFS_*` line per ioctl): replay data only. Its fields are
    /// ret, type, endpoint, status, flags, buffer length, actual length, error count and the bytes; there is no
    /// time field, so a device's capture time cannot be read from it.
    case umockdevIoctlTree
    /// Anything else.
    case unknown

    /// Recognises a recording by its first bytes.
    public static func detect(_ bytes: [UInt8]) -> USBRecordingFormat {
        if bytes.starts(with: [0x0A, 0x0D, 0x0D, 0x0A]) { return .pcapng }
        if bytes.starts(with: Array("@DEV ".utf8)) { return .umockdevIoctlTree }
        return .unknown
    }

    /// The device's capture times in a recording file, or a `biometric.format` error saying why there are none.
    public static func captureTimes(in bytes: [UInt8], markers: CaptureMarkers) throws -> [RecordedCaptureTime] {
        switch detect(bytes) {
        case .pcapng:
            let times = RecordedCaptureTime.measure(try USBMonRecording(pcapng: bytes), markers: markers)
            guard !times.isEmpty else { throw BiometricError(.format, "no capture command with image data found") }
            return times
        case .umockdevIoctlTree:
            throw BiometricError(.format, "umockdev ioctl trees carry no timestamps")
        case .unknown:
            throw BiometricError(.format, "unknown recording format")
        }
    }
}
