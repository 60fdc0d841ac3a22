import Foundation

/// ISO/IEC 7816-4 command and response APDUs.
///
/// A command has one of four cases (1: header only, 2: header + Le, 3: header + data, 4: header + data + Le), each in
/// short or extended length. Short form carries up to 255 data bytes and asks for up to 256 response bytes;
/// extended form up to 65,535 and 65,536. `CommandAPDU` chooses the form from the sizes unless told otherwise, so
/// protocol code states *what* it sends and never hand-assembles length bytes.
public struct CommandAPDU: Sendable, Hashable, CustomStringConvertible {
    /// Class byte (secure messaging, chaining and logical channel bits live here).
    public var cla: UInt8
    /// Instruction byte.
    public var ins: UInt8
    /// First parameter byte.
    public var p1: UInt8
    /// Second parameter byte.
    public var p2: UInt8
    /// Command data field (Lc is its count); empty for cases 1 and 2.
    public var data: [UInt8]
    /// Expected response length: `nil` for cases 1 and 3. The value 256 (short) or 65,536 (extended) means "all
    /// available", encoded as `00` / `0000`.
    public var le: Int?
    /// Force extended length even when short would do (some cards insist once a session uses extended reads).
    public var forceExtended: Bool

    /// The largest data field a short APDU carries.
    public static let maxShortData = 255
    /// The largest response a short Le asks for.
    public static let maxShortLe = 256
    /// The largest data field an extended APDU carries.
    public static let maxExtendedData = 65_535
    /// The largest response an extended Le asks for.
    public static let maxExtendedLe = 65_536

    /// Builds a command. `le` may be 1...65,536; anything above 256 makes the command extended.
    public init(
        cla: UInt8 = 0x00, ins: UInt8, p1: UInt8, p2: UInt8, data: [UInt8] = [], le: Int? = nil,
        forceExtended: Bool = false
    ) {
        precondition(data.count <= Self.maxExtendedData, "command data longer than 65,535 bytes")
        precondition(le.map { (1...Self.maxExtendedLe).contains($0) } ?? true, "Le must be 1...65,536")
        self.cla = cla
        self.ins = ins
        self.p1 = p1
        self.p2 = p2
        self.data = data
        self.le = le
        self.forceExtended = forceExtended
    }

    /// Parses the bytes of a command (all four cases, short and extended), as a card receives them.
    public init(bytes: [UInt8]) throws(APDUFormatError) {
        guard bytes.count >= 4 else { throw APDUFormatError("command shorter than its 4-byte header") }
        let (cla, ins, p1, p2) = (bytes[0], bytes[1], bytes[2], bytes[3])
        let body = Array(bytes[4...])
        switch body.count {
        case 0:
            self.init(cla: cla, ins: ins, p1: p1, p2: p2)
        case 1:
            self.init(cla: cla, ins: ins, p1: p1, p2: p2, le: body[0] == 0 ? 256 : Int(body[0]))
        default:
            if body[0] != 0 {
                // Short case 3 or 4.
                let lc = Int(body[0])
                if body.count == 1 + lc {
                    self.init(cla: cla, ins: ins, p1: p1, p2: p2, data: Array(body[1...]))
                } else if body.count == 2 + lc {
                    let le = body[1 + lc]
                    self.init(
                        cla: cla, ins: ins, p1: p1, p2: p2, data: Array(body[1..<(1 + lc)]),
                        le: le == 0 ? 256 : Int(le))
                } else {
                    throw APDUFormatError("short Lc \(lc) does not match a body of \(body.count) bytes")
                }
            } else if body.count == 3 {
                // Extended case 2: 00 Le1 Le2.
                let le = Int(body[1]) << 8 | Int(body[2])
                self.init(cla: cla, ins: ins, p1: p1, p2: p2, le: le == 0 ? 65_536 : le, forceExtended: true)
            } else if body.count >= 3 {
                let lc = Int(body[1]) << 8 | Int(body[2])
                guard lc > 0 else { throw APDUFormatError("extended Lc of zero") }
                if body.count == 3 + lc {
                    self.init(cla: cla, ins: ins, p1: p1, p2: p2, data: Array(body[3...]), forceExtended: true)
                } else if body.count == 5 + lc {
                    let le = Int(body[3 + lc]) << 8 | Int(body[4 + lc])
                    self.init(
                        cla: cla, ins: ins, p1: p1, p2: p2, data: Array(body[3..<(3 + lc)]),
                        le: le == 0 ? 65_536 : le, forceExtended: true)
                } else {
                    throw APDUFormatError("extended Lc \(lc) does not match a body of \(body.count) bytes")
                }
            } else {
                throw APDUFormatError("body of \(body.count) bytes is neither short nor extended")
            }
        }
    }

