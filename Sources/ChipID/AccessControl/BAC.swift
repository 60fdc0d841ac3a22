import SmartCard

/// Basic Access Control (ICAO 9303-11 §4.3) as pure steps: derive Kenc/Kmac from the MRZ seed, build EXTERNAL
/// AUTHENTICATE from the chip's challenge, check the chip's answer and derive the 3DES session and SSC.
public struct BACProtocol: Sendable, CustomStringConvertible {
    /// Where the exchange stands.
    public enum State: Sendable, Equatable {
        /// Send `getChallenge` next.
        case awaitingChallenge
        /// EXTERNAL AUTHENTICATE was built; waiting for the chip's answer.
        case awaitingAuthentication
        /// Done: the session was returned.
        case established
        /// The chip's answer did not verify.
        case failed
    }

    /// The current step.
    public private(set) var state: State = .awaitingChallenge
    /// Kenc (card-side simulators need it; never printed).
    public let kEnc: [UInt8]
    /// Kmac (card-side simulators need it; never printed).
    public let kMac: [UInt8]
    private var rndIC: [UInt8] = []
    private var rndIFD: [UInt8] = []
    private var kIFD: [UInt8] = []

    /// Derives the BAC keys from the MRZ information.
    public init(seed: MRZKeySeed) {
        self.init(keySeed: seed.bacKeySeed)
    }

    /// Derives the BAC keys from a 16-byte Kseed.
    public init(keySeed: [UInt8]) {
        kEnc = KeyDerivation.derive(seed: keySeed, counter: KeyDerivation.encryptionCounter, for: .tripleDES)
        kMac = KeyDerivation.derive(seed: keySeed, counter: KeyDerivation.macCounter, for: .tripleDES)
    }

    public var description: String { "BACProtocol(\(state), keys redacted)" }

    /// GET CHALLENGE: `00 84 00 00 08`.
    public static let getChallenge = CommandAPDU(ins: 0x84, p1: 0x00, p2: 0x00, le: 8)

    /// Builds EXTERNAL AUTHENTICATE from the chip's 8-byte RND.IC and the terminal's RND.IFD (8) and K.IFD (16).
    public mutating func externalAuthenticate(
        challenge: [UInt8], rndIFD: [UInt8],
        kIFD: [UInt8]
    ) throws(ChipIDError) -> CommandAPDU {
        guard state == .awaitingChallenge else { throw ChipIDError(.protocolViolation, "BAC step out of order") }
        guard challenge.count == 8 else {
            throw ChipIDError(.protocolViolation, "GET CHALLENGE returned \(challenge.count) bytes, not 8")
        }
        guard rndIFD.count == 8, kIFD.count == 16 else { throw ChipIDError(.crypto, "bad terminal nonce sizes") }
        rndIC = challenge
        self.rndIFD = rndIFD
        self.kIFD = kIFD
        let eIFD = try TripleDES.encryptCBC(key: kEnc, rndIFD + challenge + kIFD)
        let mIFD = try RetailMAC.mac(key: kMac, eIFD)
        state = .awaitingAuthentication
        return CommandAPDU(ins: 0x82, p1: 0x00, p2: 0x00, data: eIFD + mIFD, le: 40)
    }

    /// Checks the chip's 40-byte answer (E.IC || M.IC) and returns the 3DES session with its SSC.
    public mutating func complete(response: [UInt8]) throws(ChipIDError) -> SecureMessagingSession {
        guard state == .awaitingAuthentication else { throw ChipIDError(.protocolViolation, "BAC step out of order") }
        state = .failed
        guard response.count == 40 else {
            throw ChipIDError(.protocolViolation, "EXTERNAL AUTHENTICATE answer of \(response.count) bytes, not 40")
        }
        let eIC = Array(response[0..<32])
        let mIC = Array(response[32..<40])
        guard SecureMessagingSession.constantTimeEqual(try RetailMAC.mac(key: kMac, eIC), mIC) else {
            throw ChipIDError(.chipAuthenticationFailed, "BAC: chip cryptogram MAC does not verify")
        }
        let r = try TripleDES.decryptCBC(key: kEnc, eIC)
        guard Array(r[0..<8]) == rndIC, Array(r[8..<16]) == rndIFD else {
            throw ChipIDError(.chipAuthenticationFailed, "BAC: chip did not return the terminal's nonces")
        }
        let kIC = Array(r[16..<32])
        let seed = Bytes.xor(kIC, kIFD)
        let session = try SecureMessagingSession(
            algorithm: .tripleDES,
            encryptionKey: KeyDerivation.derive(seed: seed, counter: KeyDerivation.encryptionCounter, for: .tripleDES),
            macKey: KeyDerivation.derive(seed: seed, counter: KeyDerivation.macCounter, for: .tripleDES),
            ssc: Array(rndIC[4..<8]) + Array(rndIFD[4..<8]))
        state = .established
        return session
    }

    /// Runs BAC over `transport` (the eMRTD application must already be selected). A rejected EXTERNAL
    /// AUTHENTICATE (`6300`, `63Cx`, `6982`) is `accessDenied`.
    public static func run(
        over transport: any CardTransport, seed: MRZKeySeed,
        random: any RandomSource = SystemRandomSource()
    ) async throws(ChipIDError)
        -> SecureMessagingSession
    {
        var bac = BACProtocol(seed: seed)
        let challenge = try await send(getChallenge, over: transport)
        guard challenge.status.isSuccess else { throw ChipIDError.status(challenge.status, doing: "GET CHALLENGE") }
        let command = try bac.externalAuthenticate(
            challenge: challenge.data, rndIFD: random.bytes(8),
            kIFD: random.bytes(16))
        let answer = try await send(command, over: transport)
        guard answer.status.isSuccess else { throw accessError(answer.status, step: "BAC EXTERNAL AUTHENTICATE") }
        return try bac.complete(response: answer.data)
    }

    static func send(_ command: CommandAPDU, over transport: any CardTransport) async throws(ChipIDError)
        -> ResponseAPDU
    {
        do {
            return try await transport.transmit(command)
        } catch {
            throw ChipIDError.wrapping(error)
        }
    }

    /// Maps the status of a failed authentication command to access denied / blocked.
    static func accessError(_ status: StatusWord, step: String) -> ChipIDError {
        if status == .authenticationBlocked || status.triesRemaining == 0 {
            return ChipIDError(.accessBlocked, "\(step): password blocked", status: status, attemptsLeft: 0)
        }
        if status.sw1 == 0x63 || status == .securityStatusNotSatisfied || status == .referenceDataNotUsable
            || status == .conditionsNotSatisfied || status == .wrongData
        {
            return ChipIDError(
                .accessDenied, "\(step): card rejected the access key", status: status,
                attemptsLeft: status.triesRemaining)
        }
        return ChipIDError.status(status, doing: step)
    }
}
