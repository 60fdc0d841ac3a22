import COpenSSL
import ChipID

/// The private keys a simulated eMRTD proves possession of: the Chip Authentication key (an ECDH scalar on a named
/// curve; brainpoolP256r1 on the CCCD) and, when the chip offers it, the Active Authentication key (RSA with
/// ISO/IEC 9796-2 scheme 1, or ECDSA). A clone is a chip whose keys are not the ones its DG14/DG15 publish. The
/// private parts are never printed or written anywhere.
public final class EMRTDChipKeys: @unchecked Sendable, CustomStringConvertible {
    /// How the chip answers INTERNAL AUTHENTICATE.
    public enum ActiveAuthenticationScheme: Sendable, Hashable {
        /// ISO/IEC 9796-2 scheme 1 (a random M1, the digest named) signed with the raw RSA operation.
        case rsaISO9796(DigestAlgorithm)
        /// ECDSA over the challenge with this digest, plain `r || s` of `fieldSize` bytes each.
        case ecdsa(DigestAlgorithm, fieldSize: Int)
    }

    /// The Chip Authentication curve.
    public let caCurve: ECCurve
    /// The Chip Authentication public key (DG14).
    public let caPublicKey: ECPoint
    /// The Active Authentication public key, DER SubjectPublicKeyInfo (DG15), if the chip has one.
    public let aaSubjectPublicKeyInfo: [UInt8]?
    private let caPrivate: [UInt8]
    private let activeAuthentication: (key: SimulatedPrivateKey, scheme: ActiveAuthenticationScheme)?

    /// Keys from their parts: the CA scalar on `caCurve` and, if given, the AA key and the way it signs.
    public init(
        caCurve: ECCurve, caPrivate: [UInt8],
        activeAuthentication: (key: SimulatedPrivateKey, scheme: ActiveAuthenticationScheme)?
    ) throws {
        self.caCurve = caCurve
        self.caPrivate = caPrivate
        self.caPublicKey = try caCurve.multiplyGenerator(caPrivate)
        self.activeAuthentication = activeAuthentication
        self.aaSubjectPublicKeyInfo = activeAuthentication?.key.subjectPublicKeyInfo
    }

    public var description: String {
        let aa = activeAuthentication.map { "AA \($0.key.size * 8)-bit \($0.scheme)" } ?? "no AA"
        return "EMRTDChipKeys(CA curve \(caCurve.nid), \(aa), private keys redacted)"
    }

    /// Fresh keys as the CCCD has them: a random CA scalar on brainpoolP256r1 and a new RSA-2048 AA key (SHA-256).
    public static func generate() throws -> EMRTDChipKeys {
        let curve = try ECCurve(nid: NID_brainpoolP256r1)
        return try EMRTDChipKeys(
            caCurve: curve, caPrivate: try curve.randomScalar(),
            activeAuthentication: (try SimulatedPrivateKey.rsa(bits: 2048), .rsaISO9796(.sha256)))
    }

    /// The CA shared secret K: the x-coordinate of d·P for the terminal's ephemeral point P.
    func chipAuthenticationSecret(terminalKey: [UInt8]) throws -> [UInt8] {
        let point = try caCurve.decode(terminalKey)
        return try caCurve.multiply(caPrivate, point).x
    }

    /// Whether the chip answers INTERNAL AUTHENTICATE.
    var hasActiveAuthentication: Bool { activeAuthentication != nil }

    /// The AA answer to a challenge (nil: the chip has no AA key).
    func activeAuthenticationSignature(challenge: [UInt8]) throws -> [UInt8]? {
        guard let (key, scheme) = activeAuthentication else { return nil }
        switch scheme {
        case .rsaISO9796(let digest):
            let trailer = digest == .sha1 ? 1 : 2
            let m1 = SystemRandomSource().bytes(key.size - 1 - digest.length - trailer)
            return try key.rsaRaw(ISO9796Scheme1.encode(m1: m1, challenge: challenge, digest: digest))
        case .ecdsa(let digest, let fieldSize):
            return try key.ecdsaPlain(challenge, digest: digest, fieldSize: fieldSize)
        }
    }
}
