/// A PACEInfo from EF.CardAccess (ICAO 9303-11 §9.2.1): protocol OID, version and standardized parameter ID.
public struct PACEInfo: Sendable, Hashable, CustomStringConvertible {
    /// The key agreement and mapping the OID names.
    public enum Mapping: String, Sendable, Hashable {
        /// DH generic mapping (not supported here).
        case dhGeneric = "DH-GM"
        /// ECDH generic mapping (the CCCD's, supported).
        case ecdhGeneric = "ECDH-GM"
        /// DH integrated mapping (not supported here).
        case dhIntegrated = "DH-IM"
        /// ECDH integrated mapping (not supported here).
        case ecdhIntegrated = "ECDH-IM"
        /// ECDH chip authentication mapping (not supported here).
        case ecdhChipAuthentication = "ECDH-CAM"
    }

    /// `id-PACE` = 0.4.0.127.0.7.2.2.4.
    public static let pacePrefix = "0.4.0.127.0.7.2.2.4"

    /// The protocol OID, dotted.
    public var oid: String
    /// The PACEInfo version (2).
    public var version: Int
    /// The standardized domain parameter ID, when given.
    public var parameterID: Int?

    /// Builds an info.
    public init(oid: String, version: Int, parameterID: Int?) {
        self.oid = oid
        self.version = version
        self.parameterID = parameterID
    }

    /// The mapping, from the OID's second-to-last arc.
    public var mapping: Mapping? {
        let arcs = oid.dropFirst(Self.pacePrefix.count + 1).split(separator: ".")
        guard oid.hasPrefix(Self.pacePrefix + "."), arcs.count == 2 else { return nil }
        switch arcs[0] {
        case "1": return .dhGeneric
        case "2": return .ecdhGeneric
        case "3": return .dhIntegrated
        case "4": return .ecdhIntegrated
        case "6": return .ecdhChipAuthentication
        default: return nil
        }
    }

    /// The session cipher, from the OID's last arc (1 3DES, 2 AES-128, 3 AES-192, 4 AES-256).
    public var cipher: CipherAlgorithm? {
        guard oid.hasPrefix(Self.pacePrefix + "."), let last = oid.split(separator: ".").last else { return nil }
        switch last {
        case "1": return .tripleDES
        case "2": return .aes128
        case "3": return .aes192
        case "4": return .aes256
        default: return nil
        }
    }

    /// Whether this reader can run it: ECDH generic mapping on a standardized curve (IDs 8–18).
    public var isSupported: Bool {
        mapping == .ecdhGeneric && cipher != nil && parameterID.flatMap(ECCurve.nid(forParameterID:)) != nil
    }

    public var description: String {
        let parameter = parameterID.map(String.init) ?? "-"
        return "PACEInfo(\(mapping?.rawValue ?? "?")-\(cipher?.description ?? "?"), v\(version), param \(parameter))"
    }
}

/// EF.CardAccess / DG14 `SecurityInfos` (a SET OF SEQUENCE { OID, required, optional }, ICAO 9303-11 §9.2), parsed
/// leniently: infos this reader does not know are kept as OIDs only. The one parser of both files: the PACEInfos
/// (§9.2.1), and the Chip Authentication and Active Authentication infos of DG14 (§9.2.5, §9.2.6, §6.1):
/// `ChipAuthenticationInfo`, `ChipAuthenticationPublicKeyInfo`, `ActiveAuthenticationInfo`.
public struct SecurityInfos: Sendable {
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
        public var isECDH: Bool { oid.hasPrefix(SecurityInfos.caPrefix + ".2.") }

