/// What protocol code (ICAO 9303 in `ChipID`) needs from a card: send a command, get the response, and know how
/// large a command and a response may be. A PC/SC connection implements it; tests implement it in memory, so the
/// protocols are tested without PC/SC too.
public protocol CardTransport: Sendable {
    /// Sends one command and returns the card's final response. Implementations resolve `61xx` (GET RESPONSE) and
    /// `6Cxx` (resend with the right Le) themselves, so callers see the data they asked for and the final status.
    func transmit(_ command: CommandAPDU) async throws -> ResponseAPDU

    /// What the reader and card together accept: the basis for choosing read chunk sizes.
    var limits: TransportLimits { get async }

    /// Hands `command` to the card and returns its answer to be collected later, so a caller can prepare and queue
    /// its next command while the card is still answering this one (a PC/SC connection runs queued commands in
    /// order on its thread, back to back). Commands reach the card in the order they were sent; a caller sends from
    /// one task at a time. Errors may come from either step. The default transmits at once and keeps the answer, so
    /// a transport whose `transmit` goes through `send` must implement `send` itself, with exactly this signature.
    func send(_ command: CommandAPDU) async throws -> PendingResponse
}

extension CardTransport {
    public func send(_ command: CommandAPDU) async throws -> PendingResponse {
        PendingResponse(answered: try await transmit(command))
    }
}

/// The answer to a command already handed to a `CardTransport`. Collect it once, with `response()`; an answer that is
/// never collected is dropped (the card has still processed the command).
public struct PendingResponse: Sendable {
    private let collect: @Sendable () async throws -> ResponseAPDU

    /// An answer that `collect` waits for (and may transform: secure messaging unprotects it there).
    public init(_ collect: @escaping @Sendable () async throws -> ResponseAPDU) { self.collect = collect }

    /// An answer that is already here.
    public init(answered response: ResponseAPDU) { self.collect = { response } }

    /// Waits for the card's answer.
    public func response() async throws -> ResponseAPDU { try await collect() }
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
        "\(extendedLength ? "extended" : "short") length, command ≤ \(maxCommandData) B, "
            + "response ≤ \(maxResponseData) B"
    }
}
