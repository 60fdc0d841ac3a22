import ChipID
import SmartCard

/// Deliberate protocol faults of the simulated eMRTD, for tests of the reader's error paths.
public enum EMRTDFault: Sendable, Hashable {
    /// Flip a bit of the MAC (DO'8E') of the protected response with this 1-based number in the session.
    case badResponseMAC(atResponse: Int)
    /// Refuse MSE:Set AT for PACE with this password reference (1 MRZ, 2 CAN) with `6A80`, as a chip that offers
    /// PACE but not with that password.
    case refusePACE(passwordReference: UInt8)
}

/// The access secrets and protocol options of a simulated eMRTD.
public struct EMRTDSecrets: Sendable {
    /// The MRZ key seed (document number, birth, expiry): BAC and PACE with the MRZ password.
    public var mrz: MRZKeySeed
    /// The CAN (PACE password 2), if the chip has one; a CCCD's is the last 6 digits of the ID number.
    public var can: String?
    /// The PACE variant offered in EF.CardAccess, or nil for a BAC-only chip.
    public var pace: PACEInfo?
    /// Password attempts before PACE is blocked (`63Cx` counts down; reset by a successful PACE).
    public var paceAttempts: Int

    /// Builds the secrets.
    public init(mrz: MRZKeySeed, can: String?, pace: PACEInfo?, paceAttempts: Int = 3) {
        self.mrz = mrz
        self.can = can
        self.pace = pace
        self.paceAttempts = paceAttempts
    }
}

/// The chip side of an ICAO 9303 eMRTD (the CCCD's LDS1 applet), as an applet that sees every command first:
/// PACE (ECDH generic mapping, CAN or MRZ password) at MF level, BAC (GET CHALLENGE / EXTERNAL AUTHENTICATE) in the
/// application, and secure messaging (3DES after BAC, AES after PACE) with exact SSC and MAC checks. Files of the
/// eMRTD application are readable only inside secure messaging (`6982` otherwise); a command whose MAC or SM
/// objects are wrong gets `6988` and ends the session, as does any plain command after it started.
public final class EMRTDApplet: CardApplet {
    public let aid = FileReader.eMRTDApplicationID
    /// The secrets and protocol options.
    public let secrets: EMRTDSecrets
    /// An injected fault, if any.
    public var fault: EMRTDFault?
    /// PACE attempts left.
    public private(set) var paceAttemptsLeft: Int
    /// Protected responses sent in the current session.
    public private(set) var protectedResponses = 0
    /// Secure-messaging commands rejected (bad MAC / objects) since creation.
    public private(set) var rejectedCommands = 0
    /// Whether a secure-messaging session is open.
    public var hasSession: Bool { session != nil }

    /// The private keys for Chip and Active Authentication (nil: the chip refuses both, `6D00`).
    public var chipKeys: EMRTDChipKeys?
    /// Chip Authentication runs completed (keys switched) since creation.
    public internal(set) var chipAuthentications = 0
    /// Whether `unwrappedCommands` keeps the commands received inside secure messaging (off on a served card, whose
    /// log would grow without end; on in `InMemoryEMRTD` for tests).
    public var keepsUnwrappedCommands = false
    /// The commands received inside secure messaging, unwrapped, in order (while `keepsUnwrappedCommands`).
    public private(set) var unwrappedCommands: [CommandAPDU] = []

    private var session: SecureMessagingSession?
    /// The session Chip Authentication established, switched to after its answer went out under the old keys.
    var pendingSession: SecureMessagingSession?
    /// The CA protocol chosen with MSE:Set AT (AES variant), until GENERAL AUTHENTICATE.
    var chipAuthenticationOID: String?
    private var bacChallenge: [UInt8]?
    private var pace = PACEChipState()

    /// Builds the applet.
    public init(secrets: EMRTDSecrets, fault: EMRTDFault? = nil) {
        self.secrets = secrets
        self.fault = fault
        self.paceAttemptsLeft = secrets.paceAttempts
    }

    public func reset() {
        session = nil
        pendingSession = nil
        chipAuthenticationOID = nil
        bacChallenge = nil
        pace = PACEChipState()
        protectedResponses = 0
    }

    public func handle(_ command: CommandAPDU, card: ISO7816Card) -> ResponseAPDU? {
        if command.cla & 0x0C == 0x0C { return handleProtected(command, card: card) }
        guard command.cla & 0xE0 == 0 else { return nil }  // 0x10: command chaining (GENERAL AUTHENTICATE)
        if session != nil && command.ins != 0xC0 {
            session = nil  // a plain command ends secure messaging
            protectedResponses = 0
        }
        let inApplication = card.selectedAID == aid
        switch command.ins {
        case 0x22: return mseSetAT(command)
        case 0x86: return generalAuthenticate(command)
        case 0x84:
            guard command.le == 8 || command.le == nil || !card.behaviour.strictLe else {
                return ResponseAPDU(status: StatusWord(0x6C08))
            }
            let challenge = Self.randomBytes(8)
            bacChallenge = challenge
            return ResponseAPDU(data: challenge, status: .success)
        case 0x82: return externalAuthenticate(command)
        case 0xA4 where command.p1 == 0x04: return nil
        case 0xA4, 0xB0, 0xB1:
            // Inside the eMRTD application every file needs secure messaging; at MF level EF.CardAccess is free.
            return inApplication ? ResponseAPDU(status: .securityStatusNotSatisfied) : nil
        default: return nil
        }
    }

