import SmartCard

/// Active Authentication (ICAO 9303-11 §6.1), reader side: INTERNAL AUTHENTICATE with a fresh 8-byte challenge,
/// the answer checked against DG15's public key: RSA with ISO/IEC 9796-2 digital signature scheme 1 (partial
/// message recovery), or ECDSA (plain r||s) with the hash DG14's ActiveAuthenticationInfo names.
public enum ActiveAuthentication {
    /// The public key in DG15 (`6F` wrapping a SubjectPublicKeyInfo).
    public static func publicKey(dg15 bytes: [UInt8]) throws(ChipIDError) -> PublicKey {
        let spki: [UInt8]
        do { spki = try TLV.single(bytes, expecting: 0x6F, "DG15").value } catch {
            throw ChipIDError(.malformedFile, "DG15 is not a 6F object")
        }
        do { return try PublicKey(subjectPublicKeyInfo: spki) } catch {
            throw ChipIDError(.malformedFile, "DG15 public key does not parse")
        }
    }

    /// `00 88 00 00 08 <challenge> 00`.
    public static func internalAuthenticate(_ challenge: [UInt8]) -> CommandAPDU {
        CommandAPDU(ins: 0x88, p1: 0x00, p2: 0x00, data: challenge, le: CommandAPDU.maxShortLe)
    }

    /// Sends INTERNAL AUTHENTICATE with a fresh challenge and verifies the answer. Returns false when the
    /// signature does not verify (a clone without the private key); throws for transport or card errors.
    public static func perform(
        over transport: any CardTransport, dg15: [UInt8], ecdsaAlgorithm: String? = nil,
        random: any RandomSource = SystemRandomSource()
    ) async throws(ChipIDError) -> Bool {
        try await exchange(over: transport, dg15: dg15, ecdsaAlgorithm: ecdsaAlgorithm, random: random).valid
    }

    /// Like `perform`, keeping the challenge and the signature (the evidence a central re-checks).
    public static func exchange(
        over transport: any CardTransport, dg15: [UInt8], ecdsaAlgorithm: String? = nil,
        random: any RandomSource = SystemRandomSource()
    ) async throws(ChipIDError)
        -> (valid: Bool, transcript: ActiveAuthenticationTranscript)
    {
        let key = try publicKey(dg15: dg15)
        let challenge = random.bytes(8)
        let response = try await BACProtocol.send(internalAuthenticate(challenge), over: transport)
        guard response.status.isSuccess else {
            throw ChipIDError(.cardRefused, "INTERNAL AUTHENTICATE refused", status: response.status)
        }
        let valid = try verify(key: key, challenge: challenge, signature: response.data, ecdsaAlgorithm: ecdsaAlgorithm)
        return (valid, ActiveAuthenticationTranscript(challenge: challenge, signature: response.data))
    }

    /// Checks an AA signature over `challenge`.
    public static func verify(
        key: PublicKey, challenge: [UInt8], signature: [UInt8],
        ecdsaAlgorithm: String? = nil
    ) throws(ChipIDError) -> Bool {
        if key.isRSA {
            guard let recovered = try? key.rsaRecover(signature) else { return false }
            return ISO9796Scheme1.verify(recovered, challenge: challenge)
        }
        guard key.isEC else { throw ChipIDError(.unsupportedAlgorithm, "Active Authentication key \(key)") }
        var schemes: [SignatureScheme] = []
        if let ecdsaAlgorithm {
            schemes = [try SignatureScheme(algorithm: AlgorithmIdentifier(oid: ecdsaAlgorithm), digest: nil)]
        } else {
            schemes = [.sha256, .sha384, .sha512, .sha224, .sha1].map { .ecdsaPlain($0) }
        }
        for scheme in schemes {
            if try scheme.verify(message: challenge, signature: signature, key: key) { return true }
        }
        return false
    }
}

/// ISO/IEC 9796-2 digital signature scheme 1 with partial message recovery, as ICAO AA uses it:
/// F = `6A` || M1 || H || trailer, trailer `BC` (SHA-1) or `xx CC` (xx: 33 SHA-1, 38 SHA-224, 34 SHA-256,
/// 36 SHA-384, 35 SHA-512), and H = Hash(M1 || M2) with M2 the challenge.
public enum ISO9796Scheme1 {
    /// The parts of a recovered message representative.
    public struct Recovered: Sendable, Hashable {
        /// The recoverable part M1.
        public var m1: [UInt8]
        /// The hash H.
        public var hash: [UInt8]
        /// The hash function the trailer names.
        public var digest: DigestAlgorithm
    }

    /// Splits F into M1, H and the hash function; nil when F is not a scheme-1 partial-recovery representative.
    public static func recover(_ f: [UInt8]) -> Recovered? {
        guard f.count >= 24, f[0] == 0x6A, let last = f.last else { return nil }
        let digest: DigestAlgorithm
        let trailer: Int
        if last == 0xBC {
            digest = .sha1
            trailer = 1
        } else if last == 0xCC {
            switch f[f.count - 2] {
            case 0x33: digest = .sha1
            case 0x38: digest = .sha224
            case 0x34: digest = .sha256
            case 0x36: digest = .sha384
            case 0x35: digest = .sha512
            default: return nil
            }
            trailer = 2
        } else {
            return nil
        }
        let hashEnd = f.count - trailer
        let hashStart = hashEnd - digest.length
        guard hashStart > 1 else { return nil }
        return Recovered(m1: Array(f[1..<hashStart]), hash: Array(f[hashStart..<hashEnd]), digest: digest)
    }

    /// Whether F carries H = Hash(M1 || challenge).
    public static func verify(_ f: [UInt8], challenge: [UInt8]) -> Bool {
        guard let parts = recover(f) else { return false }
        return SecureMessagingSession.constantTimeEqual(parts.hash, parts.digest.hash(parts.m1 + challenge))
    }

    /// Builds F for M1 and a challenge (card side: test cards and simulators sign it with the raw RSA operation).
    public static func encode(m1: [UInt8], challenge: [UInt8], digest: DigestAlgorithm = .sha256) -> [UInt8] {
        let trailer: [UInt8]
        switch digest {
        case .sha1: trailer = [0xBC]
        case .sha224: trailer = [0x38, 0xCC]
        case .sha256: trailer = [0x34, 0xCC]
        case .sha384: trailer = [0x36, 0xCC]
        case .sha512: trailer = [0x35, 0xCC]
        }
        return [0x6A] + m1 + digest.hash(m1 + challenge) + trailer
    }
}
