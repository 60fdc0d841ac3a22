import SmartCard

/// A `CardTransport` that wraps every command in secure messaging and checks every response, so file readers use a
/// protected channel without knowing it. Its `limits` are the plain sizes that still fit once SM overhead is added.
/// After a bad MAC or malformed response the session is closed and every later call throws `sessionClosed`.
///
/// `send` supports pipelining: each exchange reserves its pair of SSC values when it is sent, so the next command can
/// be protected and queued before the previous response has been unprotected; responses are checked with their own
/// SSC whenever they are collected. Commands must still be sent one at a time, from one task.
public actor SecureMessagingTransport: CardTransport {
    private let inner: any CardTransport
    private var session: SecureMessagingSession
    private var sending = false

    /// Wraps `inner` with an established session.
    public init(wrapping inner: any CardTransport, session: SecureMessagingSession) {
        self.inner = inner
        self.session = session
    }

    /// The cipher family in use.
    public var algorithm: CipherAlgorithm { session.algorithm }

    /// The current SSC (for tests and diagnostics; not secret on its own).
    public var ssc: [UInt8] { session.ssc }

    /// Whether a failure has closed the session.
    public var isClosed: Bool { session.isClosed }

    /// Protects `command`, sends it, verifies and decrypts the answer.
    public func transmit(_ command: CommandAPDU) async throws -> ResponseAPDU {
        try await send(command).response()
    }

    /// Protects `command` with the next SSC and queues it; the returned answer is verified and decrypted with its own
    /// SSC when collected.
    public func send(_ command: CommandAPDU) async throws -> PendingResponse {
        guard !sending else {
            throw ChipIDError(.protocolViolation, "concurrent commands on one secure messaging channel")
        }
        sending = true
        defer { sending = false }
        let exchange = try session.reserveExchange()
        let protected = try session.protect(command, ssc: exchange.commandSSC)
        let answer: PendingResponse
        do {
            answer = try await inner.send(protected)
        } catch {
            throw ChipIDError.wrapping(error)
        }
        return PendingResponse { [self] in
            let response: ResponseAPDU
            do {
                response = try await answer.response()
            } catch {
                throw ChipIDError.wrapping(error)
            }
            return try await unprotect(response, ssc: exchange.responseSSC)
        }
    }

    private func unprotect(_ response: ResponseAPDU, ssc: [UInt8]) throws(ChipIDError) -> ResponseAPDU {
        guard !session.isClosed else { throw ChipIDError(.sessionClosed, "secure messaging session was closed") }
        do {
            return try session.unprotect(response, ssc: ssc)
        } catch  where SecureMessagingSession.closesSession(error) {
            session.close()
            throw error
        }
    }

    /// Plain-size limits under SM.
    public var limits: TransportLimits {
        get async {
            let raw = await inner.limits
            let protectedResponse = raw.extendedLength ? raw.maxResponseData : min(raw.maxResponseData, 256)
            let protectedCommand = raw.extendedLength ? raw.maxCommandData : min(raw.maxCommandData, 255)
            return TransportLimits(
                extendedLength: raw.extendedLength,
                maxCommandData: session.maxPlainCommand(protectedLimit: protectedCommand),
                maxResponseData: session.maxPlainResponse(protectedLimit: protectedResponse))
        }
    }
}

/// A transport wrapper that counts APDUs sent (for the read report and performance budgets).
public actor CountingTransport: CardTransport {
    private let inner: any CardTransport
    /// Commands sent so far.
    public private(set) var count = 0

    /// Wraps `inner`.
    public init(wrapping inner: any CardTransport) { self.inner = inner }

    /// Counts and forwards.
    public func transmit(_ command: CommandAPDU) async throws -> ResponseAPDU {
        count += 1
        return try await inner.transmit(command)
    }

    /// Counts and forwards (queued).
    public func send(_ command: CommandAPDU) async throws -> PendingResponse {
        count += 1
        return try await inner.send(command)
    }

    /// The inner limits.
    public var limits: TransportLimits { get async { await inner.limits } }
}
