import SmartCard

/// PACE with ECDH generic mapping (ICAO 9303-11 §4.4, BSI TR-03110) as pure steps, for a CAN or MRZ password:
/// MSE:Set AT, then four GENERAL AUTHENTICATE exchanges (encrypted nonce, mapping, key agreement, tokens),
/// ending in AES or 3DES session keys with SSC zero. Private scalars come from a `RandomSource` so the ICAO
/// worked example can be replayed exactly.
public struct PACEProtocol: Sendable, CustomStringConvertible {
    /// Where the exchange stands.
    public enum State: Sendable, Equatable {
        /// Send MSE:Set AT and `nonceRequest`; feed the answer to `receiveNonce`.
        case awaitingNonce
        /// Feed the mapping answer to `receiveMappingKey`.
        case awaitingMappingKey
        /// Feed the key-agreement answer to `receiveEphemeralKey`.
        case awaitingEphemeralKey
        /// Feed the token answer to `receiveToken`.
        case awaitingToken
        /// Done: the session was returned.
        case established
        /// A check failed; start again.
        case failed
    }

    /// The current step.
    public private(set) var state: State = .awaitingNonce
    /// The PACEInfo being run.
    public let info: PACEInfo
    /// The session cipher.
    public let cipher: CipherAlgorithm
    private let curve: ECCurve
    private let passwordKey: [UInt8]
    private let passwordReference: UInt8
    private let random: any RandomSource
    private var nonce: [UInt8] = []
    private var mappingPrivate: [UInt8] = []
    private var mappedGenerator: ECPoint?
    private var ephemeralPrivate: [UInt8] = []
    private var ephemeralPublic: ECPoint?
    private var chipEphemeral: ECPoint?
    private var sessionEncKey: [UInt8] = []
    private var sessionMacKey: [UInt8] = []

    /// Prepares PACE for `info` with `key`. Throws `unsupported` for mappings or curves this reader lacks.
    public init(info: PACEInfo, key: AccessKey, random: any RandomSource = SystemRandomSource()) throws(ChipIDError) {
        guard info.mapping == .ecdhGeneric, let cipher = info.cipher, let parameter = info.parameterID else {
            throw ChipIDError(.unsupported, "PACE variant \(info) is not supported (ECDH generic mapping only)")
        }
        self.info = info
        self.cipher = cipher
        self.curve = try ECCurve(standardizedParameterID: parameter)
        self.passwordKey = KeyDerivation.derive(
            seed: key.pacePassword, counter: KeyDerivation.passwordCounter,
            for: cipher)
        self.passwordReference = key.passwordReference
        self.random = random
    }

    public var description: String { "PACEProtocol(\(info), \(state), keys redacted)" }

    /// MSE:Set AT `00 22 C1 A4` { 80 OID, 83 password reference, 84 parameter ID }.
    public var mseSetAT: CommandAPDU {
        var data = TLV.encode(tag: 0x80, value: ASN1.oidBytes(info.oid))
        data += TLV.encode(tag: 0x83, value: [passwordReference])
        if let parameter = info.parameterID { data += TLV.encode(tag: 0x84, value: [UInt8(parameter)]) }
        return CommandAPDU(ins: 0x22, p1: 0xC1, p2: 0xA4, data: data)
    }

    /// GENERAL AUTHENTICATE step 1 (empty dynamic authentication data), chained.
    public var nonceRequest: CommandAPDU { Self.generalAuthenticate([], last: false) }

    /// Step 1 answer `7C { 80 z }`: decrypts the nonce, makes the mapping key pair, returns step 2 (`81` PK).
    public mutating func receiveNonce(_ data: [UInt8]) throws(ChipIDError) -> CommandAPDU {
        try expect(.awaitingNonce)
        let z = try Self.dynamicObject(data, tag: 0x80)
        guard z.count % cipher.blockSize == 0, !z.isEmpty else {
            return try fail(.protocolViolation, "PACE encrypted nonce is not whole blocks")
        }
        nonce =
            cipher == .tripleDES
            ? try TripleDES.decryptCBC(key: passwordKey, z)
            : try AESCipher.decryptCBC(key: passwordKey, z)
        mappingPrivate = try scalar()
        let mappingPublic = try curve.multiplyGenerator(mappingPrivate)
        state = .awaitingMappingKey
        return Self.generalAuthenticate(TLV.encode(tag: 0x81, value: mappingPublic.uncompressed), last: false)
    }

