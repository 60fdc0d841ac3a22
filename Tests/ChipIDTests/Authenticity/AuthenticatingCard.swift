import COpenSSL
import SmartCard

@testable import ChipID

/// An in-memory eMRTD for the authenticity tests: card-side BAC (3DES SM), READ BINARY by short EF identifier,
/// SELECT by FID/AID, Chip Authentication v1 (MSE:Set KAT for 3DES, MSE:Set AT + GENERAL AUTHENTICATE for AES,
/// new SM keys after the answer) and Active Authentication (INTERNAL AUTHENTICATE with RSA ISO 9796-2 or ECDSA).
/// A "clone" holds the public DG14/DG15 but not the private keys.
actor AuthenticatingCard: CardTransport {
    enum AASigner: Sendable {
        case rsa(TestPrivateKey, DigestAlgorithm)
        case ecdsa(TestPrivateKey, DigestAlgorithm, fieldSize: Int)
    }

    struct Configuration: Sendable {
        var files: [LDSFile: [UInt8]]
        var mrz: MRZKeySeed
        /// Chip Authentication: curve and the private scalar the card really uses.
        var caCurveNID: Int32 = NID_brainpoolP256r1
        var caPrivate: [UInt8]?
        /// Active Authentication signer.
        var aa: AASigner?
        /// Start with this SM session already established (skips BAC; tests of CA/AA alone).
        var session: SecureMessagingSession?
    }

    private var config: Configuration
    private var session: SecureMessagingSession?
    private var applicationSelected = false
    private var current: LDSFile?
    private var rndIC: [UInt8]?
    private var caOID: String?
    private let random = ScriptedRandom()
    private(set) var received: [CommandAPDU] = []
    private(set) var plainCommands: [CommandAPDU] = []
    private(set) var caRuns = 0

    init(_ config: Configuration) {
        self.config = config
        self.session = config.session
        self.applicationSelected = config.session != nil
    }

    var limits: TransportLimits { .short }

    func transmit(_ command: CommandAPDU) async throws -> ResponseAPDU {
        received.append(command)
        guard command.cla & 0x0C == 0x0C else { return plain(command) }
        guard var active = session, let unwrapped = try? active.unprotectCommand(command) else {
            session = nil
            return ResponseAPDU(status: .smObjectsIncorrect)
        }
        plainCommands.append(unwrapped)
        let (answer, next) = handle(unwrapped)
        let protected = try active.protectResponse(answer, oddINS: unwrapped.ins & 1 == 1)
        session = next ?? active
        return protected
    }

    // MARK: - Plain commands (before BAC)

    private func plain(_ command: CommandAPDU) -> ResponseAPDU {
        switch command.ins {
        case 0xA4 where command.p1 == 0x04:
            guard command.data == FileReader.eMRTDApplicationID else { return ResponseAPDU(status: .fileNotFound) }
            applicationSelected = true
            return ResponseAPDU(status: .success)
        case 0xA4: return ResponseAPDU(status: .fileNotFound)  // no EF.CardAccess: BAC
        case 0x84:
            let challenge = random.bytes(8)
            rndIC = challenge
            return ResponseAPDU(data: challenge, status: .success)
        case 0x82: return externalAuthenticate(command)
        default: return ResponseAPDU(status: .securityStatusNotSatisfied)
        }
    }

    private func externalAuthenticate(_ command: CommandAPDU) -> ResponseAPDU {
        guard let rndIC, command.data.count == 40 else { return ResponseAPDU(status: .conditionsNotSatisfied) }
        let bac = BACProtocol(seed: config.mrz)
        let eIFD = Array(command.data[0..<32])
        guard let s = try? TripleDES.decryptCBC(key: bac.kEnc, eIFD), Array(s[8..<16]) == rndIC else {
            return ResponseAPDU(status: StatusWord(0x6300))
        }
        let rndIFD = Array(s[0..<8])
        let kIC = random.bytes(16)
        guard let eIC = try? TripleDES.encryptCBC(key: bac.kEnc, rndIC + rndIFD + kIC),
            let mIC = try? RetailMAC.mac(key: bac.kMac, eIC)
        else { return ResponseAPDU(status: .noPreciseDiagnosis) }
        let seed = Bytes.xor(kIC, Array(s[16..<32]))
        session = try? SecureMessagingSession(
            algorithm: .tripleDES, encryptionKey: KeyDerivation.derive(seed: seed, counter: 1, for: .tripleDES),
            macKey: KeyDerivation.derive(seed: seed, counter: 2, for: .tripleDES),
            ssc: Array(rndIC[4..<8]) + Array(rndIFD[4..<8]))
        return ResponseAPDU(data: eIC + mIC, status: .success)
    }

    // MARK: - Protected commands

    private func handle(_ command: CommandAPDU) -> (ResponseAPDU, SecureMessagingSession?) {
        switch command.ins {
        case 0xA4:
            guard command.p1 == 0x02, command.data.count == 2 else { return (ResponseAPDU(status: .wrongP1P2), nil) }
            let fid = UInt16(command.data[0]) << 8 | UInt16(command.data[1])
            guard let file = config.files.keys.first(where: { $0.fileID == fid }) else {
                return (ResponseAPDU(status: .fileNotFound), nil)
            }
            current = file
            return (ResponseAPDU(status: .success), nil)
        case 0xB0: return (readBinary(command), nil)
        case 0x22: return mse(command)
        case 0x86: return generalAuthenticate(command)
        case 0x88: return (internalAuthenticate(command), nil)
        default: return (ResponseAPDU(status: .insNotSupported), nil)
        }
    }

    private func readBinary(_ command: CommandAPDU) -> ResponseAPDU {
        var offset = Int(command.p1) << 8 | Int(command.p2)
        if command.p1 & 0x80 != 0 {
            guard let file = config.files.keys.first(where: { $0.shortID == command.p1 & 0x1F }) else {
                return ResponseAPDU(status: .fileNotFound)
            }
            current = file
            offset = Int(command.p2)
        }
        guard let file = current, let bytes = config.files[file], offset <= bytes.count else {
            return ResponseAPDU(status: .noCurrentEF)
        }
        let le = command.le ?? 256
        let end = min(bytes.count, offset + le)
        return ResponseAPDU(data: Array(bytes[offset..<end]), status: end - offset < le ? .endOfFile : .success)
    }

    private func mse(_ command: CommandAPDU) -> (ResponseAPDU, SecureMessagingSession?) {
        guard let objects = try? TLV.sequence(command.data) else { return (ResponseAPDU(status: .wrongData), nil) }
        switch (command.p1, command.p2) {
        case (0x41, 0xA6):  // MSE:Set KAT (3DES)
            guard let key = objects.first(where: { $0.tag == 0x91 }) else {
                return (ResponseAPDU(status: .wrongData), nil)
            }
            return agree(key.value, cipher: .tripleDES, answer: [])
        case (0x41, 0xA4):  // MSE:Set AT
            guard let oid = objects.first(where: { $0.tag == 0x80 }) else {
                return (ResponseAPDU(status: .wrongData), nil)
            }
            caOID = try? ASN1.oidString(oid.value)
            return (ResponseAPDU(status: .success), nil)
        default:
            return (ResponseAPDU(status: .wrongP1P2), nil)
        }
    }

    private func generalAuthenticate(_ command: CommandAPDU) -> (ResponseAPDU, SecureMessagingSession?) {
        guard let oid = caOID, let cipher = SecurityInfos.ChipAuthenticationInfo(oid: oid, version: 1).cipher,
            let outer = try? TLV.single(command.data, expecting: 0x7C, "GA"),
            let key = try? outer.child(0x80)
        else { return (ResponseAPDU(status: .conditionsNotSatisfied), nil) }
        return agree(key.value, cipher: cipher, answer: [0x7C, 0x00])
    }

    private func agree(
        _ terminalKey: [UInt8], cipher: CipherAlgorithm,
        answer: [UInt8]
    ) -> (ResponseAPDU, SecureMessagingSession?) {
        guard let secret = config.caPrivate, let curve = try? ECCurve(nid: config.caCurveNID),
            let point = try? curve.decode(terminalKey), let shared = try? curve.multiply(secret, point).x
        else {
            return (ResponseAPDU(status: .wrongData), nil)
        }
        caRuns += 1
        let next = try? SecureMessagingSession(
            algorithm: cipher, encryptionKey: KeyDerivation.derive(seed: shared, counter: 1, for: cipher),
            macKey: KeyDerivation.derive(seed: shared, counter: 2, for: cipher))
        return (ResponseAPDU(data: answer, status: .success), next)
    }

    private func internalAuthenticate(_ command: CommandAPDU) -> ResponseAPDU {
        guard command.data.count == 8, let signer = config.aa else { return ResponseAPDU(status: .insNotSupported) }
        switch signer {
        case .rsa(let key, let digest):
            let m1Length = key.size - 1 - digest.length - (digest == .sha1 ? 1 : 2)
            let f = ISO9796Scheme1.encode(m1: random.bytes(m1Length), challenge: command.data, digest: digest)
            return ResponseAPDU(data: key.rsaRaw(f), status: .success)
        case .ecdsa(let key, let digest, let size):
            return ResponseAPDU(data: key.ecdsaPlain(command.data, digest: digest, fieldSize: size), status: .success)
        }
    }
}

