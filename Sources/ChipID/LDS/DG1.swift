/// DG1 (tag `61`): the MRZ as stored on the chip (`5F1F`).
public struct DG1: Sendable, Hashable, CustomStringConvertible {
    /// The parsed, check-digit-verified MRZ.
    public var mrz: MRZ

    /// Parses DG1 bytes. A bad check digit is a `malformedFile` error naming the MRZ field.
    public init(_ bytes: [UInt8]) throws(ChipIDError) {
        let outer = try TLV.single(bytes, expecting: 0x61, "DG1")
        let data = try outer.requiredChild(0x5F1F, "DG1 MRZ")
        guard data.value.allSatisfy({ $0 < 0x80 }) else { throw ChipIDError(.malformedFile, "DG1: MRZ is not ASCII") }
        let text = String(decoding: data.value, as: UTF8.self)
        guard text.count == 90 || text.count == 88 else {
            throw ChipIDError(.malformedFile, "DG1: MRZ of \(text.count) characters is neither TD1 nor TD3")
        }
        do {
            mrz = try MRZ(text)
        } catch {
            throw ChipIDError(.malformedFile, "DG1: \(error.description)")
        }
    }

    public var description: String { "DG1(\(mrz))" }
}
