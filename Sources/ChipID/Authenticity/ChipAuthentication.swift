import SmartCard

/// Chip Authentication version 1 (ICAO 9303-11 §6.2), reader side, ECDH: an ephemeral key on the chip key's
/// curve, `MSE:Set KAT` (3DES) or `MSE:Set AT` + `GENERAL AUTHENTICATE` (AES), over the running secure
/// messaging; then new session keys KDF(K, 1/2) with SSC zero. The chip proves it holds the private key only by
/// answering correctly under the new keys, so callers must confirm with one protected command (see
/// `confirmationCommand`) before trusting the result.
public enum ChipAuthentication {
    /// The first command sent under the new keys to confirm them: SELECT EF DG14 (harmless; FileReader reads by
    /// short EF identifier afterwards).
    public static let confirmationCommand = FileReader.selectEF(LDSFile.dg(14).fileID)

    /// The outcome of the key agreement: the new session and the terminal's ephemeral key pair (used once; kept
    /// so the central can recompute the session keys from the chip evidence, see `ChipAuthenticationTranscript`).
    public struct Agreement: Sendable {
        /// The session under the new keys, SSC zero.
        public var session: SecureMessagingSession
        /// The terminal's ephemeral private scalar (big-endian, the curve order's length).
        public var terminalPrivateKey: [UInt8]
        /// The terminal's ephemeral public point, uncompressed.
        public var terminalPublicKey: [UInt8]
    }

    /// Runs the key agreement over `transport` (the current SM channel) and returns the new session.
    public static func perform(
        over transport: any CardTransport,
        info: SecurityInfos.ChipAuthenticationInfo,
        key: SecurityInfos.ChipAuthenticationPublicKey,
        random: any RandomSource = SystemRandomSource()
    ) async throws(ChipIDError)
        -> SecureMessagingSession
    {
        try await agree(over: transport, info: info, key: key, random: random).session
    }

    /// Runs the key agreement over `transport` and returns the new session with the terminal's ephemeral keys.
    public static func agree(
        over transport: any CardTransport,
        info: SecurityInfos.ChipAuthenticationInfo,
        key: SecurityInfos.ChipAuthenticationPublicKey,
        random: any RandomSource = SystemRandomSource()
    ) async throws(ChipIDError)
        -> Agreement
    {
        guard info.isECDH, let cipher = info.cipher else {
            throw ChipIDError(.unsupported, "Chip Authentication \(info) is not supported (ECDH only)")
        }
        guard let nid = key.key.curveNID, let encoded = key.key.ecPoint else {
            throw ChipIDError(.unsupported, "Chip Authentication key \(key.key) is not on a known curve")
        }
        let curve = try ECCurve(nid: nid)
        let chipPoint = try curve.decode(encoded)
        let secret = try scalar(curve, random)
        let ephemeral = try curve.multiplyGenerator(secret)
        let keyReference = info.keyID.map { TLV.encode(tag: 0x84, value: minimalBytes($0)) } ?? []
        if cipher == .tripleDES {
            let data = TLV.encode(tag: 0x91, value: ephemeral.uncompressed) + keyReference
            try await expectSuccess(CommandAPDU(ins: 0x22, p1: 0x41, p2: 0xA6, data: data), transport, "MSE:Set KAT")
        } else {
            let data = TLV.encode(tag: 0x80, value: ASN1.oidBytes(info.oid)) + keyReference
            try await expectSuccess(CommandAPDU(ins: 0x22, p1: 0x41, p2: 0xA4, data: data), transport, "MSE:Set AT")
            let dynamic = TLV.encode(tag: 0x7C, value: TLV.encode(tag: 0x80, value: ephemeral.uncompressed))
            let response = try await expectSuccess(
                CommandAPDU(ins: 0x86, p1: 0x00, p2: 0x00, data: dynamic, le: CommandAPDU.maxShortLe), transport,
                "GENERAL AUTHENTICATE")
            guard response.data.first == 0x7C else {
                throw ChipIDError(.protocolViolation, "GENERAL AUTHENTICATE answer is not dynamic authentication data")
            }
        }
        return Agreement(
            session: try session(cipher, curve, secret, chipPoint), terminalPrivateKey: secret,
            terminalPublicKey: ephemeral.uncompressed)
    }

    /// The session keys KDF(K, 1/2) from the ECDH secret of `secret` and `chipPoint`, SSC zero.
    static func session(
        _ cipher: CipherAlgorithm, _ curve: ECCurve, _ secret: [UInt8],
        _ chipPoint: ECPoint
    ) throws(ChipIDError) -> SecureMessagingSession {
        let shared = try curve.multiply(secret, chipPoint).x
        return try SecureMessagingSession(
            algorithm: cipher,
            encryptionKey: KeyDerivation.derive(seed: shared, counter: KeyDerivation.encryptionCounter, for: cipher),
            macKey: KeyDerivation.derive(seed: shared, counter: KeyDerivation.macCounter, for: cipher))
    }

    @discardableResult
    private static func expectSuccess(
        _ command: CommandAPDU, _ transport: any CardTransport,
        _ what: String
    ) async throws(ChipIDError) -> ResponseAPDU {
        let response = try await BACProtocol.send(command, over: transport)
        guard response.status.isSuccess else {
            throw ChipIDError(.cardRefused, "Chip Authentication: \(what) refused", status: response.status)
        }
        return response
    }

    /// A private scalar in [1, n−1] from `random` (rejection sampling, so scripted vectors are used as given).
    static func scalar(_ curve: ECCurve, _ random: any RandomSource) throws(ChipIDError) -> [UInt8] {
        for _ in 0..<64 {
            let candidate = random.bytes(curve.order.count)
            let nonZero = candidate.contains { $0 != 0 }
            let below = candidate.lexicographicallyPrecedes(curve.order)
            if nonZero && below { return candidate }
        }
        throw ChipIDError(.crypto, "random source gave no valid scalar")
    }

    static func minimalBytes(_ value: Int) -> [UInt8] {
        var bytes = Bytes.bigEndian(value, width: 4)
        while bytes.count > 1 && bytes[0] == 0 { bytes.removeFirst() }
        if bytes[0] & 0x80 != 0 { bytes.insert(0, at: 0) }
        return bytes
    }
}
