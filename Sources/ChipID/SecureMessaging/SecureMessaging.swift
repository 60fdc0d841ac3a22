import SmartCard

/// ICAO 9303-11 §9.8 secure messaging, as a pure value: protects commands and unprotects responses, keeping the
/// send sequence counter (SSC) exact. 3DES: retail MAC, 8-byte SSC, IV zero. AES: CMAC truncated to 8 bytes,
/// 16-byte SSC, IV = E(KSenc, SSC). A failed check leaves the session `isClosed`; keys are never printed.
public struct SecureMessagingSession: Sendable, CustomStringConvertible {
    /// The cipher family of the session keys.
    public let algorithm: CipherAlgorithm
    /// The session keys as keyed OpenSSL contexts (made once; shared by copies of this value, runs serialised).
    private let keys: SessionKeys
    /// The current send sequence counter (incremented before each command and each response).
    public private(set) var ssc: [UInt8]
    /// Set once a MAC failed or a response was malformed: the session must not be used again.
    public private(set) var isClosed = false

    /// Builds a session from its keys and the initial SSC (8 bytes for 3DES, 16 for AES; zero after PACE).
    public init(
        algorithm: CipherAlgorithm, encryptionKey: [UInt8], macKey: [UInt8],
        ssc: [UInt8]? = nil
    ) throws(ChipIDError) {
        guard encryptionKey.count == algorithm.keyLength, macKey.count == algorithm.keyLength else {
            throw ChipIDError(.crypto, "session key length does not fit \(algorithm)")
        }
        let counter = ssc ?? [UInt8](repeating: 0, count: algorithm.blockSize)
        guard counter.count == algorithm.blockSize else {
            throw ChipIDError(.crypto, "SSC length does not fit \(algorithm)")
        }
        self.algorithm = algorithm
        self.keys = try SessionKeys(algorithm: algorithm, encryptionKey: encryptionKey, macKey: macKey)
        self.ssc = counter
    }

    public var description: String { "SecureMessagingSession(\(algorithm), keys redacted)" }

    // MARK: - Commands

    /// Protects a command: masks CLA with `0C`, encrypts the data into DO'87' (DO'85' for odd INS), puts Le in
    /// DO'97', appends the MAC in DO'8E', and asks for the whole protected response (Le `00`, or `0000` extended).
    public mutating func protect(_ command: CommandAPDU) throws(ChipIDError) -> CommandAPDU {
        guard !isClosed else { throw ChipIDError(.sessionClosed, "secure messaging session was closed") }
        Bytes.increment(&ssc)
        return try protect(command, ssc: ssc)
    }

    /// Reserves the counters of one exchange: the SSC its command is protected with and the SSC its response is
    /// checked with. The session's `ssc` moves past both, so the next exchange can be protected before this one's
    /// response has been unprotected (pipelined reads); the chip counts the same way.
    public mutating func reserveExchange() throws(ChipIDError) -> SecureMessagingExchange {
        guard !isClosed else { throw ChipIDError(.sessionClosed, "secure messaging session was closed") }
        Bytes.increment(&ssc)
        let command = ssc
        Bytes.increment(&ssc)
        return SecureMessagingExchange(commandSSC: command, responseSSC: ssc)
    }

    /// Protects a command with a reserved SSC (see `reserveExchange()`); does not move the session's counter.
    public func protect(_ command: CommandAPDU, ssc: [UInt8]) throws(ChipIDError) -> CommandAPDU {
        let cla = command.cla | 0x0C
        let header = ISO9797Padding.pad([cla, command.ins, command.p1, command.p2], blockSize: algorithm.blockSize)
        var objects: [UInt8] = []
        if !command.data.isEmpty {
            let encrypted = try encrypt(ISO9797Padding.pad(command.data, blockSize: algorithm.blockSize), ssc: ssc)
            if command.ins & 0x01 == 1 {
                objects += TLV.encode(tag: 0x85, value: encrypted)
            } else {
                objects += TLV.encode(tag: 0x87, value: [0x01] + encrypted)
            }
        }
        let extendedLe = (command.le ?? 0) > CommandAPDU.maxShortLe || command.forceExtended
        if let le = command.le {
            if extendedLe {
                let encoded = le == CommandAPDU.maxExtendedLe ? 0 : le
                objects += TLV.encode(tag: 0x97, value: [UInt8(encoded >> 8), UInt8(encoded & 0xFF)])
            } else {
                objects += TLV.encode(tag: 0x97, value: [le == CommandAPDU.maxShortLe ? 0 : UInt8(le)])
            }
        }
        let mac = try computeMAC(ssc, header, objects)
        objects += TLV.encode(tag: 0x8E, value: mac)
        let extended = extendedLe || objects.count > CommandAPDU.maxShortData
        return CommandAPDU(
            cla: cla, ins: command.ins, p1: command.p1, p2: command.p2, data: objects,
            le: extended ? CommandAPDU.maxExtendedLe : CommandAPDU.maxShortLe, forceExtended: extended)
    }

