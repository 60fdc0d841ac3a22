import CPCSC
import Foundation
import JobThreads
import Logging

/// A connection to the card in one reader, over its own PC/SC context and thread.
///
/// `transmit` resolves `61xx` (GET RESPONSE until the data is complete) and `6Cxx` (resend with the Le the card
/// names), so callers see whole responses. Every PC/SC failure becomes a `SmartCardError`; after
/// `smartcard.card_reset` call `reconnect()`; after `.card_removed` or `.no_service` the connection is dead and a new
/// one must be opened when a card is back.
///
/// **Deadlines.** Every call that reaches PC/SC (connect, transmit, transaction begin and end, reconnect, status,
/// disconnect) runs on the connection's thread under `transmitTimeout`. pcsc-lite cannot interrupt a call in
/// progress (`SCardCancel` only wakes `SCardGetStatusChange`; a stuck `SCardTransmit` holds its context's lock, so
/// even releasing that context from another thread would block), so when a call overruns its deadline the caller
/// gets `smartcard.card_unresponsive` and the connection is **abandoned**: its context and thread are left to the
/// stuck call, every later call fails at once (ending a transaction and disconnecting return at once), and when the
/// stuck call finally returns (the card is pulled, pcscd gives up) the thread resets the card, releases the handle
/// (and with it any transaction lock), releases the context and ends. A new connection gets a new context and
/// thread, so the reader is usable again for the next card.
public final class CardConnection: CardTransport, @unchecked Sendable {
    /// The reader this connection is in.
    public let reader: String
    private let context: PCSCContext
    private let lock = NSLock()
    private var handle: SCARDHANDLE
    private var activeProtocol: DWORD
    private var isClosed = false
    /// Set when a call overran its deadline: the context and thread belong to the stuck call from then on.
    private var isAbandoned = false
    private let share: ShareMode
    /// How long one call (an exchange with the card, a transaction's begin or end, a reconnect, a disconnect) may
    /// take before the caller gets `smartcard.card_unresponsive`. A reader driver that never returns (a mute card
    /// behind some drivers) then costs the caller this long, not forever; the connection is abandoned then.
    public let transmitTimeout: Double
    private let logger = Logger(label: "station.smartcard")
    private var currentATR: ATR?
    private var currentReaderMax: Int?

    /// The card's ATR at connect (or last reconnect).
    public var atr: ATR? { lock.withLock { currentATR } }
    /// The largest APDU data field the reader handles (PC/SC part 10 `dwMaxAPDUDataSize`), if it says.
    public var readerMaxAPDUData: Int? { lock.withLock { currentReaderMax } }

    private init(
        reader: String, context: PCSCContext, handle: SCARDHANDLE, activeProtocol: DWORD, share: ShareMode,
        transmitTimeout: Double
    ) {
        self.reader = reader
        self.transmitTimeout = transmitTimeout
        self.context = context
        self.handle = handle
        self.activeProtocol = activeProtocol
        self.share = share
    }

    static func open(
        reader: String, share: ShareMode, protocols: CardProtocols,
        transmitTimeout: Double
    ) async throws -> CardConnection {
        let context = try await PCSCContext.establish(name: "pcsc.card", timeout: transmitTimeout)
        let timeout = SmartCardError(
            .cardUnresponsive,
            reason: "SCardConnect did not return within \(transmitTimeout) s")
        // A connect that overruns the deadline leaves the context to it: released (and the thread ended) once it
        // returns; a connection made after the caller gave up is dropped, and its deinit disconnects it.
        let pending = context.thread.start(
            timeout: transmitTimeout, onTimeout: timeout,
            timedOut: { context.release() }
        ) { () throws -> CardConnection in
            var handle: SCARDHANDLE = 0
            var active: DWORD = 0
            let status = SCardConnect(
                context.handle, reader, share.pcscValue, DWORD(protocols.rawValue),
                &handle, &active)
            guard status == PCSCStatus.success else { throw SmartCardError.pcsc(Int(status), "SCardConnect") }
            let connection = CardConnection(
                reader: reader, context: context, handle: handle,
                activeProtocol: active, share: share, transmitTimeout: transmitTimeout)
            connection.refreshBlocking()
            return connection
        }
        do {
            return try await pending.value()
        } catch {
            context.release()
            throw error
        }
    }

