import Foundation

/// How long a real contactless CCCD takes per APDU, so benches and tests through the simulated card mean something
/// (`stationd simulate card --timing contactless`). The simulated card answers in microseconds; the model adds, per
/// exchange: a fixed reader/driver overhead, the frames' air time at the ISO/IEC 14443 bit rate, and the chip's own
/// work for the public-key steps (PACE, Chip Authentication, Active Authentication).
///
/// Sources of each figure:
/// - **Bit rate and framing** (ISO/IEC 14443-2/-3/-4): bit rates fc/128 = 106 kbit/s, fc/64 = 212, fc/32 = 424,
///   fc/16 = 848 (fc = 13.56 MHz); a Type A byte is 9 bit periods on air (8 data + odd parity); each I-block adds
///   the PCB byte and a 2-byte CRC; the PICC answers no sooner than the frame delay time (FDT ≈ 86 µs for a 1 bit,
///   1236/fc ≈ 91 µs is used here). Frames longer than the FSD/FSC (default 256) are chained with R-blocks (one more
///   frame delay per block). These follow from the standard.
/// - **Reader overhead per APDU** (CCID over USB + pcscd + the driver): *no published figure was found*; a parameter
///   (`overheadMs`, default 2 ms, an assumption).
/// - **Chip-side public-key costs**: *no published measurement of the CCCD's chip (MKjCOS-37 on an unknown IC) was
///   found*; parameters with assumed defaults of the order smart-card crypto co-processors are usually quoted at:
///   one EC scalar multiplication on a 256-bit curve `ecMultiplicationMs` = 50 ms, one RSA-2048 private-key
///   operation `rsaSignMs` = 250 ms. PACE generic mapping costs the chip 2 multiplications at step 2 (its ephemeral
///   key and the shared secret for the mapping) and 2 at step 3 (the key on the mapped generator and the shared
///   secret); Chip Authentication 1 (the static key's shared secret); Active Authentication 1 RSA signature.
public struct ContactlessTiming: Sendable, Hashable {
    /// Bit rate on air, bit/s (106k, 212k, 424k or 848k).
    public var bitRate: Double = 424_000
    /// Reader, driver and USB overhead per APDU, seconds.
    public var overhead: Double = 0.002
    /// One EC scalar multiplication on the chip (256-bit curve), seconds.
    public var ecMultiplication: Double = 0.050
    /// One RSA-2048 private-key operation on the chip, seconds.
    public var rsaSign: Double = 0.250
    /// Largest frame either side accepts (FSD/FSC), bytes.
    public var frameSize = 256
    /// Frame delay time (PCD frame end → PICC frame start), seconds.
    public var frameDelay: Double = 1236 / 13_560_000

    /// The defaults above.
    public init() {}

    /// Parses `contactless` (the defaults) or `contactless:bitrate=106000,overhead_ms=3,ec_ms=80,rsa_ms=400`.
    public init?(parsing text: String) {
        let parts = text.split(separator: ":", maxSplits: 1)
        guard parts.first == "contactless" else { return nil }
        guard parts.count == 2 else { return }
        for pair in parts[1].split(separator: ",") {
            let kv = pair.split(separator: "=", maxSplits: 1)
            guard kv.count == 2, let value = Double(kv[1]), value >= 0 else { return nil }
            switch kv[0] {
            case "bitrate": bitRate = value
            case "overhead_ms": overhead = value / 1000
            case "ec_ms": ecMultiplication = value / 1000
            case "rsa_ms": rsaSign = value / 1000
            default: return nil
            }
        }
        guard bitRate > 0 else { return nil }
    }

    /// Air time of `count` APDU bytes in I-blocks (PCB + CRC per frame, 9 bit periods per byte, chained).
    func airTime(bytes count: Int) -> Double {
        let payloadPerFrame = max(1, frameSize - 3)
        let frames = max(1, (count + payloadPerFrame - 1) / payloadPerFrame)
        let onAir = Double(count + frames * 3) * 9 / bitRate
        // Each chained frame is acknowledged (an R-block: PCB + CRC) after a frame delay.
        let chaining = Double(frames - 1) * (2 * frameDelay + 3 * 9 / bitRate)
        return onAir + chaining
    }

    /// The chip's public-key work for a command, seconds (0 for everything else).
    func chipWork(command: [UInt8]) -> Double {
        guard command.count >= 4 else { return 0 }
        let secured = command[0] & 0x0C != 0
        switch command[1] {
        case 0x86:  // GENERAL AUTHENTICATE
            if secured { return ecMultiplication }  // Chip Authentication (key agreement under SM)
            // PACE: the dynamic authentication data's first inner tag says which step.
            guard command.count >= 7, command[5] == 0x7C else { return 0 }
            var index = 6
            switch command[index] {
            case 0x81: index += 2
            case 0x82: index += 3
            default: index += 1
            }
            guard index < command.count else { return 0 }
            let tag = command[index]  // step 1 (7C 00) lands on Le: no work
            switch tag {
            case 0x81: return 2 * ecMultiplication  // mapping data
            case 0x83: return 2 * ecMultiplication  // ephemeral public key
            default: return 0
            }
        case 0x22 where command[2] == 0x41 && command[3] == 0xA6:
            return ecMultiplication  // MSE:SET KAT (Chip Authentication v1)
        case 0x88:
            return rsaSign  // INTERNAL AUTHENTICATE (Active Authentication)
        default:
            return 0
        }
    }

    /// The whole time one exchange takes on a contactless reader.
    public func exchangeTime(command: [UInt8], response: [UInt8]) -> Double {
        overhead + airTime(bytes: command.count) + frameDelay + chipWork(command: command)
            + airTime(bytes: response.count)
    }
}

/// A simulated card that answers no sooner than `ContactlessTiming` says a real contactless chip would.
public final class ContactlessTimedCard: SimulatedCard, LinkFaults {
    private let inner: any SimulatedCard
    private let timing: ContactlessTiming

    /// Wraps `card`.
    public init(_ card: any SimulatedCard, timing: ContactlessTiming) {
        inner = card
        self.timing = timing
    }

    public var atr: [UInt8] { inner.atr }
    public func powerOn() { inner.powerOn() }
    public func powerOff() { inner.powerOff() }
    public var linkFault: CardBehaviour.Fault? { (inner as? LinkFaults)?.linkFault }

    public func process(_ command: [UInt8]) -> [UInt8] {
        let start = ContinuousClock.now
        let response = inner.process(command)
        let due = timing.exchangeTime(command: command, response: response)
        let spent = ContinuousClock.now - start
        let left = due - (Double(spent.components.seconds) + Double(spent.components.attoseconds) / 1e18)
        if left > 0 { usleep(useconds_t(left * 1_000_000)) }
        return response
    }
}