    // MARK: - Responses

    /// Unprotects a response: checks the DO'8E' MAC over DO'87'/'85' and DO'99', decrypts the data, and returns the
    /// plain response with the status from DO'99'. A plain error status without SM objects (the card reporting an
    /// error before or outside SM processing) is returned as it is. Any MAC failure or missing object closes the
    /// session and throws `badMAC` / `smMalformed`.
    public mutating func unprotect(_ response: ResponseAPDU) throws(ChipIDError) -> ResponseAPDU {
        guard !isClosed else { throw ChipIDError(.sessionClosed, "secure messaging session was closed") }
        Bytes.increment(&ssc)
        do {
            return try unprotect(response, ssc: ssc)
        } catch  where Self.closesSession(error) {
            isClosed = true
            throw error
        }
    }

    /// Unprotects a response with a reserved SSC (see `reserveExchange()`). The caller closes the session when this
    /// throws an error for which `closesSession` is true.
    public func unprotect(_ response: ResponseAPDU, ssc: [UInt8]) throws(ChipIDError) -> ResponseAPDU {
        if response.data.isEmpty && !response.status.isSuccess && response.status.sw1 != 0x62 {
            return response
        }
        let objects: [TLV]
        do {
            objects = try TLV.sequence(response.data)
        } catch {
            throw ChipIDError(.smMalformed, "secure messaging response is not a TLV sequence", status: response.status)
        }
        var macInput: [UInt8] = []
        var encrypted: TLV?
        var statusObject: TLV?
        var receivedMAC: [UInt8]?
        for object in objects {
            switch object.tag {
            case 0x87, 0x85:
                guard encrypted == nil, receivedMAC == nil else {
                    throw ChipIDError(.smMalformed, "repeated data object")
                }
                encrypted = object
                macInput += object.encoded
            case 0x99:
                guard statusObject == nil, receivedMAC == nil, object.value.count == 2 else {
                    throw ChipIDError(.smMalformed, "bad DO'99'")
                }
                statusObject = object
                macInput += object.encoded
            case 0x8E:
                guard receivedMAC == nil else { throw ChipIDError(.smMalformed, "repeated DO'8E'") }
                receivedMAC = object.value
            default:
                throw ChipIDError(.smMalformed, "unexpected data object \(TLV.tagHex(object.tag))")
            }
        }
        guard let receivedMAC else { throw ChipIDError(.smMalformed, "response has no MAC (DO'8E')") }
        let expected = try computeMAC(ssc, macInput)
        guard receivedMAC.count == expected.count, Self.constantTimeEqual(receivedMAC, expected) else {
            throw ChipIDError(.badMAC, "response MAC does not verify")
        }
        var plain: [UInt8] = []
        if let encrypted {
            var cipherText = encrypted.value
            if encrypted.tag == 0x87 {
                guard cipherText.first == 0x01 else {
                    throw ChipIDError(.smMalformed, "DO'87' padding indicator not 01")
                }
                cipherText.removeFirst()
            }
            guard !cipherText.isEmpty, cipherText.count % algorithm.blockSize == 0 else {
                throw ChipIDError(.smMalformed, "encrypted data not a whole number of blocks")
            }
            guard let unpadded = ISO9797Padding.unpad(try decrypt(cipherText, ssc: ssc)) else {
                throw ChipIDError(.smMalformed, "decrypted data has bad padding")
            }
            plain = unpadded
        }
        let status = statusObject.map { StatusWord(sw1: $0.value[0], sw2: $0.value[1]) } ?? response.status
        return ResponseAPDU(data: plain, status: status)
    }

