import SmartCard

/// A `CardTransport` whose inner channel can be replaced, so secure messaging restarts with Chip
/// Authentication's keys while the file reader keeps the same transport.
public actor RekeyableTransport: CardTransport {
    private var inner: any CardTransport

    /// Starts on `inner`.
    public init(_ inner: any CardTransport) { self.inner = inner }

    /// Switches to a new channel (e.g. a `SecureMessagingTransport` with the CA session).
    public func replace(with transport: any CardTransport) { inner = transport }

    /// The current channel.
    public var current: any CardTransport { inner }

    public func transmit(_ command: CommandAPDU) async throws -> ResponseAPDU {
        try await inner.transmit(command)
    }

    public func send(_ command: CommandAPDU) async throws -> PendingResponse {
        try await inner.send(command)
    }

    public var limits: TransportLimits { get async { await inner.limits } }
}
