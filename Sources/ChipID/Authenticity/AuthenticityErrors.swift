/// Error codes of document-authenticity checks (Passive, Active and Chip Authentication, trust lists).
extension ChipIDError.Code {
    /// EF.SOD (or another CMS object) does not parse as a CMS SignedData with the expected content.
    public static let sodMalformed = ChipIDError.Code(rawValue: "chip.sod_malformed")
    /// A signature or digest algorithm this reader does not implement.
    public static let unsupportedAlgorithm = ChipIDError.Code(rawValue: "chip.unsupported_algorithm")
    /// A certificate or CRL does not parse.
    public static let certificateMalformed = ChipIDError.Code(rawValue: "chip.certificate_malformed")
    /// An ICAO CSCA master list does not parse.
    public static let masterListMalformed = ChipIDError.Code(rawValue: "chip.masterlist_malformed")
    /// An ICAO CSCA master list's own signature does not verify: nothing from it may be loaded.
    public static let masterListSignatureInvalid = ChipIDError.Code(rawValue: "chip.masterlist_signature_invalid")
    /// A trust-list folder or an LDS folder cannot be read.
    public static let unreadableInput = ChipIDError.Code(rawValue: "chip.unreadable_input")
    /// Active Authentication's signature did not verify (possible clone).
    public static let activeAuthenticationFailed = ChipIDError.Code(rawValue: "chip.active_auth_failed")
}
