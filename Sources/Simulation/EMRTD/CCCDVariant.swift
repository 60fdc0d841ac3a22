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

    /// A genuine card.
    public init(alterDG13AfterSigning: Bool = false, clone: Bool = false, chipAuthentication: Bool = true) {
        self.alterDG13AfterSigning = alterDG13AfterSigning
        self.clone = clone
        self.chipAuthentication = chipAuthentication
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
    public static func build(_ citizen: CitizenDataSet, signer: DocumentSigner, published: EMRTDChipKeys,
                             variant: CCCDVariant) throws -> [LDSFile: [UInt8]] {
        var files = try build(citizen, signer: signer, activeAuthenticationKey: published.aaSubjectPublicKeyInfo,
                              dg14: dg14(caPublicKey: published.caPublicKey))
        if variant.alterDG13AfterSigning, let dg13 = files[.dg(13)] { files[.dg(13)] = CCCDVariant.altered(dg13: dg13) }
        return files
    }
}