        /// The session cipher the OID names.
        public var cipher: CipherAlgorithm? {
            guard oid.hasPrefix(SecurityInfos.caPrefix + "."), let last = oid.split(separator: ".").last,
                oid.split(separator: ".").count == 11
            else { return nil }
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

    /// The PACEInfos, in file order.
    public var paceInfos: [PACEInfo] = []
    /// Every protocol OID present (PACE, CA, TA, …).
    public var protocolOIDs: [String] = []
    /// Chip Authentication infos, in file order.
    public var chipAuthentication: [ChipAuthenticationInfo] = []
    /// Chip Authentication public keys.
    public var chipAuthenticationKeys: [ChipAuthenticationPublicKey] = []
    /// The ECDSA Active Authentication signature algorithm OID (`ecdsa-plain-*`), when DG14 names one.
    public var activeAuthenticationAlgorithm: String?

    /// Parses the DER bytes of EF.CardAccess (a bare SET, padding after it ignored) or DG14 (`6E` wrapping the SET).
    /// Every failure is a `malformedFile` error.
    public init(der bytes: [UInt8]) throws(ChipIDError) {
        var (outer, end) = try TLV.parse(bytes)
        if outer.tag == 0x6E {
            (outer, _) = try TLV.parse(outer.value)
        } else if end != bytes.count, bytes[end...].contains(where: { $0 != 0x00 && $0 != 0xFF }) {
            throw ChipIDError(.malformedFile, "SecurityInfos: trailing bytes")
        }
        guard outer.tag == 0x31 else { throw ChipIDError(.malformedFile, "SecurityInfos: not a SET") }
        for info in try outer.children() {
            guard info.tag == 0x30 else { throw ChipIDError(.malformedFile, "SecurityInfo: not a SEQUENCE") }
            let fields = try info.children()
            guard let first = fields.first, first.tag == 0x06 else {
                throw ChipIDError(.malformedFile, "SecurityInfo: no protocol OID")
            }
            let oid = try ASN1.oidString(first.value)
            protocolOIDs.append(oid)
            let arcs = oid.split(separator: ".").count
            if oid.hasPrefix(PACEInfo.pacePrefix + "."), arcs == 11, fields.count >= 2, fields[1].tag == 0x02 {
                let version = try ASN1.smallInt(fields[1].value)
                let parameter = fields.count >= 3 && fields[2].tag == 0x02 ? try ASN1.smallInt(fields[2].value) : nil
                paceInfos.append(PACEInfo(oid: oid, version: version, parameterID: parameter))
            } else if oid.hasPrefix(Self.caPrefix + "."), arcs == 11, fields.count >= 2 {
                let version = try Self.integer(fields[1], "CA version")
                let keyID = fields.count >= 3 ? try Self.integer(fields[2], "CA keyId") : nil
                chipAuthentication.append(ChipAuthenticationInfo(oid: oid, version: version, keyID: keyID))
            } else if oid.hasPrefix(Self.pkPrefix + "."), fields.count >= 2 {
                let key: PublicKey
                do {
                    key = try PublicKey(subjectPublicKeyInfo: fields[1].encoded)
                } catch {
                    throw ChipIDError(.malformedFile, "SecurityInfos: CA public key does not parse")
                }
                let keyID = fields.count >= 3 ? try Self.integer(fields[2], "CA public key keyId") : nil
                chipAuthenticationKeys.append(ChipAuthenticationPublicKey(oid: oid, key: key, keyID: keyID))
            } else if oid == Self.activeAuthenticationOID, fields.count >= 3 {
                guard fields[2].tag == 0x06 else {
                    throw ChipIDError(.malformedFile, "AA signature algorithm: OBJECT IDENTIFIER expected")
                }
                activeAuthenticationAlgorithm = try ASN1.oidString(fields[2].value)
            }
        }
    }

    private static func integer(_ field: TLV, _ what: String) throws(ChipIDError) -> Int {
        guard field.tag == 0x02 else { throw ChipIDError(.malformedFile, "\(what): INTEGER expected") }
        return try ASN1.smallInt(field.value)
    }

    /// The PACEInfo to use: the first supported one preferring AES over 3DES.
    public var preferredPACE: PACEInfo? {
        let supported = paceInfos.filter(\.isSupported)
        return supported.first { $0.cipher != .tripleDES } ?? supported.first
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