    deinit {
        if !isClosed && !isAbandoned {
            let handle = handle
            context.thread.enqueue { _ = SCardDisconnect(handle, DWORD(SCARD_LEAVE_CARD)) }
        }
        context.release()
    }

    /// The protocol the card and reader agreed on (`.t0` or `.t1`).
    public var cardProtocol: CardProtocols { lock.withLock { CardProtocols(rawValue: UInt(activeProtocol)) } }

    /// Reads the ATR and the reader's APDU size limit after connect or reconnect.
    private func refreshBlocking() {
        var nameLength: DWORD = 0
        var state: DWORD = 0
        var proto: DWORD = 0
        var atrBytes = [UInt8](repeating: 0, count: Int(MAX_ATR_SIZE))
        var atrLength = DWORD(atrBytes.count)
        let h = lock.withLock { handle }
        var parsed: ATR?
        if SCardStatus(h, nil, &nameLength, &state, &proto, &atrBytes, &atrLength) == PCSCStatus.success {
            parsed = try? ATR(Array(atrBytes.prefix(Int(atrLength))))
        }
        let readerMax = Self.maxAPDUDataBlocking(handle: h)
        lock.withLock {
            currentATR = parsed
            currentReaderMax = readerMax
        }
    }

    /// The reader's largest APDU data size: PC/SC v2 part 10 `dwMaxAPDUDataSize` from its TLV properties (CCID
    /// readers), else the `SCARD_ATTR_MAXINPUT` attribute (drivers without `SCardControl`, such as vpcd).
    private static func maxAPDUDataBlocking(handle: SCARDHANDLE) -> Int? {
        if let size = tlvMaxAPDUDataBlocking(handle: handle) { return size }
        var value = [UInt8](repeating: 0, count: 8)
        var length = DWORD(value.count)
        let maxInput = DWORD(0x0007_A007)  // SCARD_ATTR_VALUE(SCARD_CLASS_VENDOR_DEFINED, 0xA007)
        guard SCardGetAttrib(handle, maxInput, &value, &length) == PCSCStatus.success, length >= 1, length <= 8
        else { return nil }
        return value.prefix(Int(length)).reversed().reduce(0) { $0 << 8 | Int($1) }
    }

    /// PC/SC v2 part 10: ask the reader for its TLV properties and read `dwMaxAPDUDataSize`.
    private static func tlvMaxAPDUDataBlocking(handle: SCARDHANDLE) -> Int? {
        var features = [UInt8](repeating: 0, count: 256)
        var length: DWORD = 0
        let getFeatures = DWORD(0x4200_0000 + 3400)  // CM_IOCTL_GET_FEATURE_REQUEST
        guard
            SCardControl(handle, getFeatures, nil, 0, &features, DWORD(features.count), &length)
                == PCSCStatus.success
        else { return nil }
        // Each feature: tag (1), length 4 (1), control code big-endian (4).
        var index = 0
        var tlvCode: DWORD?
        while index + 6 <= Int(length) {
            if features[index] == 0x12 {  // FEATURE_GET_TLV_PROPERTIES
                tlvCode =
                    DWORD(features[index + 2]) << 24 | DWORD(features[index + 3]) << 16
                    | DWORD(features[index + 4]) << 8 | DWORD(features[index + 5])
            }
            index += 2 + Int(features[index + 1])
        }
        guard let tlvCode else { return nil }
        var properties = [UInt8](repeating: 0, count: 256)
        guard
            SCardControl(handle, tlvCode, nil, 0, &properties, DWORD(properties.count), &length)
                == PCSCStatus.success
        else { return nil }
        index = 0
        while index + 2 <= Int(length) {
            let tag = properties[index]
            let size = Int(properties[index + 1])
            guard index + 2 + size <= Int(length) else { break }
            if tag == 10, size == 4 {  // PCSCv2_PART10_PROPERTY_dwMaxAPDUDataSize, little-endian
                let value = properties[(index + 2)..<(index + 6)].reversed().reduce(0) { $0 << 8 | Int($1) }
                return value
            }
            index += 2 + size
        }
        return nil
    }

    /// The reader's profile from `Devices/readers/`, if one matches its name.
    public var profile: ReaderProfile? { ReaderProfile.match(reader, in: ReaderProfile.installed) }

