import Biometrics

/// One usbmon event (an URB submission, completion or error) read from a recording, with the time the capturing
/// host saw it. Payload bytes stay in memory only: never log them (a fingerprint frame is biometric data).
public struct USBMonEvent: Sendable, Hashable {
    /// What happened to the URB.
    public enum Kind: Character, Sendable, Hashable {
        /// The host submitted the URB (`S`).
        case submit = "S"
        /// The URB completed (`C`).
        case complete = "C"
        /// The submission failed (`E`).
        case error = "E"
    }

    /// Nanoseconds since the Unix epoch, from the pcapng packet timestamp (at the interface's `if_tsresol`).
    public var timestampNanoseconds: Int64
    /// The URB's id (its kernel address): pairs a submission with its completion.
    public var urbID: UInt64
    /// Submission, completion or error.
    public var kind: Kind
    /// 0 isochronous, 1 interrupt, 2 control, 3 bulk.
    public var transferType: UInt8
    /// Endpoint address with the direction bit (0x80 = IN).
    public var endpoint: UInt8
    /// Device address on the bus.
    public var deviceAddress: UInt8
    /// Bus number.
    public var bus: UInt16
    /// URB status (0 done, -115 in progress at submission, negative errno otherwise).
    public var status: Int32
    /// Requested length (`urb_len`).
    public var requestedLength: Int
    /// The 8 setup bytes of a control submission, else empty.
    public var setup: [UInt8]
    /// Bytes carried by the event (OUT data at submission, IN data at completion).
    public var data: [UInt8]

    /// Whether the endpoint is IN.
    public var isIn: Bool { endpoint & 0x80 != 0 }
}

/// A usbmon capture in pcapng (what libfprint records its drivers' tests with: `tshark -i usbmonN`), parsed as
/// a list of `USBMonEvent`s in capture order. Pure: bytes in, values out.
///
/// Supported: little-endian pcapng (Section Header, Interface Description and Enhanced Packet Blocks; others are
/// skipped), link types 220 (usbmon, mmapped 64-byte header) and 189 (usbmon, 48-byte header), any `if_tsresol`.
public struct USBMonRecording: Sendable {
    /// Link type of usbmon with the 64-byte (mmapped) header.
    public static let linkTypeUSBMonMmapped: UInt16 = 220
    /// Link type of usbmon with the 48-byte header.
    public static let linkTypeUSBMon: UInt16 = 189

    /// The events, in capture order.
    public let events: [USBMonEvent]

    /// Parses a pcapng file.
    public init(pcapng bytes: [UInt8]) throws {
        guard bytes.count >= 28, bytes.readLE32(at: 0) == 0x0A0D_0D0A else {
            throw BiometricError(.format, "not a pcapng file (no section header block)")
        }
        guard bytes.readLE32(at: 8) == 0x1A2B_3C4D else {
            throw BiometricError(.format, "big-endian pcapng is not supported")
        }
        // Per interface: link type and ticks per second.
        var interfaces: [(linkType: UInt16, ticksPerSecond: UInt64)] = []
        var events: [USBMonEvent] = []
        var offset = 0
        while offset + 12 <= bytes.count {
            let type = bytes.readLE32(at: offset)
            let length = Int(bytes.readLE32(at: offset + 4))
            guard length >= 12, length % 4 == 0, offset + length <= bytes.count else {
                throw BiometricError(.format, "pcapng block at \(offset) has a bad length \(length)")
            }
            switch type {
            case 0x0A0D_0D0A:
                interfaces = []  // a new section restarts interface numbering
            case 1:
                guard length >= 20 else { throw BiometricError(.format, "short interface block at \(offset)") }
                let linkType = bytes.readLE16(at: offset + 8)
                let ticks = Self.ticksPerSecond(bytes, options: (offset + 16)..<(offset + length - 4))
                interfaces.append((linkType, ticks))
            case 6:
                guard length >= 32 else { throw BiometricError(.format, "short packet block at \(offset)") }
                let interface = Int(bytes.readLE32(at: offset + 8))
                guard interface < interfaces.count else {
                    throw BiometricError(.format, "packet at \(offset) names unknown interface \(interface)")
                }
                let ticks = UInt64(bytes.readLE32(at: offset + 12)) << 32 | UInt64(bytes.readLE32(at: offset + 16))
                let captured = Int(bytes.readLE32(at: offset + 20))
                let dataStart = offset + 28
                guard dataStart + captured <= offset + length - 4 else {
                    throw BiometricError(.format, "packet at \(offset) overruns its block")
                }
                let (linkType, perSecond) = interfaces[interface]
                guard linkType == Self.linkTypeUSBMonMmapped || linkType == Self.linkTypeUSBMon else { break }
                let time = Self.nanoseconds(ticks: ticks, perSecond: perSecond)
                events.append(
                    try Self.event(
                        bytes, at: dataStart, captured: captured,
                        headerLength: linkType == Self.linkTypeUSBMonMmapped ? 64 : 48,
                        time: time))
            default:
                break
            }
            offset += length
        }
        self.events = events
    }

    /// `if_tsresol` (option 9): high bit clear = 10^-n s, set = 2^-n s; absent = microseconds.
    static func ticksPerSecond(_ bytes: [UInt8], options: Range<Int>) -> UInt64 {
        var at = options.lowerBound
        while at + 4 <= options.upperBound {
            let code = bytes.readLE16(at: at)
            let length = Int(bytes.readLE16(at: at + 2))
            if code == 0 { break }
            if code == 9, length >= 1, at + 4 < options.upperBound {
                let value = bytes[at + 4]
                let exponent = Int(value & 0x7F)
                if value & 0x80 != 0 { return exponent < 64 ? 1 << UInt64(exponent) : 1_000_000 }
                return exponent <= 18 ? (0..<exponent).reduce(UInt64(1)) { product, _ in product * 10 } : 1_000_000
            }
            at += 4 + (length + 3) / 4 * 4
        }
        return 1_000_000
    }

    static func nanoseconds(ticks: UInt64, perSecond: UInt64) -> Int64 {
        let seconds = ticks / perSecond
        let rest = ticks % perSecond
        let fraction = perSecond.dividingFullWidth(rest.multipliedFullWidth(by: 1_000_000_000)).quotient
        return Int64(seconds) * 1_000_000_000 + Int64(fraction)
    }

    static func event(
        _ bytes: [UInt8], at start: Int, captured: Int, headerLength: Int,
        time: Int64
    ) throws -> USBMonEvent {
        guard captured >= headerLength else { throw BiometricError(.format, "usbmon packet shorter than its header") }
        guard let kind = USBMonEvent.Kind(rawValue: Character(UnicodeScalar(bytes[start + 8]))) else {
            throw BiometricError(.format, "usbmon event type \(bytes[start + 8]) unknown")
        }
        let setupFlag = bytes[start + 14]
        let setup = setupFlag == 0 ? Array(bytes[(start + 40)..<(start + 48)]) : []
        return USBMonEvent(
            timestampNanoseconds: time,
            urbID: UInt64(bytes.readLE32(at: start)) | UInt64(bytes.readLE32(at: start + 4)) << 32,
            kind: kind,
            transferType: bytes[start + 9],
            endpoint: bytes[start + 10],
            deviceAddress: bytes[start + 11],
            bus: bytes.readLE16(at: start + 12),
            status: Int32(bitPattern: bytes.readLE32(at: start + 28)),
            requestedLength: Int(bytes.readLE32(at: start + 32)),
            setup: setup,
            data: Array(bytes[(start + headerLength)..<(start + captured)]))
    }
}