    // MARK: - Card side (the same rules seen from the chip: used by test cards and simulators)

    /// Card side: verifies and decrypts a protected command. Returns the plain command (Le from DO'97').
    public mutating func unprotectCommand(_ command: CommandAPDU) throws(ChipIDError) -> CommandAPDU {
        guard !isClosed else { throw ChipIDError(.sessionClosed, "secure messaging session was closed") }
        Bytes.increment(&ssc)
        guard command.cla & 0x0C == 0x0C else { return try fail(.smMalformed, "command not SM-protected") }
        let header = ISO9797Padding.pad(
            [command.cla, command.ins, command.p1, command.p2],
            blockSize: algorithm.blockSize)
        let objects: [TLV]
        do { objects = try TLV.sequence(command.data) } catch { return try fail(.smMalformed, "command not TLV") }
        var macInput: [UInt8] = []
        var data: [UInt8] = []
        var le: Int?
        var mac: [UInt8]?
        for object in objects {
            switch object.tag {
            case 0x87, 0x85:
                macInput += object.encoded
                var cipherText = object.value
                if object.tag == 0x87 {
                    guard cipherText.first == 0x01 else { return try fail(.smMalformed, "bad padding indicator") }
                    cipherText.removeFirst()
                }
                guard !cipherText.isEmpty, cipherText.count % algorithm.blockSize == 0 else {
                    return try fail(.smMalformed, "bad cryptogram length")
                }
                guard let unpadded = ISO9797Padding.unpad(try decrypt(cipherText, ssc: ssc)) else {
                    return try fail(.smMalformed, "bad padding")
                }
                data = unpadded
            case 0x97:
                macInput += object.encoded
                let raw = object.value.reduce(0) { $0 << 8 | Int($1) }
                le = raw == 0 ? (object.value.count == 1 ? 256 : 65_536) : raw
            case 0x8E:
                mac = object.value
            default:
                return try fail(.smMalformed, "unexpected command data object")
            }
        }
        guard let mac, Self.constantTimeEqual(mac, try computeMAC(ssc, header, macInput)) else {
            return try fail(.badMAC, "command MAC does not verify")
        }
        return CommandAPDU(
            cla: command.cla & ~0x0C, ins: command.ins, p1: command.p1, p2: command.p2, data: data,
            le: le, forceExtended: (le ?? 0) > 256)
    }

    /// Card side: protects a plain response (DO'87' or DO'85' for odd INS, DO'99', DO'8E').
    public mutating func protectResponse(_ response: ResponseAPDU, oddINS: Bool = false) throws(ChipIDError)
        -> ResponseAPDU
    {
        guard !isClosed else { throw ChipIDError(.sessionClosed, "secure messaging session was closed") }
        Bytes.increment(&ssc)
        var objects: [UInt8] = []
        if !response.data.isEmpty {
            let encrypted = try encrypt(ISO9797Padding.pad(response.data, blockSize: algorithm.blockSize), ssc: ssc)
            objects += oddINS ? TLV.encode(tag: 0x85, value: encrypted) : TLV.encode(tag: 0x87, value: [1] + encrypted)
        }
        objects += TLV.encode(tag: 0x99, value: [response.status.sw1, response.status.sw2])
        objects += TLV.encode(tag: 0x8E, value: try computeMAC(ssc, objects))
        return ResponseAPDU(data: objects, status: .success)
    }

    // MARK: - Sizes

    /// The largest plain response that fits in `protectedLimit` bytes of protected response data.
    public func maxPlainResponse(protectedLimit: Int) -> Int {
        let block = algorithm.blockSize
        var padded = (protectedLimit / block) * block
        while padded > 0 {
            let body = 1 + padded
            let total = 1 + TLV.encodeLength(body).count + body + 4 + 10
            if total <= protectedLimit { return padded - 1 }
            padded -= block
        }
        return 0
    }

    /// The largest plain command data that fits in `protectedLimit` bytes of protected command data (DO'97' takes
    /// the place of DO'99', so the overhead is the same).
    public func maxPlainCommand(protectedLimit: Int) -> Int { maxPlainResponse(protectedLimit: protectedLimit) }

