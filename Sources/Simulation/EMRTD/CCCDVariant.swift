import ChipID
import Foundation

/// How a simulated CCCD deviates from a genuine one, for tests of the authenticity verdict. Each case is chosen by
/// a `stationd simulate card` option; the PKI-based cases (untrusted CSCA, expired DS) instead pick another test PKI
/// folder with `--pki` (`Devices/cards/pki/untrusted-csca`, `Devices/cards/pki/expired-ds`).
public struct CCCDVariant: Sendable, Hashable {
    /// DG13 is changed after EF.SOD was signed (Passive Authentication: DG13 hash mismatch).
    public var alterDG13AfterSigning = false
    /// A clone: DG14/DG15 carry public keys whose private keys the chip does not hold (CA and AA fail).
    public var clone = false
    /// The chip runs Chip and Active Authentication (false: the old static DG14/DG15, no private keys).
    public var chipAuthentication = true
    /// DG14 offers no Chip Authentication (a PACEInfo only), so a reader runs Active Authentication with DG15.
    public var activeAuthenticationOnly = false
    /// One file replaced by a malformed variant (`malformedVariant(of:)`) before EF.SOD is signed, so Passive
    /// Authentication still covers its hash (EF.SOD itself: replaced after signing).
    public var malformed: LDSFile?

    /// A genuine card.
    public init(
        alterDG13AfterSigning: Bool = false, clone: Bool = false, chipAuthentication: Bool = true,
        malformed: LDSFile? = nil, activeAuthenticationOnly: Bool = false
    ) {
        self.alterDG13AfterSigning = alterDG13AfterSigning
        self.clone = clone
        self.chipAuthentication = chipAuthentication
        self.malformed = malformed
        self.activeAuthenticationOnly = activeAuthenticationOnly
    }

    /// The files `--malformed` takes: EF.COM, DG1, DG2, DG13, DG14, DG15, EF.SOD.
    public static let malformableFiles: [LDSFile] = [.com, .dg(1), .dg(2), .dg(13), .dg(14), .dg(15), .sod]

    /// `com`, `dg1` … `dg15`, `sod` (the `--malformed` names).
    public static func file(named name: String) -> LDSFile? {
        malformableFiles.first { optionName($0) == name.lowercased() }
    }

    /// The `--malformed` name of a file.
    public static func optionName(_ file: LDSFile) -> String {
        switch file {
        case .com: "com"
        case .sod: "sod"
        case .cardAccess: "cardaccess"
        case .dg(let number): "dg\(number)"
        }
    }

    /// A variant of `original` that keeps its outer tag but does not parse, each the way a real defect would look:
    /// EF.COM with a 1-digit LDS version, DG1 with a 50-character MRZ, DG2 whose facial information block is too
    /// short for its own header, DG13 without its SET of fields, DG14 cut short, DG15 without a key, EF.SOD
    /// without SignedData.
    public static func malformedVariant(of file: LDSFile, _ original: [UInt8]) -> [UInt8] {
        func tlv(_ tag: UInt32, _ value: [UInt8]) -> [UInt8] { TLV.encode(tag: tag, value: value) }
        switch file {
        case .com:
            let tags = CCCDFiles.dataGroups.compactMap { LDSFile.dg($0).tag.map { UInt8($0) } }
            return tlv(0x60, tlv(0x5F01, Array("1".utf8)) + tlv(0x5F36, Array("040000".utf8)) + tlv(0x5C, tags))
        case .dg(1): return tlv(0x61, tlv(0x5F1F, [UInt8](repeating: 0x3C, count: 50)))
        case .dg(2):
            // The record's facial information block length (after "FAC\0", "010\0", record length, face count).
            guard
                let start = original.indices.dropLast(3).first(where: {
                    Array(original[$0..<($0 + 4)]) == Array("FAC".utf8) + [0]
                }), start + 18 <= original.count
            else { return original }
            var copy = original
            copy.replaceSubrange((start + 14)..<(start + 18), with: [0, 0, 0, 20])
            return copy
        case .dg(13): return tlv(0x6D, tlv(0x02, [0x01]))
        case .dg(14): return [0x6E, 0x82, 0x01, 0x00, 0x31, 0x03, 0x30]
        case .dg(15): return tlv(0x6F, tlv(0x04, [0x00]))
        case .sod: return tlv(0x77, tlv(0x30, [0x02, 0x01, 0x00]))
        default: return original
        }
    }

    /// The same data with one character of DG13 changed (same length, so it still parses): the place of residence
    /// or, failing that, the last printable byte.
    static func altered(dg13 bytes: [UInt8]) -> [UInt8] {
        var copy = bytes
        if let index = copy.lastIndex(where: { (0x41...0x5A).contains($0) || (0x61...0x7A).contains($0) }) {
            copy[index] = copy[index] == 0x58 ? 0x59 : 0x58
        } else if let last = copy.indices.last {
            copy[last] ^= 0x01
        }
        return copy
    }
}

extension CCCDFiles {
    /// Every file with the public keys of `published` in DG14/DG15 and EF.SOD signed by `signer`; DG13 altered after
    /// signing when `variant` asks.
    public static func build(
        _ citizen: CitizenDataSet, signer: DocumentSigner, published: EMRTDChipKeys,
        variant: CCCDVariant
    ) throws -> [LDSFile: [UInt8]] {
        guard let activeAuthenticationKey = published.aaSubjectPublicKeyInfo else {
            throw SimulationError("a CCCD publishes an Active Authentication key in DG15")
        }
        var files = try build(
            citizen, signer: signer, activeAuthenticationKey: activeAuthenticationKey,
            dg14: variant.activeAuthenticationOnly
                ? dg14WithoutChipAuthentication : dg14(caPublicKey: published.caPublicKey))
        files = try variant.applyMalformed(to: files, signer: signer)
        if variant.alterDG13AfterSigning, let dg13 = files[.dg(13)] { files[.dg(13)] = CCCDVariant.altered(dg13: dg13) }
        return files
    }
}

extension CCCDVariant {
    /// Replaces the `malformed` file and signs EF.SOD again over the data groups as they now are (EF.SOD itself is
    /// replaced after signing).
    func applyMalformed(to files: [LDSFile: [UInt8]], signer: DocumentSigner) throws -> [LDSFile: [UInt8]] {
        guard let malformed, let original = files[malformed] else { return files }
        var copy = files
        copy[malformed] = Self.malformedVariant(of: malformed, original)
        guard malformed != .sod else { return copy }
        let hashed = copy.compactMap { file, bytes -> (Int, [UInt8])? in
            if case .dg(let n) = file { return (n, bytes) }
            return nil
        }
        copy[.sod] = try SODBuilder.sod(dataGroups: hashed, signer: signer)
        return copy
    }
}
