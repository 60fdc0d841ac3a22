/// What protocol code (ICAO 9303 in `ChipID`) needs from a card: send a command, get the response, and know how
/// large a command and a response may be. A PC/SC connection implements it; tests implement it in memory, so the
/// protocols are tested without PC/SC too.
public protocol CardTransport: Sendable {
    /// Sends one command and returns the card's final response. Implementations resolve `61xx` (GET RESPONSE) and
    /// `6Cxx` (resend with the right Le) themselves, so callers see the data they asked for and the final status.
    func transmit(_ command: CommandAPDU) async throws -> ResponseAPDU

    /// What the reader and card together accept: the basis for choosing read chunk sizes.
    var limits: TransportLimits { get async }
}

/// The largest command data field and response a reader and card accept together.
public struct TransportLimits: Sendable, Hashable, CustomStringConvertible {
    /// Whether extended-length APDUs may be sent (both reader and card support them).
    public var extendedLength: Bool
    /// The largest command data field (Lc).
    public var maxCommandData: Int
    /// The largest response data field (Ne) the card may return in one response.
    public var maxResponseData: Int

    /// Short APDUs only: 255 bytes in, 256 out.
    public static let short = TransportLimits(extendedLength: false, maxCommandData: 255, maxResponseData: 256)

    /// Builds limits.
    public init(extendedLength: Bool, maxCommandData: Int, maxResponseData: Int) {
        self.extendedLength = extendedLength
        self.maxCommandData = maxCommandData
        self.maxResponseData = maxResponseData
    }

    public var description: String {
        "\(extendedLength ? "extended" : "short") length, command ≤ \(maxCommandData) B, response ≤ \(maxResponseData) B"
    }
}