    // MARK: - Secure messaging

    private func handleProtected(_ command: CommandAPDU, card: ISO7816Card) -> ResponseAPDU {
        guard var active = session else { return ResponseAPDU(status: .smObjectsMissing) }
        let plain: CommandAPDU
        do {
            plain = try active.unprotectCommand(command)
        } catch {
            rejectedCommands += 1
            session = nil
            return ResponseAPDU(status: .smObjectsIncorrect)
        }
        if keepsUnwrappedCommands { unwrappedCommands.append(plain) }
        let answer: ResponseAPDU
        switch plain.ins {
        case 0xA4, 0xB0, 0xB1: answer = card.processPlain(plain)
        case 0x84:
            answer = ResponseAPDU(data: Self.randomBytes(plain.le ?? 8), status: .success)
        case 0x22, 0x86, 0x88: answer = authenticate(plain)
        default: answer = ResponseAPDU(status: .insNotSupported)
        }
        do {
            var protected = try active.protectResponse(answer, oddINS: plain.ins & 1 == 1)
            protectedResponses += 1
            if case .badResponseMAC(let number) = fault, number == protectedResponses {
                protected.data[protected.data.count - 1] ^= 0x01
                session = nil
                return protected
            }
            session = pendingSession ?? active
            pendingSession = nil
            return protected
        } catch {
            pendingSession = nil
            session = nil
            return ResponseAPDU(status: .noPreciseDiagnosis)
        }
    }

    /// Starts in a secure-messaging session already established (as if BAC or PACE had just run), for tests of
    /// what follows access control: Chip and Active Authentication, reading under the session keys.
    public func resume(_ established: SecureMessagingSession) { open(established) }

    private func open(_ newSession: SecureMessagingSession) {
        session = newSession
        protectedResponses = 0
    }

    // MARK: - BAC

    private func externalAuthenticate(_ command: CommandAPDU) -> ResponseAPDU {
        guard let rndIC = bacChallenge else { return ResponseAPDU(status: .conditionsNotSatisfied) }
        bacChallenge = nil
        guard command.data.count == 40 else { return ResponseAPDU(status: .wrongLength) }
        let bac = BACProtocol(seed: secrets.mrz)
        let eIFD = Array(command.data[0..<32])
        guard let mac = try? RetailMAC.mac(key: bac.kMac, eIFD), mac == Array(command.data[32..<40]),
            let s = try? TripleDES.decryptCBC(key: bac.kEnc, eIFD), Array(s[8..<16]) == rndIC
        else {
            return ResponseAPDU(status: StatusWord(0x6300))
        }
        let rndIFD = Array(s[0..<8])
        let kIFD = Array(s[16..<32])
        let kIC = Self.randomBytes(16)
        guard let eIC = try? TripleDES.encryptCBC(key: bac.kEnc, rndIC + rndIFD + kIC),
            let mIC = try? RetailMAC.mac(key: bac.kMac, eIC)
        else {
            return ResponseAPDU(status: .noPreciseDiagnosis)
        }
        let seed = zip(kIC, kIFD).map { $0 ^ $1 }
        guard
            let established = try? SecureMessagingSession(
                algorithm: .tripleDES,
                encryptionKey: KeyDerivation.derive(
                    seed: seed, counter: KeyDerivation.encryptionCounter, for: .tripleDES),
                macKey: KeyDerivation.derive(seed: seed, counter: KeyDerivation.macCounter, for: .tripleDES),
                ssc: Array(rndIC[4..<8]) + Array(rndIFD[4..<8]))
        else { return ResponseAPDU(status: .noPreciseDiagnosis) }
        open(established)
        return ResponseAPDU(data: eIC + mIC, status: .success)
    }

    // MARK: - PACE (ECDH generic mapping)

    private func mseSetAT(_ command: CommandAPDU) -> ResponseAPDU {
        guard let offered = secrets.pace else { return ResponseAPDU(status: .insNotSupported) }
        guard command.p1 == 0xC1, command.p2 == 0xA4, let objects = try? TLV.sequence(command.data),
            let oidObject = objects.first(where: { $0.tag == 0x80 }),
            let reference = objects.first(where: { $0.tag == 0x83 })?.value.first
        else { return ResponseAPDU(status: .wrongData) }
        pace = PACEChipState()
        if case .refusePACE(let refused) = fault, refused == reference { return ResponseAPDU(status: .wrongData) }
        guard let oid = try? ASN1.oidString(oidObject.value), oid == offered.oid else {
            return ResponseAPDU(status: StatusWord(0x6A80))
        }
        if let parameter = objects.first(where: { $0.tag == 0x84 })?.value,
            parameter != [UInt8(offered.parameterID ?? 13)]
        {
            return ResponseAPDU(status: StatusWord(0x6A80))
        }
        let password: [UInt8]
        switch reference {
        case 0x01: password = secrets.mrz.informationHash
        case 0x02:
            guard let can = secrets.can else { return ResponseAPDU(status: StatusWord(0x6A88)) }
            password = Array(can.utf8)
        default: return ResponseAPDU(status: StatusWord(0x6A88))
        }
        guard paceAttemptsLeft > 0 else { return ResponseAPDU(status: .authenticationBlocked) }
        pace.password = password
        pace.configured = true
        return ResponseAPDU(status: .success)
    }