    /// Step 2 answer `7C { 82 PK_map,IC }`: computes G~ = s·G + H and the ephemeral key pair; returns step 3.
    public mutating func receiveMappingKey(_ data: [UInt8]) throws(ChipIDError) -> CommandAPDU {
        try expect(.awaitingMappingKey)
        let chipMapping = try curve.decode(try Self.dynamicObject(data, tag: 0x82))
        let shared = try curve.multiply(mappingPrivate, chipMapping)
        let generator = try curve.add(try curve.multiplyGenerator(nonce), shared)
        mappedGenerator = generator
        ephemeralPrivate = try scalar()
        let publicKey = try curve.multiply(ephemeralPrivate, generator)
        ephemeralPublic = publicKey
        state = .awaitingEphemeralKey
        return Self.generalAuthenticate(TLV.encode(tag: 0x83, value: publicKey.uncompressed), last: false)
    }

    /// Step 3 answer `7C { 84 PK_IC }`: derives K, KSenc, KSmac; returns step 4 with the terminal's token.
    public mutating func receiveEphemeralKey(_ data: [UInt8]) throws(ChipIDError) -> CommandAPDU {
        try expect(.awaitingEphemeralKey)
        guard let mine = ephemeralPublic else { return try fail(.protocolViolation, "PACE state lost") }
        let chip = try curve.decode(try Self.dynamicObject(data, tag: 0x84))
        guard chip != mine else { return try fail(.protocolViolation, "PACE: chip echoed the terminal's key") }
        chipEphemeral = chip
        let secret = try curve.multiply(ephemeralPrivate, chip).x
        sessionEncKey = KeyDerivation.derive(seed: secret, counter: KeyDerivation.encryptionCounter, for: cipher)
        sessionMacKey = KeyDerivation.derive(seed: secret, counter: KeyDerivation.macCounter, for: cipher)
        let token = try authenticationToken(for: chip)
        state = .awaitingToken
        return Self.generalAuthenticate(TLV.encode(tag: 0x85, value: token), last: true)
    }

    /// Step 4 answer `7C { 86 T_IC [87 CAR] [88 CAR] }`: verifies the chip's token, returns the SM session.
    public mutating func receiveToken(_ data: [UInt8]) throws(ChipIDError) -> SecureMessagingSession {
        try expect(.awaitingToken)
        guard let mine = ephemeralPublic else { return try fail(.protocolViolation, "PACE state lost") }
        let token = try Self.dynamicObject(data, tag: 0x86)
        guard SecureMessagingSession.constantTimeEqual(token, try authenticationToken(for: mine)) else {
            return try fail(.chipAuthenticationFailed, "PACE: chip authentication token does not verify")
        }
        state = .established
        return try SecureMessagingSession(algorithm: cipher, encryptionKey: sessionEncKey, macKey: sessionMacKey)
    }

    /// The token over the other side's ephemeral key: MAC(KSmac, `7F49 { 06 OID, 86 point }`), 8 bytes.
    func authenticationToken(for publicKey: ECPoint) throws(ChipIDError) -> [UInt8] {
        let input = Self.publicKeyObject(oid: info.oid, point: publicKey)
        switch cipher {
        case .tripleDES: return try RetailMAC.mac(key: sessionMacKey, input)
        default: return Array(try AESCMAC.mac(key: sessionMacKey, input)[0..<8])
        }
    }

    /// The `7F49` public key data object used as token input.
    public static func publicKeyObject(oid: String, point: ECPoint) -> [UInt8] {
        TLV.encode(
            tag: 0x7F49,
            value: TLV.encode(tag: 0x06, value: ASN1.oidBytes(oid))
                + TLV.encode(tag: 0x86, value: point.uncompressed))
    }

    // MARK: - Test and simulator hooks (values only the worked examples need)

    /// The decrypted nonce s (after step 1).
    var decryptedNonce: [UInt8] { nonce }
    /// G~ (after step 2).
    var mappedGeneratorPoint: ECPoint? { mappedGenerator }
    /// KSenc, KSmac (after step 3).
    var sessionKeys: (enc: [UInt8], mac: [UInt8]) { (sessionEncKey, sessionMacKey) }
    /// Kπ.
    var passwordKeyBytes: [UInt8] { passwordKey }