    /// What this reader and card accept together: extended length only if the reader reports (or its profile
    /// gives) a data size above 255 and the card's ATR announces extended Lc/Le (or `assumeCardExtended` says the
    /// caller knows better, e.g. from the card's EF.ATR/INFO).
    public func limits(assumeCardExtended: Bool) -> TransportLimits {
        let profileMax = profile.map { $0.extendedLength ? $0.maxAPDUData : min($0.maxAPDUData, 255) }
        let readerMax = readerMaxAPDUData ?? profileMax ?? 0
        guard readerMax > 255, assumeCardExtended || (atr?.supportsExtendedLength ?? false) else { return .short }
        return TransportLimits(
            extendedLength: true, maxCommandData: min(readerMax, CommandAPDU.maxExtendedData),
            maxResponseData: min(readerMax, CommandAPDU.maxExtendedLe))
    }

    public var limits: TransportLimits { limits(assumeCardExtended: false) }

    /// Sends raw bytes and returns the raw response (no 61xx/6Cxx handling).
    public func transmitRaw(_ bytes: [UInt8]) async throws -> [UInt8] {
        try await exchange { try self.transmitRawBlocking(bytes) }
    }

    private func transmitRawBlocking(_ bytes: [UInt8]) throws -> [UInt8] {
        let (h, proto, closed) = lock.withLock { (handle, activeProtocol, isClosed) }
        guard !closed else { throw SmartCardError(.closed, reason: "transmit on a closed connection") }
        var request = SCARD_IO_REQUEST(dwProtocol: proto, cbPciLength: DWORD(MemoryLayout<SCARD_IO_REQUEST>.size))
        var response = [UInt8](repeating: 0, count: 65_536 + 2 + 16)
        var length = DWORD(response.count)
        let status = bytes.withUnsafeBufferPointer { send in
            SCardTransmit(h, &request, send.baseAddress, DWORD(send.count), nil, &response, &length)
        }
        guard status == PCSCStatus.success else { throw SmartCardError.pcsc(Int(status), "SCardTransmit") }
        return Array(response.prefix(Int(length)))
    }

    /// Sends a command; follows `61xx` with GET RESPONSE and `6Cxx` with a resend, returns the whole response.
    public func transmit(_ command: CommandAPDU) async throws -> ResponseAPDU {
        try await exchange { try self.transmitBlocking(command) }
    }

    /// Queues a command on the connection's thread and returns at once: the thread starts it as soon as the
    /// commands queued before it are answered, without waiting for the caller to come back for those answers.
    public func send(_ command: CommandAPDU) async throws -> PendingResponse {
        let pending = try start("the card") { try self.transmitBlocking(command) }
        return PendingResponse { try await pending.value() }
    }

    /// Whether an earlier call overran its deadline (the connection then fails every call at once).
    public var abandoned: Bool { lock.withLock { isAbandoned } }

