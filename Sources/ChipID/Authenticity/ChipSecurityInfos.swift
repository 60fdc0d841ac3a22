/// The Chip Authentication and Active Authentication infos of DG14 (ICAO 9303-11 §9.2.5, §9.2.6, §6.1):
/// `ChipAuthenticationInfo`, `ChipAuthenticationPublicKeyInfo`, `ActiveAuthenticationInfo`.
public struct ChipSecurityInfos: Sendable {
    /// A `ChipAuthenticationInfo` { id-CA-*, version, keyId? }.
    public struct ChipAuthenticationInfo: Sendable, Hashable, CustomStringConvertible {
        /// The protocol OID (`0.4.0.127.0.7.2.2.3.{1 DH, 2 ECDH}.{1 3DES, 2 AES-128, 3 AES-192, 4 AES-256}`).
        public var oid: String
        /// Version (1 for eMRTD CA).
        public var version: Int
        /// Key identifier, when the chip has several keys.
        public var keyID: Int?

        /// Builds an info.
        public init(oid: String, version: Int, keyID: Int? = nil) {
            self.oid = oid
            self.version = version
            self.keyID = keyID
        }

        /// Whether the key agreement is ECDH (else DH).
        public var isECDH: Bool { oid.hasPrefix(ChipSecurityInfos.caPrefix + ".2.") }

        /// The session cipher the OID names.
        public var cipher: CipherAlgorithm? {
            guard oid.hasPrefix(ChipSecurityInfos.caPrefix + "."), let last = oid.split(separator: ".").last,
                  oid.split(separator: ".").count == 11 else { return nil }
            switch last {
            case "1": return .tripleDES
            case "2": return .aes128
            case "3": return .aes192
            case "4": return .aes256
            default: return nil
            }
        }

        public var description: String {
            "CA-\(isECDH ? "ECDH" : "DH")-\(cipher?.description ?? "?") v\(version)"
                + (keyID.map { " key \($0)" } ?? "")
        }
    }

    /// A `ChipAuthenticationPublicKeyInfo` { id-PK-DH | id-PK-ECDH, SubjectPublicKeyInfo, keyId? }.
    public struct ChipAuthenticationPublicKey: Sendable {
        /// `0.4.0.127.0.7.2.2.1.{1 DH, 2 ECDH}`.
        public var oid: String
        /// The chip's static public key.
        public var key: PublicKey
        /// Key identifier.
        public var keyID: Int?
    }

    /// `id-CA` = 0.4.0.127.0.7.2.2.3.
    public static let caPrefix = "0.4.0.127.0.7.2.2.3"
    /// `id-PK` = 0.4.0.127.0.7.2.2.1.
    public static let pkPrefix = "0.4.0.127.0.7.2.2.1"
    /// `id-icao-mrtd-security-aaProtocolObject`.
    public static let activeAuthenticationOID = "2.23.136.1.1.5"

    /// Chip Authentication infos, in file order.
    public var chipAuthentication: [ChipAuthenticationInfo] = []
    /// Chip Authentication public keys.
    public var chipAuthenticationKeys: [ChipAuthenticationPublicKey] = []
    /// The ECDSA Active Authentication signature algorithm OID (`ecdsa-plain-*`), when DG14 names one.
    public var activeAuthenticationAlgorithm: String?

    /// Parses DG14 (`6E` wrapping a SET) or a bare SecurityInfos SET (EF.CardAccess).
    public init(_ bytes: [UInt8]) throws(ChipIDError) {
        var der = bytes
        if bytes.first == 0x6E {
            do { der = try TLV.parse(bytes).0.value } catch { throw ChipIDError(.malformedFile, "DG14 truncated") }
        }
        let root = try DERNode.parse(der, "SecurityInfos", code: .malformedFile)
        for info in try root.set("SecurityInfos") {
            let fields = try info.sequence("SecurityInfo")
            guard let first = fields.first else { throw ChipIDError(.malformedFile, "SecurityInfo empty") }
            let oid = try first.oid("SecurityInfo protocol")
            if oid.hasPrefix(Self.caPrefix + "."), oid.split(separator: ".").count == 11, fields.count >= 2 {
                let keyID = fields.count >= 3 ? try fields[2].int("CA keyId") : nil
                chipAuthentication.append(ChipAuthenticationInfo(oid: oid, version: try fields[1].int("CA version"),
                                                                 keyID: keyID))
            } else if oid.hasPrefix(Self.pkPrefix + "."), fields.count >= 2 {
                let key = try PublicKey(subjectPublicKeyInfo: fields[1].encoded)
                let keyID = fields.count >= 3 ? try fields[2].int("CA public key keyId") : nil
                chipAuthenticationKeys.append(ChipAuthenticationPublicKey(oid: oid, key: key, keyID: keyID))
            } else if oid == Self.activeAuthenticationOID, fields.count >= 3 {
                activeAuthenticationAlgorithm = try fields[2].oid("AA signature algorithm")
            }
        }
    }

    /// The CA info and key to use: ECDH only, preferring AES over 3DES; keys and infos paired by keyId (or, for a
    /// single key without CA info, the protocol inferred as ECDH-3DES as ICAO 9303-11 §6.2 allows).
    public var preferredChipAuthentication: (info: ChipAuthenticationInfo, key: ChipAuthenticationPublicKey)? {
        let ecKeys = chipAuthenticationKeys.filter { $0.key.isEC }
        var infos = chipAuthentication.filter { $0.isECDH && $0.cipher != nil }
        if infos.isEmpty, chipAuthentication.isEmpty, let only = ecKeys.first {
            infos = [ChipAuthenticationInfo(oid: Self.caPrefix + ".2.1", version: 1, keyID: only.keyID)]
        }
        infos.sort { ($0.cipher == .tripleDES ? 1 : 0) < ($1.cipher == .tripleDES ? 1 : 0) }
        for info in infos {
            if let key = ecKeys.first(where: { info.keyID == nil || $0.keyID == nil || $0.keyID == info.keyID }) {
                return (info, key)
            }
        }
        return nil
    }
}
