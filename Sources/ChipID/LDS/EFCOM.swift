/// EF.COM (tag `60`): LDS version, Unicode version and the list of data groups present.
public struct EFCOM: Sendable, Hashable {
    /// LDS version as stored (`"0107"` = 1.7).
    public var ldsVersion: String
    /// Unicode version as stored (`"040000"` = 4.0.0).
    public var unicodeVersion: String
    /// The data groups listed, in file order (unknown tags are skipped).
    public var dataGroups: [LDSFile]
    /// The raw tag list.
    public var tagList: [UInt8]

    /// Parses EF.COM bytes.
    public init(_ bytes: [UInt8]) throws(ChipIDError) {
        let outer = try TLV.single(bytes, expecting: 0x60, "EF.COM")
        let version = try outer.requiredChild(0x5F01, "EF.COM LDS version")
        let unicode = try outer.requiredChild(0x5F36, "EF.COM Unicode version")
        let tags = try outer.requiredChild(0x5C, "EF.COM tag list")
        guard version.value.count == 4, version.value.allSatisfy({ (0x30...0x39).contains($0) }) else {
            throw ChipIDError(.malformedFile, "EF.COM: LDS version is not 4 digits")
        }
        guard unicode.value.count == 6, unicode.value.allSatisfy({ (0x30...0x39).contains($0) }) else {
            throw ChipIDError(.malformedFile, "EF.COM: Unicode version is not 6 digits")
        }
        ldsVersion = String(decoding: version.value, as: UTF8.self)
        unicodeVersion = String(decoding: unicode.value, as: UTF8.self)
        tagList = tags.value
        dataGroups = tags.value.compactMap(LDSFile.dataGroup(tag:))
    }

    /// `major.minor` of the LDS version (e.g. `1.7`).
    public var ldsVersionDotted: String {
        let digits = Array(ldsVersion)
        return "\(Int(String(digits[0...1])) ?? 0).\(Int(String(digits[2...3])) ?? 0)"
    }
}