    // MARK: - Plumbing

    private func scalar() throws(ChipIDError) -> [UInt8] {
        // Drawn from the injected source (fixed in worked-example tests), reduced into [1, n-1] by rejection.
        let topBits = 8 - (curve.order.first ?? 0xFF).leadingZeroBitCount
        let mask: UInt8 = topBits >= 8 ? 0xFF : UInt8((1 << topBits) - 1)
        for _ in 0..<64 {
            var candidate = random.bytes(curve.order.count)
            if !candidate.isEmpty { candidate[0] &= mask }
            if candidate.contains(where: { $0 != 0 }), Self.lessThan(candidate, curve.order) { return candidate }
        }
        throw ChipIDError(.crypto, "random source gave no valid scalar")
    }

    private static func lessThan(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return a.count < b.count }
        for (x, y) in zip(a, b) where x != y { return x < y }
        return false
    }

    private mutating func expect(_ wanted: State) throws(ChipIDError) {
        guard state == wanted else {
            state = .failed
            throw ChipIDError(.protocolViolation, "PACE step out of order")
        }
    }

    private mutating func fail<T>(_ code: ChipIDError.Code, _ reason: String) throws(ChipIDError) -> T {
        state = .failed
        throw ChipIDError(code, reason)
    }

    static func generalAuthenticate(_ objects: [UInt8], last: Bool) -> CommandAPDU {
        CommandAPDU(
            cla: last ? 0x00 : 0x10, ins: 0x86, p1: 0x00, p2: 0x00, data: TLV.encode(tag: 0x7C, value: objects),
            le: 256)
    }

    static func dynamicObject(_ data: [UInt8], tag: UInt32) throws(ChipIDError) -> [UInt8] {
        let outer: TLV
        do {
            outer = try TLV.single(data, expecting: 0x7C, "GENERAL AUTHENTICATE response")
        } catch {
            throw ChipIDError(.protocolViolation, "PACE: response is not dynamic authentication data")
        }
        let inner: TLV?
        do { inner = try outer.child(tag) } catch { throw ChipIDError(.protocolViolation, "PACE: bad inner TLV") }
        guard let inner else { throw ChipIDError(.protocolViolation, "PACE: response lacks tag \(TLV.tagHex(tag))") }
        return inner.value
    }

    // MARK: - Driver

    /// Runs PACE over `transport` (at MF level, before selecting the eMRTD application) and returns the session.
    /// A rejected password gives `accessDenied` with the attempts left when the card says (`63Cx`).
    public static func run(
        over transport: any CardTransport, info: PACEInfo, key: AccessKey,
        random: any RandomSource = SystemRandomSource()
    ) async throws(ChipIDError)
        -> SecureMessagingSession
    {
        var pace = try PACEProtocol(info: info, key: key, random: random)
        let mse = try await BACProtocol.send(pace.mseSetAT, over: transport)
        let warning = mse.status.sw1 == 0x63 && (mse.status.triesRemaining ?? 0) > 0
        guard mse.status.isSuccess || warning else {
            // MSE:Set AT checks no password: a refusal means this PACE setup is not available (a blocked or
            // suspended password excepted), so callers may fall back to BAC.
            let error = BACProtocol.accessError(mse.status, step: "PACE MSE:Set AT")
            if error.code == .accessBlocked { throw error }
            throw ChipIDError(.unsupported, "PACE MSE:Set AT refused", status: mse.status)
        }
        var response = try await exchange(pace.nonceRequest, transport, step: "PACE nonce")
        response = try await exchange(try pace.receiveNonce(response), transport, step: "PACE mapping")
        response = try await exchange(try pace.receiveMappingKey(response), transport, step: "PACE key agreement")
        response = try await exchange(try pace.receiveEphemeralKey(response), transport, step: "PACE mutual auth")
        return try pace.receiveToken(response)
    }

    private static func exchange(
        _ command: CommandAPDU, _ transport: any CardTransport,
        step: String
    ) async throws(ChipIDError) -> [UInt8] {
        let response = try await BACProtocol.send(command, over: transport)
        guard response.status.isSuccess else { throw BACProtocol.accessError(response.status, step: step) }
        return response.data
    }
}
