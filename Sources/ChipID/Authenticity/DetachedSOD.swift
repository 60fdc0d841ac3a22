/// EF.SOD with its document-signer certificate taken out, and put back (issue 17: the DS certificate travels once
/// per batch, not in every packet). The CMS signature covers the signed attributes (which hold the digest of the
/// LDS security object), not the `certificates` set, so the SOD without it verifies the same once the certificate
/// is back. EF.SOD is `77 { ContentInfo { id-signedData, [0] { SignedData { version, digestAlgorithms,
/// encapContentInfo, [0] certificates, [1] crls?, signerInfos } } } }`.
public enum DetachedSOD {
    /// Splits `sod` into EF.SOD without its certificate set and the one certificate it carried (DER). Nil when the
    /// SOD does not parse, carries no certificate or more than one, or putting the certificate back would not give
    /// `sod` byte for byte (a non-minimal length encoding): such a SOD travels whole.
    public static func detach(_ sod: [UInt8]) -> (sod: [UInt8], certificate: [UInt8])? {
        guard var fields = try? signedDataFields(sod),
            let index = fields.firstIndex(where: { $0.tag == 0xA0 }),
            let certificates = try? fields[index].children(), certificates.count == 1
        else { return nil }
        fields.remove(at: index)
        let detached = encode(fields)
        guard (try? attach(certificates[0].encoded, to: detached)) == sod else { return nil }
        return (detached, certificates[0].encoded)
    }

    /// Puts `certificate` (DER) back into `sod` as its certificate set. Throws `sodMalformed` when `sod` does not
    /// parse or already carries certificates.
    public static func attach(_ certificate: [UInt8], to sod: [UInt8]) throws(ChipIDError) -> [UInt8] {
        let fields: [TLV]
        do { fields = try signedDataFields(sod) } catch {
            throw ChipIDError(.sodMalformed, "EF.SOD without its certificate: \(error.reason)")
        }
        guard fields.count >= 4, !fields.contains(where: { $0.tag == 0xA0 }) else {
            throw ChipIDError(.sodMalformed, "EF.SOD without its certificate: unexpected SignedData fields")
        }
        var attached = fields
        attached.insert(TLV(tag: 0xA0, value: certificate), at: 3)
        return encode(attached)
    }

    /// The fields of the SignedData inside EF.SOD.
    static func signedDataFields(_ sod: [UInt8]) throws(ChipIDError) -> [TLV] {
        let outer = try TLV.single(sod, expecting: 0x77, "EF.SOD")
        let info = try TLV.single(outer.value, expecting: 0x30, "ContentInfo").children()
        guard info.count == 2, info[0].tag == 0x06, info[1].tag == 0xA0 else {
            throw ChipIDError(.sodMalformed, "ContentInfo is not id-signedData")
        }
        return try TLV.single(info[1].value, expecting: 0x30, "SignedData").children()
    }

    /// EF.SOD around `fields` (the content type of EF.SOD is always id-signedData).
    static func encode(_ fields: [TLV]) -> [UInt8] {
        let signedData = TLV.encode(tag: 0x30, value: fields.flatMap(\.encoded))
        let info =
            TLV.encode(tag: 0x06, value: ASN1.oidBytes(CMSSignedData.signedDataOID))
            + TLV.encode(
                tag: 0xA0, value: signedData)
        return TLV.encode(tag: 0x77, value: TLV.encode(tag: 0x30, value: info))
    }
}