    /// Runs one exchange on the connection's thread under `transmitTimeout`.
    private func exchange<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await start("the card", body).value()
    }

    /// Queues one call under `transmitTimeout`. When the timer fires first, the caller gets
    /// `smartcard.card_unresponsive` and the connection is abandoned (see the type's documentation). Calls queued
    /// behind a stuck one fail as soon as they reach the thread, without touching PC/SC.
    private func start<T: Sendable>(
        _ what: String,
        _ body: @escaping @Sendable () throws -> T
    ) throws -> PendingResult<T> {
        let abandoned = lock.withLock { isAbandoned }
        guard !abandoned else {
            throw SmartCardError(.cardUnresponsive, reason: "an earlier call to the reader has not returned")
        }
        let timeout = SmartCardError(.cardUnresponsive, reason: "\(what) did not answer within \(transmitTimeout) s")
        return context.thread.start(
            timeout: transmitTimeout, onTimeout: timeout,
            timedOut: { [weak self] in
                self?.abandon()
            }
        ) { [weak self] () throws -> T in
            guard let self, !self.lock.withLock({ self.isAbandoned }) else {
                throw SmartCardError(.cardUnresponsive, reason: "an earlier call to the reader has not returned")
            }
            return try body()
        }
    }

    /// Gives the context and thread up to the stuck call: later calls fail at once; the thread resets the card,
    /// releases the handle and the context, and ends, after the stuck call returns.
    private func abandon() {
        let handle: SCARDHANDLE? = lock.withLock {
            guard !isAbandoned else { return nil }
            isAbandoned = true
            defer { isClosed = true }
            return isClosed ? nil : self.handle
        }
        guard let handle else { return }
        logger.warning("card call overran its deadline: connection abandoned", metadata: ["reader": "\(reader)"])
        context.thread.enqueue { _ = SCardDisconnect(handle, DWORD(SCARD_RESET_CARD)) }
        context.release()
    }

    private func transmitBlocking(_ command: CommandAPDU) throws -> ResponseAPDU {
        var response = try parse(transmitRawBlocking(command.bytes))
        if let le = response.status.correctLe {
            response = try parse(transmitRawBlocking(command.with(le: le).bytes))
        }
        var data = response.data
        var rounds = 0
        while let remaining = response.status.bytesRemaining {
            rounds += 1
            guard rounds <= 1024, data.count <= CommandAPDU.maxExtendedLe else {
                throw SmartCardError(.malformedResponse, reason: "GET RESPONSE chain does not end")
            }
            let getResponse = CommandAPDU(cla: command.cla & 0x03, ins: 0xC0, p1: 0, p2: 0, le: remaining)
            response = try parse(transmitRawBlocking(getResponse.bytes))
            data += response.data
        }
        return ResponseAPDU(data: data, status: response.status)
    }

    private func parse(_ bytes: [UInt8]) throws -> ResponseAPDU {
        do {
            return try ResponseAPDU(bytes: bytes)
        } catch {
            logger.warning("card answered a malformed response", metadata: ["bytes": "\(bytes.count)"])
            throw SmartCardError(.malformedResponse, reason: error.reason)
        }
    }

    /// Runs `body` inside a PC/SC transaction, so no other program's APDUs come between ours. Beginning waits at
    /// most `transmitTimeout` (another program may hold the card); ending never outlasts it either.
    public func withTransaction<T: Sendable>(_ body: @Sendable () async throws -> T) async throws -> T {
        try await start("SCardBeginTransaction") {
            let status = SCardBeginTransaction(self.lock.withLock { self.handle })
            guard status == PCSCStatus.success else { throw SmartCardError.pcsc(Int(status), "SCardBeginTransaction") }
        }.value()
        do {
            let result = try await body()
            try await endTransaction()
            return result
        } catch {
            try? await endTransaction()
            throw error
        }
    }

    /// Ends the transaction; nothing to end on an abandoned connection (its handle is reset when the stuck call
    /// returns, which releases the transaction).
    private func endTransaction() async throws {
        guard !lock.withLock({ isAbandoned }) else { return }
        try await start("SCardEndTransaction") {
            let status = SCardEndTransaction(self.lock.withLock { self.handle }, DWORD(SCARD_LEAVE_CARD))
            guard status == PCSCStatus.success else { throw SmartCardError.pcsc(Int(status), "SCardEndTransaction") }
        }.value()
    }

    /// Reconnects after a reset (or to reset the card), keeping the handle usable.
    public func reconnect(
        initialization: CardDisposition = .leave,
        protocols: CardProtocols = [.t0, .t1]
    ) async throws {
        try await start("SCardReconnect") {
            var active: DWORD = 0
            let h = self.lock.withLock { self.handle }
            let status = SCardReconnect(
                h, self.share.pcscValue, DWORD(protocols.rawValue),
                initialization.pcscValue, &active)
            guard status == PCSCStatus.success else { throw SmartCardError.pcsc(Int(status), "SCardReconnect") }
            self.lock.withLock { self.activeProtocol = active }
            self.refreshBlocking()
        }.value()
    }

    /// Reads the ATR and reader limits again (`SCardStatus`), under the deadline.
    public func refreshStatus() async throws {
        try await start("SCardStatus") { self.refreshBlocking() }.value()
    }

    /// Ends the connection. Later calls fail with `smartcard.closed`. On an abandoned connection it returns at
    /// once: the stuck call's thread disconnects when that call returns.
    public func disconnect(_ disposition: CardDisposition = .leave) async throws {
        guard !lock.withLock({ isAbandoned }) else { return }
        try await start("SCardDisconnect") {
            let (h, wasClosed) = self.lock.withLock { () -> (SCARDHANDLE, Bool) in
                defer { self.isClosed = true }
                return (self.handle, self.isClosed)
            }
            guard !wasClosed else { return }
            let status = SCardDisconnect(h, disposition.pcscValue)
            guard
                status == PCSCStatus.success || status == PCSCStatus.invalidHandle
                    || status == PCSCStatus.noService
            else { throw SmartCardError.pcsc(Int(status), "SCardDisconnect") }
        }.value()
    }
}