    private func generalAuthenticate(_ command: CommandAPDU) -> ResponseAPDU {
        guard pace.configured, let info = secrets.pace, let cipher = info.cipher,
            let outer = try? TLV.single(command.data, expecting: 0x7C, "GENERAL AUTHENTICATE"),
            let inner = try? outer.children()
        else { return ResponseAPDU(status: .conditionsNotSatisfied) }
        do {
            guard let first = inner.first else {
                let curve = try ECCurve(standardizedParameterID: info.parameterID ?? 13)
                pace.curve = curve
                let kpi = KeyDerivation.derive(seed: pace.password, counter: KeyDerivation.passwordCounter, for: cipher)
                pace.nonce = Self.randomBytes(cipher.blockSize)
                let z =
                    cipher == .tripleDES
                    ? try TripleDES.encryptCBC(key: kpi, pace.nonce)
                    : try AESCipher.encryptCBC(key: kpi, pace.nonce)
                return Self.dynamic(0x80, z)
            }
            guard let curve = pace.curve else { return ResponseAPDU(status: .conditionsNotSatisfied) }
            switch first.tag {
            case 0x81:
                let terminalMapping = try curve.decode(first.value)
                let mappingPrivate = try curve.randomScalar()
                let mine = try curve.multiplyGenerator(mappingPrivate)
                let shared = try curve.multiply(mappingPrivate, terminalMapping)
                pace.generator = try curve.add(try curve.multiplyGenerator(pace.nonce), shared)
                return Self.dynamic(0x82, mine.uncompressed)
            case 0x83:
                guard let generator = pace.generator else { return ResponseAPDU(status: .conditionsNotSatisfied) }
                let terminal = try curve.decode(first.value)
                let ephemeralPrivate = try curve.randomScalar()
                let mine = try curve.multiply(ephemeralPrivate, generator)
                guard mine != terminal else { return ResponseAPDU(status: .wrongData) }
                let secret = try curve.multiply(ephemeralPrivate, terminal).x
                pace.keys = (
                    KeyDerivation.derive(seed: secret, counter: KeyDerivation.encryptionCounter, for: cipher),
                    KeyDerivation.derive(seed: secret, counter: KeyDerivation.macCounter, for: cipher)
                )
                pace.chipPublic = mine
                pace.terminalPublic = terminal
                return Self.dynamic(0x84, mine.uncompressed)
            case 0x85:
                guard let keys = pace.keys, let mine = pace.chipPublic, let terminal = pace.terminalPublic else {
                    return ResponseAPDU(status: .conditionsNotSatisfied)
                }
                let expected = try Self.token(
                    cipher, keys.mac,
                    PACEProtocol.publicKeyObject(oid: info.oid, point: mine))
                pace = PACEChipState()
                guard expected == first.value else {
                    paceAttemptsLeft = max(0, paceAttemptsLeft - 1)
                    return ResponseAPDU(status: StatusWord(sw1: 0x63, sw2: 0xC0 | UInt8(min(paceAttemptsLeft, 15))))
                }
                paceAttemptsLeft = secrets.paceAttempts
                let answer = try Self.token(
                    cipher, keys.mac,
                    PACEProtocol.publicKeyObject(oid: info.oid, point: terminal))
                open(try SecureMessagingSession(algorithm: cipher, encryptionKey: keys.enc, macKey: keys.mac))
                return Self.dynamic(0x86, answer)
            default:
                return ResponseAPDU(status: .wrongData)
            }
        } catch {
            pace = PACEChipState()
            return ResponseAPDU(status: .wrongData)
        }
    }

    private static func token(_ cipher: CipherAlgorithm, _ key: [UInt8], _ input: [UInt8]) throws -> [UInt8] {
        cipher == .tripleDES ? try RetailMAC.mac(key: key, input) : Array(try AESCMAC.mac(key: key, input)[0..<8])
    }

    private static func dynamic(_ tag: UInt32, _ value: [UInt8]) -> ResponseAPDU {
        ResponseAPDU(data: TLV.encode(tag: 0x7C, value: TLV.encode(tag: tag, value: value)), status: .success)
    }

    static func randomBytes(_ count: Int) -> [UInt8] { SystemRandomSource().bytes(count) }
}

/// The chip's PACE state between GENERAL AUTHENTICATE steps.
struct PACEChipState {
    var configured = false
    var password: [UInt8] = []
    var curve: ECCurve?
    var nonce: [UInt8] = []
    var generator: ECPoint?
    var keys: (enc: [UInt8], mac: [UInt8])?
    var chipPublic: ECPoint?
    var terminalPublic: ECPoint?
}
