import SmartCard

@testable import ChipID

/// An in-memory eMRTD for tests: card-side BAC, PACE (ECDH-GM, CAN or MRZ), 3DES/AES secure messaging, READ BINARY
/// by short EF identifier / offset / odd INS, SELECT by FID and AID. Files need a session once the application
/// is selected. Faults can be injected (tampered response MAC, no short-EF support).
actor InMemoryCard: CardTransport {
    struct Configuration: Sendable {
        var files: [LDSFile: [UInt8]]
        var cardAccess: [UInt8]?
        var mrz: MRZKeySeed
        var can: String = "123456"
        var limits: TransportLimits = .short
        var supportsShortIDs = true
        /// Corrupt the MAC of the protected response with this 1-based index.
        var corruptResponseMAC: Int?
        /// PACE attempts counter reported in 63Cx.
        var paceTries = 3
        /// Answer `6700` to READ BINARY asking more than this (a card whose buffer is smaller than it claims).
        var rejectLeAbove: Int?
        /// Answer READ BINARY past the end of a file with this status and no data (nil: the bytes with `6282`).
        var readPastEndStatus: StatusWord?
        /// Refuse MSE:Set AT for this password reference (1 MRZ, 2 CAN) with `6A80`.
        var refusePACEReference: UInt8?
    }

    private var config: Configuration
    private let random: any RandomSource
    private var applicationSelected = false
    private var current: LDSFile?
    private var session: SecureMessagingSession?
    private var protectedResponses = 0
    // BAC
    private var rndIC: [UInt8]?
    // PACE
    private var paceOID: String?
    private var paceParameter: Int?
    private var pacePasswordRef: UInt8?
    private var paceNonce: [UInt8] = []
    private var paceGenerator: ECPoint?
    private var paceEphemeralPrivate: [UInt8] = []
    private var paceEphemeralPublic: ECPoint?
    private var paceKeys: (enc: [UInt8], mac: [UInt8])?
    private var paceCurve: ECCurve?
    private var paceMappingPrivate: [UInt8] = []

    private(set) var received: [CommandAPDU] = []

    init(_ config: Configuration, random: any RandomSource = ScriptedRandom()) {
        self.config = config
        self.random = random
    }

    var limits: TransportLimits { config.limits }

    var commandCount: Int { received.count }

    func transmit(_ command: CommandAPDU) async throws -> ResponseAPDU {
        received.append(command)
        if command.cla & 0x0C == 0x0C {
            guard var active = session else { return ResponseAPDU(status: .smObjectsMissing) }
            let plain: CommandAPDU
            do {
                plain = try active.unprotectCommand(command)
            } catch {
                session = nil
                return ResponseAPDU(status: .smObjectsIncorrect)
            }
            session = active
            let answer = handle(plain, secured: true)
            // An established session (BAC/PACE inside SM are not used here) protects the answer.
            guard var live = session else { return answer }
            var protected = try live.protectResponse(answer, oddINS: plain.ins & 1 == 1)
            session = live
            protectedResponses += 1
            if protectedResponses == config.corruptResponseMAC {
                protected.data[protected.data.count - 1] ^= 0x01
            }
            return protected
        }
        if session != nil, command.ins != 0x86, command.ins != 0x22 {
            session = nil  // a plain command ends secure messaging
        }
        return handle(command, secured: false)
    }

    // MARK: - Commands

    private func handle(_ command: CommandAPDU, secured: Bool) -> ResponseAPDU {
        switch command.ins {
        case 0xA4: return select(command, secured: secured)
        case 0xB0, 0xB1: return readBinary(command, secured: secured)
        case 0x84: return getChallenge(command)
        case 0x82: return externalAuthenticate(command)
        case 0x22: return mseSetAT(command)
        case 0x86: return generalAuthenticate(command)
        default: return ResponseAPDU(status: .insNotSupported)
        }
    }

    private func select(_ command: CommandAPDU, secured: Bool) -> ResponseAPDU {
        switch (command.p1, command.p2) {
        case (0x04, 0x0C):
            guard command.data == FileReader.eMRTDApplicationID else { return ResponseAPDU(status: .fileNotFound) }
            applicationSelected = true
            current = nil
            return ResponseAPDU(status: .success)
        case (0x02, 0x0C):
            guard command.data.count == 2 else { return ResponseAPDU(status: .wrongLength) }
            let fid = UInt16(command.data[0]) << 8 | UInt16(command.data[1])
            if !applicationSelected {
                guard fid == 0x011C, config.cardAccess != nil else { return ResponseAPDU(status: .fileNotFound) }
                current = .cardAccess
                return ResponseAPDU(status: .success)
            }
            guard secured else { return ResponseAPDU(status: .securityStatusNotSatisfied) }
            guard let file = config.files.keys.first(where: { $0.fileID == fid }) else {
                return ResponseAPDU(status: .fileNotFound)
            }
            current = file
            return ResponseAPDU(status: .success)
        default:
            return ResponseAPDU(status: .insNotSupported)  // e.g. SELECT MF, as CCCD chips answer
        }
    }

    private func contents(_ file: LDSFile) -> [UInt8]? {
        file == .cardAccess ? config.cardAccess : config.files[file]
    }

    private func readBinary(_ command: CommandAPDU, secured: Bool) -> ResponseAPDU {
        var offset: Int
        if command.ins == 0xB1 {
            guard let object = try? TLV.parse(command.data).0, object.tag == 0x54, !object.value.isEmpty else {
                return ResponseAPDU(status: .wrongData)
            }
            offset = object.value.reduce(0) { $0 << 8 | Int($1) }
        } else if command.p1 & 0x80 != 0 {
            guard config.supportsShortIDs else { return ResponseAPDU(status: .wrongP1P2) }
            guard applicationSelected else { return ResponseAPDU(status: .securityStatusNotSatisfied) }
            guard let file = config.files.keys.first(where: { $0.shortID == command.p1 & 0x1F }) else {
                return ResponseAPDU(status: .fileNotFound)
            }
            current = file
            offset = Int(command.p2)
        } else {
            offset = Int(command.p1) << 8 | Int(command.p2)
        }
        guard let file = current, let bytes = contents(file) else { return ResponseAPDU(status: .noCurrentEF) }
        if file != .cardAccess && !secured { return ResponseAPDU(status: .securityStatusNotSatisfied) }
        guard offset <= bytes.count else { return ResponseAPDU(status: .wrongParameters) }
        if let limit = config.rejectLeAbove, (command.le ?? 256) > limit { return ResponseAPDU(status: .wrongLength) }
        var le = min(command.le ?? 256, config.limits.maxResponseData)
        if command.ins == 0xB1 {
            // Room for the DO'53' wrapper.
            var room = max(0, le - 2)
            while room > 0 && 1 + TLV.encodeLength(room).count + room > le { room -= 1 }
            le = room
        }
        let end = min(bytes.count, offset + le)
        let slice = Array(bytes[offset..<end])
        let status: StatusWord = end - offset < le ? .endOfFile : .success
        if status == .endOfFile, let strict = config.readPastEndStatus { return ResponseAPDU(status: strict) }
        if command.ins == 0xB1 { return ResponseAPDU(data: TLV.encode(tag: 0x53, value: slice), status: status) }
        return ResponseAPDU(data: slice, status: status)
    }

    // MARK: - BAC (card side)

    private func getChallenge(_ command: CommandAPDU) -> ResponseAPDU {
        let challenge = random.bytes(8)
        rndIC = challenge
        return ResponseAPDU(data: challenge, status: .success)
    }

    private func externalAuthenticate(_ command: CommandAPDU) -> ResponseAPDU {
        guard let rndIC, command.data.count == 40 else { return ResponseAPDU(status: .conditionsNotSatisfied) }
        self.rndIC = nil
        let bac = BACProtocol(seed: config.mrz)
        let eIFD = Array(command.data[0..<32])
        guard let mac = try? RetailMAC.mac(key: bac.kMac, eIFD), mac == Array(command.data[32..<40]),
            let s = try? TripleDES.decryptCBC(key: bac.kEnc, eIFD), Array(s[8..<16]) == rndIC
        else {
            return ResponseAPDU(status: StatusWord(0x6300))
        }
        let rndIFD = Array(s[0..<8])
        let kIFD = Array(s[16..<32])
        let kIC = random.bytes(16)
        guard let eIC = try? TripleDES.encryptCBC(key: bac.kEnc, rndIC + rndIFD + kIC),
            let mIC = try? RetailMAC.mac(key: bac.kMac, eIC)
        else { return ResponseAPDU(status: .noPreciseDiagnosis) }
        let seed = Bytes.xor(kIC, kIFD)
        session = try? SecureMessagingSession(
            algorithm: .tripleDES,
            encryptionKey: KeyDerivation.derive(seed: seed, counter: 1, for: .tripleDES),
            macKey: KeyDerivation.derive(seed: seed, counter: 2, for: .tripleDES),
            ssc: Array(rndIC[4..<8]) + Array(rndIFD[4..<8]))
        return ResponseAPDU(data: eIC + mIC, status: .success)
    }

    // MARK: - PACE (card side, ECDH generic mapping)

    private func mseSetAT(_ command: CommandAPDU) -> ResponseAPDU {
        guard command.p1 == 0xC1, command.p2 == 0xA4, let objects = try? TLV.sequence(command.data),
            let oid = objects.first(where: { $0.tag == 0x80 }), let ref = objects.first(where: { $0.tag == 0x83 })
        else { return ResponseAPDU(status: .wrongData) }
        if let refused = config.refusePACEReference, ref.value.first == refused {
            return ResponseAPDU(status: .wrongData)
        }
        paceOID = try? ASN1.oidString(oid.value)
        pacePasswordRef = ref.value.first
        paceParameter = objects.first(where: { $0.tag == 0x84 }).map { Int($0.value[0]) } ?? 13
        return ResponseAPDU(status: .success)
    }

    private func paceCipher() -> CipherAlgorithm? {
        guard let paceOID else { return nil }
        return PACEInfo(oid: paceOID, version: 2, parameterID: paceParameter).cipher
    }

    private func generalAuthenticate(_ command: CommandAPDU) -> ResponseAPDU {
        guard let cipher = paceCipher(), let paceOID,
            let outer = try? TLV.single(command.data, expecting: 0x7C, "GA"), let inner = try? outer.children()
        else { return ResponseAPDU(status: .wrongData) }
        do {
            if inner.isEmpty {
                let curve = try ECCurve(standardizedParameterID: paceParameter ?? 13)
                paceCurve = curve
                let password: [UInt8] = pacePasswordRef == 2 ? Array(config.can.utf8) : config.mrz.informationHash
                let kpi = KeyDerivation.derive(seed: password, counter: 3, for: cipher)
                paceNonce = random.bytes(16)
                let z =
                    cipher == .tripleDES
                    ? try TripleDES.encryptCBC(key: kpi, paceNonce)
                    : try AESCipher.encryptCBC(key: kpi, paceNonce)
                return dynamic(0x80, z)
            }
            guard let curve = paceCurve, let first = inner.first else {
                return ResponseAPDU(status: .conditionsNotSatisfied)
            }
            switch first.tag {
            case 0x81:
                let terminalMapping = try curve.decode(first.value)
                paceMappingPrivate = try curve.randomScalar()
                let mine = try curve.multiplyGenerator(paceMappingPrivate)
                let h = try curve.multiply(paceMappingPrivate, terminalMapping)
                paceGenerator = try curve.add(try curve.multiplyGenerator(paceNonce), h)
                return dynamic(0x82, mine.uncompressed)
            case 0x83:
                guard let generator = paceGenerator else { return ResponseAPDU(status: .conditionsNotSatisfied) }
                let terminal = try curve.decode(first.value)
                paceEphemeralPrivate = try curve.randomScalar()
                let mine = try curve.multiply(paceEphemeralPrivate, generator)
                paceEphemeralPublic = mine
                let secret = try curve.multiply(paceEphemeralPrivate, terminal).x
                paceKeys = (
                    KeyDerivation.derive(seed: secret, counter: 1, for: cipher),
                    KeyDerivation.derive(seed: secret, counter: 2, for: cipher)
                )
                paceTerminalPublic = terminal
                return dynamic(0x84, mine.uncompressed)
            case 0x85:
                guard let keys = paceKeys, let mine = paceEphemeralPublic, let terminal = paceTerminalPublic else {
                    return ResponseAPDU(status: .conditionsNotSatisfied)
                }
                let expected = try token(cipher, keys.mac, PACEProtocol.publicKeyObject(oid: paceOID, point: mine))
                guard expected == first.value else {
                    config.paceTries = max(0, config.paceTries - 1)
                    return ResponseAPDU(status: StatusWord(sw1: 0x63, sw2: 0xC0 | UInt8(config.paceTries)))
                }
                let answer = try token(cipher, keys.mac, PACEProtocol.publicKeyObject(oid: paceOID, point: terminal))
                session = try SecureMessagingSession(algorithm: cipher, encryptionKey: keys.enc, macKey: keys.mac)
                return dynamic(0x86, answer)
            default:
                return ResponseAPDU(status: .wrongData)
            }
        } catch {
            return ResponseAPDU(status: .wrongData)
        }
    }

    private var paceTerminalPublic: ECPoint?

    private func token(_ cipher: CipherAlgorithm, _ key: [UInt8], _ input: [UInt8]) throws -> [UInt8] {
        cipher == .tripleDES ? try RetailMAC.mac(key: key, input) : Array(try AESCMAC.mac(key: key, input)[0..<8])
    }

    private func dynamic(_ tag: UInt32, _ value: [UInt8]) -> ResponseAPDU {
        ResponseAPDU(data: TLV.encode(tag: 0x7C, value: TLV.encode(tag: tag, value: value)), status: .success)
    }
}