/// DG14 / DG15 builders for the test card.
enum AuthenticationFiles {
    /// DG14 with a CA info (`oid`), the CA public key on brainpoolP256r1 (named curve), and optionally an AA info.
    static func dg14(
        caOID: String = "0.4.0.127.0.7.2.2.3.2.2", curve: ECCurve, publicKey: ECPoint,
        keyID: Int? = nil, aaAlgorithm: String? = nil
    ) -> [UInt8] {
        let keyIDBytes = keyID.map { TLV.encode(tag: 0x02, value: [UInt8($0)]) } ?? []
        let caInfo = TLV.encode(
            tag: 0x30,
            value: TLV.encode(tag: 0x06, value: ASN1.oidBytes(caOID))
                + [0x02, 0x01, 0x01] + keyIDBytes)
        let algorithm = TLV.encode(
            tag: 0x30,
            value: TLV.encode(tag: 0x06, value: ASN1.oidBytes("1.2.840.10045.2.1"))
                + TLV.encode(tag: 0x06, value: ASN1.oidBytes(curveOID(curve.nid))))
        let bitString = TLV.encode(tag: 0x03, value: [0x00] + publicKey.uncompressed)
        let spki = TLV.encode(tag: 0x30, value: algorithm + bitString)
        let keyInfo = TLV.encode(
            tag: 0x30,
            value: TLV.encode(tag: 0x06, value: ASN1.oidBytes("0.4.0.127.0.7.2.2.1.2"))
                + spki + keyIDBytes)
        var infos = caInfo + keyInfo
        if let aaAlgorithm {
            infos += TLV.encode(
                tag: 0x30,
                value: TLV.encode(tag: 0x06, value: ASN1.oidBytes("2.23.136.1.1.5"))
                    + [0x02, 0x01, 0x01] + TLV.encode(tag: 0x06, value: ASN1.oidBytes(aaAlgorithm)))
        }
        return TLV.encode(tag: 0x6E, value: TLV.encode(tag: 0x31, value: infos))
    }

    /// DG15 around a key's SubjectPublicKeyInfo.
    static func dg15(_ key: TestPrivateKey) -> [UInt8] { TLV.encode(tag: 0x6F, value: key.subjectPublicKeyInfo) }

    static func curveOID(_ nid: Int32) -> String {
        switch nid {
        case NID_brainpoolP256r1: "1.3.36.3.3.2.8.1.1.7"
        case NID_brainpoolP384r1: "1.3.36.3.3.2.8.1.1.11"
        case NID_X9_62_prime256v1: "1.2.840.10045.3.1.7"
        default: "1.3.36.3.3.2.8.1.1.7"
        }
    }
}
