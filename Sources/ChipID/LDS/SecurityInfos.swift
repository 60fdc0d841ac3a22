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

/// EF.CardAccess / DG14 `SecurityInfos` (a SET OF SEQUENCE { OID, required, optional }), parsed leniently: infos
/// this reader does not know are kept as OIDs only.
public struct SecurityInfos: Sendable, Hashable {
    /// The PACEInfos, in file order.
    public var paceInfos: [PACEInfo]
    /// Every protocol OID present (PACE, CA, TA, …).
    public var protocolOIDs: [String]

    /// Parses the DER bytes of EF.CardAccess (a bare SET) or DG14 (`6E` wrapping the SET).
    public init(der bytes: [UInt8]) throws(ChipIDError) {
        var (outer, end) = try TLV.parse(bytes)
        if outer.tag == 0x6E {
            (outer, _) = try TLV.parse(outer.value)
        } else if end != bytes.count, bytes[end...].contains(where: { $0 != 0x00 && $0 != 0xFF }) {
            throw ChipIDError(.malformedFile, "SecurityInfos: trailing bytes")
        }
        guard outer.tag == 0x31 else { throw ChipIDError(.malformedFile, "SecurityInfos: not a SET") }
        var paces: [PACEInfo] = []
        var oids: [String] = []
        for info in try outer.children() {
            guard info.tag == 0x30 else { throw ChipIDError(.malformedFile, "SecurityInfo: not a SEQUENCE") }
            let fields = try info.children()
            guard let first = fields.first, first.tag == 0x06 else {
                throw ChipIDError(.malformedFile, "SecurityInfo: no protocol OID")
            }
            let oid = try ASN1.oidString(first.value)
            oids.append(oid)
            if oid.hasPrefix(PACEInfo.pacePrefix + "."), oid.split(separator: ".").count == 11,
               fields.count >= 2, fields[1].tag == 0x02 {
                let version = try ASN1.smallInt(fields[1].value)
                let parameter = fields.count >= 3 && fields[2].tag == 0x02 ? try ASN1.smallInt(fields[2].value) : nil
                paces.append(PACEInfo(oid: oid, version: version, parameterID: parameter))
            }
        }
        paceInfos = paces
        protocolOIDs = oids
    }

    /// The PACEInfo to use: the first supported one preferring AES over 3DES.
    public var preferredPACE: PACEInfo? {
        let supported = paceInfos.filter(\.isSupported)
        return supported.first { $0.cipher != .tripleDES } ?? supported.first
    }
}