    /// Whether the encoding uses extended length fields.
    public var isExtended: Bool {
        forceExtended || data.count > Self.maxShortData || (le ?? 0) > Self.maxShortLe
    }

    /// The ISO 7816-4 case (1 to 4).
    public var isoCase: Int {
        switch (data.isEmpty, le == nil) {
        case (true, true): 1
        case (true, false): 2
        case (false, true): 3
        case (false, false): 4
        }
    }

    /// The encoded command as sent to the card.
    public var bytes: [UInt8] {
        var out: [UInt8] = [cla, ins, p1, p2]
        out.reserveCapacity(4 + 3 + data.count + 3)
        if isExtended {
            if !data.isEmpty {
                out += [0x00, UInt8(data.count >> 8), UInt8(data.count & 0xFF)]
                out += data
            }
            if let le {
                let encoded = le == 65_536 ? 0 : le
                if data.isEmpty { out.append(0x00) }
                out += [UInt8(encoded >> 8 & 0xFF), UInt8(encoded & 0xFF)]
            }
        } else {
            if !data.isEmpty {
                out.append(UInt8(data.count))
                out += data
            }
            if let le { out.append(le == 256 ? 0 : UInt8(le)) }
        }
        return out
    }

    /// The same command asking for a different response length (used for `6Cxx`).
    public func with(le newLe: Int) -> CommandAPDU {
        var copy = self
        copy.le = newLe
        return copy
    }

    /// Header bytes and sizes only: APDU data may be personal, so descriptions never include it.
    public var description: String {
        let header = String(format: "%02X %02X %02X %02X", cla, ins, p1, p2)
        return "\(header) case \(isoCase)\(isExtended ? " ext" : "") Lc=\(data.count) Le=\(le.map(String.init) ?? "-")"
    }
}

/// A response APDU: the data field and the two status bytes.
public struct ResponseAPDU: Sendable, Hashable, CustomStringConvertible {
    /// The response data (without the status word).
    public var data: [UInt8]
    /// The status word, SW1 SW2.
    public var status: StatusWord

    /// Builds a response from its parts.
    public init(data: [UInt8] = [], status: StatusWord) {
        self.data = data
        self.status = status
    }

    /// Parses a response as it comes from the card: data then SW1 SW2. Fewer than two bytes is malformed.
    public init(bytes: [UInt8]) throws(APDUFormatError) {
        guard bytes.count >= 2 else {
            throw APDUFormatError("response of \(bytes.count) byte(s) has no status word")
        }
        self.data = Array(bytes[..<(bytes.count - 2)])
        self.status = StatusWord(sw1: bytes[bytes.count - 2], sw2: bytes[bytes.count - 1])
    }

    /// The encoded response.
    public var bytes: [UInt8] { data + [status.sw1, status.sw2] }

    /// Sizes and status only, never the data (it may be personal).
    public var description: String { "\(data.count) bytes, \(status)" }
}

/// A command or response whose bytes do not form a valid APDU.
public struct APDUFormatError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What was wrong.
    public var reason: String
    /// Wraps a reason.
    public init(_ reason: String) { self.reason = reason }
    public var description: String { "malformed APDU: \(reason)" }
}
