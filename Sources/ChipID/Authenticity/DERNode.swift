import SwiftASN1

/// Thin, throwing helpers over swift-asn1's node tree, so the CMS / ICAO parsers read like their ASN.1 and every
/// failure becomes a typed `ChipIDError` with the caller's code.
struct DERNode: Sendable {
    /// The swift-asn1 node.
    let node: ASN1Node
    /// The error code parse failures report.
    let code: ChipIDError.Code

    /// Parses DER (or, failing that, BER: some issuers' master lists and SODs are not strict DER).
    static func parse(_ bytes: [UInt8], _ what: String, code: ChipIDError.Code) throws(ChipIDError) -> DERNode {
        guard !bytes.isEmpty else { throw ChipIDError(code, "\(what): empty") }
        if let node = try? DER.parse(bytes) { return DERNode(node: node, code: code) }
        if let node = try? BER.parse(bytes) { return DERNode(node: node, code: code) }
        throw ChipIDError(code, "\(what): not valid DER/BER")
    }

    /// Universal tag number (nil for other classes).
    var universalTag: UInt? { node.identifier.tagClass == .universal ? node.identifier.tagNumber : nil }

    /// Context-specific tag number (nil for other classes).
    var contextTag: UInt? { node.identifier.tagClass == .contextSpecific ? node.identifier.tagNumber : nil }

    /// The full encoding of this node.
    var encoded: [UInt8] { Array(node.encodedBytes) }

    /// Children of a constructed node.
    func children(_ what: String) throws(ChipIDError) -> [DERNode] {
        guard case .constructed(let collection) = node.content else {
            throw ChipIDError(code, "\(what): constructed value expected")
        }
        return collection.map { DERNode(node: $0, code: code) }
    }

    /// Children of a SEQUENCE (universal 16).
    func sequence(_ what: String) throws(ChipIDError) -> [DERNode] {
        guard universalTag == 16 else { throw ChipIDError(code, "\(what): SEQUENCE expected") }
        return try children(what)
    }

    /// Children of a SET (universal 17).
    func set(_ what: String) throws(ChipIDError) -> [DERNode] {
        guard universalTag == 17 else { throw ChipIDError(code, "\(what): SET expected") }
        return try children(what)
    }

    /// Content of a primitive node (or the concatenated content of a BER constructed string).
    func content(_ what: String) throws(ChipIDError) -> [UInt8] {
        switch node.content {
        case .primitive(let bytes): return Array(bytes)
        case .constructed:
            var out: [UInt8] = []
            for child in try children(what) { out += try child.content(what) }
            return out
        }
    }

    /// An OBJECT IDENTIFIER's dotted text.
    func oid(_ what: String) throws(ChipIDError) -> String {
        guard universalTag == 6 else { throw ChipIDError(code, "\(what): OBJECT IDENTIFIER expected") }
        do {
            return try ASN1.oidString(try content(what))
        } catch {
            throw ChipIDError(code, "\(what): bad OBJECT IDENTIFIER")
        }
    }

    /// An OCTET STRING's content.
    func octets(_ what: String) throws(ChipIDError) -> [UInt8] {
        guard universalTag == 4 else { throw ChipIDError(code, "\(what): OCTET STRING expected") }
        return try content(what)
    }

    /// A small non-negative INTEGER.
    func int(_ what: String) throws(ChipIDError) -> Int {
        guard universalTag == 2 else { throw ChipIDError(code, "\(what): INTEGER expected") }
        var bytes = try content(what)
        while bytes.count > 1 && bytes[0] == 0 { bytes.removeFirst() }
        guard !bytes.isEmpty, bytes.count <= 4, bytes[0] & 0x80 == 0 || bytes.count < 4 else {
            throw ChipIDError(code, "\(what): INTEGER out of range")
        }
        return bytes.reduce(0) { $0 << 8 | Int($1) }
    }

    /// The single child of an explicit context tag `[n] EXPLICIT`.
    func explicit(_ what: String) throws(ChipIDError) -> DERNode {
        let inner = try children(what)
        guard inner.count == 1 else { throw ChipIDError(code, "\(what): one explicitly tagged value expected") }
        return inner[0]
    }
}

/// An X.509 / CMS AlgorithmIdentifier: the OID and the DER of its parameters (nil when absent).
public struct AlgorithmIdentifier: Sendable, Hashable, CustomStringConvertible {
    /// Dotted OID.
    public var oid: String
    /// DER encoding of the parameters, when present (NULL included).
    public var parameters: [UInt8]?

    /// Builds an identifier.
    public init(oid: String, parameters: [UInt8]? = nil) {
        self.oid = oid
        self.parameters = parameters
    }

    init(_ node: DERNode, _ what: String) throws(ChipIDError) {
        let fields = try node.sequence(what)
        guard let first = fields.first else { throw ChipIDError(node.code, "\(what): empty AlgorithmIdentifier") }
        oid = try first.oid(what)
        parameters = fields.count > 1 ? fields[1].encoded : nil
    }

    /// A readable name when known (`SHA-256`, `RSASSA-PSS`, `ecdsa-with-SHA256`…), else the OID.
    public var description: String { AlgorithmNames.name(of: oid) }
}