    // MARK: - Primitives

    private mutating func fail<T>(_ code: ChipIDError.Code, _ reason: String) throws(ChipIDError) -> T {
        isClosed = true
        throw ChipIDError(code, reason)
    }

    /// Whether an `unprotect` error means the channel can no longer be trusted (bad MAC, malformed SM objects).
    public static func closesSession(_ error: ChipIDError) -> Bool {
        error.code == .badMAC || error.code == .smMalformed
    }

    /// Ends the session: every later call throws `sessionClosed`.
    public mutating func close() { isClosed = true }

    /// AES: E(KSenc, SSC); 3DES (no IV cipher): zero.
    private func iv(_ ssc: [UInt8]) throws(ChipIDError) -> [UInt8] {
        guard let ivCipher = keys.ivCipher else { return [UInt8](repeating: 0, count: algorithm.blockSize) }
        return try ivCipher.run(iv: nil, ssc)
    }

    private func encrypt(_ padded: [UInt8], ssc: [UInt8]) throws(ChipIDError) -> [UInt8] {
        try keys.encryptor.run(iv: iv(ssc), padded)
    }

    private func decrypt(_ cipherText: [UInt8], ssc: [UInt8]) throws(ChipIDError) -> [UInt8] {
        try keys.decryptor.run(iv: iv(ssc), cipherText)
    }

    /// The 8-byte MAC of SSC ‖ `first` ‖ `second`, assembled and padded in one buffer.
    private func computeMAC(_ ssc: [UInt8], _ first: [UInt8], _ second: [UInt8] = []) throws(ChipIDError) -> [UInt8] {
        let block = algorithm.blockSize
        var message: [UInt8] = []
        message.reserveCapacity(ISO9797Padding.paddedLength(ssc.count + first.count + second.count, blockSize: block))
        message += ssc
        message += first
        message += second
        ISO9797Padding.padInPlace(&message, blockSize: block)
        switch keys.mac {
        case .retail(let mac): return try mac.mac(message, alreadyPadded: true)
        case .cmac(let mac): return Array(try mac.mac(message)[0..<8])
        }
    }

    static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        var difference: UInt8 = 0
        for index in a.indices { difference |= a[index] ^ b[index] }
        return difference == 0
    }
}

/// The two send sequence counter values of one protected exchange (see `SecureMessagingSession.reserveExchange()`).
public struct SecureMessagingExchange: Sendable, Hashable {
    /// The SSC the command is protected with.
    public let commandSSC: [UInt8]
    /// The SSC the response is checked with.
    public let responseSSC: [UInt8]
}

/// One session's keys, each held as an OpenSSL context keyed once: the IV cipher (AES: E(KSenc, SSC)), the CBC
/// encryptor and decryptor, and the MAC. Secure messaging computes two MACs and up to three block-cipher runs per
/// APDU; keying each of them afresh cost more than the cipher work itself.
final class SessionKeys: Sendable {
    enum MAC {
        case retail(KeyedRetailMAC)
        case cmac(KeyedCMAC)
    }

    let ivCipher: KeyedCipher?
    let encryptor: KeyedCipher
    let decryptor: KeyedCipher
    let mac: MAC

    init(algorithm: CipherAlgorithm, encryptionKey: [UInt8], macKey: [UInt8]) throws(ChipIDError) {
        switch algorithm {
        case .tripleDES:
            ivCipher = nil
            encryptor = try KeyedCipher(TripleDES.cbc(encryptionKey), key: encryptionKey, encrypt: true)
            decryptor = try KeyedCipher(TripleDES.cbc(encryptionKey), key: encryptionKey, encrypt: false)
            mac = .retail(try KeyedRetailMAC(key: macKey))
        default:
            ivCipher = try KeyedCipher(AESCipher.ecb(encryptionKey), key: encryptionKey, encrypt: true)
            encryptor = try KeyedCipher(AESCipher.cbc(encryptionKey), key: encryptionKey, encrypt: true)
            decryptor = try KeyedCipher(AESCipher.cbc(encryptionKey), key: encryptionKey, encrypt: false)
            mac = .cmac(try KeyedCMAC(key: macKey))
        }
    }
}
