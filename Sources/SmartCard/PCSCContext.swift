import CPCSC
import Foundation
import JobThreads
import Retry

/// One PC/SC context (`SCardEstablishContext`) with its own thread.
///
/// pcsc-lite serialises calls on a context, so a context that waits for events cannot also carry transmits: the
/// reader monitor and every card connection therefore own a context each. A context dies with the pcscd that made
/// it; holders re-establish a new one rather than retrying on the old.
final class PCSCContext: @unchecked Sendable {
    let thread: JobThread
    let handle: SCARDCONTEXT
    private let lock = NSLock()
    private var released = false

    private init(thread: JobThread, handle: SCARDCONTEXT) {
        self.thread = thread
        self.handle = handle
    }

    /// Establishes a context on a new thread (blocking; call from a dedicated thread or through `establish()`).
    static func establishBlocking(thread: JobThread) throws -> PCSCContext {
        var context: SCARDCONTEXT = 0
        let status = SCardEstablishContext(DWORD(SCARD_SCOPE_SYSTEM), nil, nil, &context)
        guard status == PCSCStatus.success else { throw SmartCardError.pcsc(Int(status), "SCardEstablishContext") }
        return PCSCContext(thread: thread, handle: context)
    }

    /// Establishes a context on a new dedicated thread, waiting at most `timeout` seconds for pcscd (a context
    /// established after the caller gave up is released at once).
    static func establish(name: String, timeout: Double = 10) async throws -> PCSCContext {
        let thread = JobThread(name: name, stackSize: 512 * 1024)
        let late = SmartCardError(.noService, reason: "pcscd did not answer within \(timeout) s")
        let gaveUp = PendingResult<Bool>()
        let pending = thread.start(timeout: timeout, onTimeout: late, timedOut: { gaveUp.fulfil(.success(true)) }) {
            let context = try establishBlocking(thread: thread)
            if gaveUp.isFulfilled { context.release() }
            return context
        }
        do {
            return try await pending.value()
        } catch {
            thread.stop(waiting: false)
            throw error
        }
    }

    /// Lists reader names (blocking). No readers is an empty list, not an error.
    func listReadersBlocking() throws -> [String] {
        var length: DWORD = 0
        var status = SCardListReaders(handle, nil, nil, &length)
        if status == PCSCStatus.noReadersAvailable { return [] }
        guard status == PCSCStatus.success else { throw SmartCardError.pcsc(Int(status), "SCardListReaders") }
        var buffer = [CChar](repeating: 0, count: Int(length))
        status = SCardListReaders(handle, nil, &buffer, &length)
        if status == PCSCStatus.noReadersAvailable { return [] }
        guard status == PCSCStatus.success else { throw SmartCardError.pcsc(Int(status), "SCardListReaders") }
        return Self.splitMultiString(buffer)
    }

    /// Whether pcscd still knows this context.
    func isValidBlocking() -> Bool { SCardIsValidContext(handle) == PCSCStatus.success }

    /// Wakes a `SCardGetStatusChange` waiting on this context. Safe from any thread.
    func cancel() { _ = SCardCancel(handle) }

    /// Releases the context and stops its thread after queued jobs. Only the first call does anything.
    func release() {
        let first = lock.withLock {
            defer { released = true }
            return !released
        }
        guard first else { return }
        let handle = handle
        thread.enqueue { _ = SCardReleaseContext(handle) }
        thread.stop(waiting: false)
    }

    /// Splits a PC/SC multi-string (names separated by NUL, ended by two NULs).
    static func splitMultiString(_ buffer: [CChar]) -> [String] {
        var names: [String] = []
        var current: [UInt8] = []
        for char in buffer {
            if char == 0 {
                if current.isEmpty { break }
                names.append(String(decoding: current, as: UTF8.self))
                current.removeAll()
            } else {
                current.append(UInt8(bitPattern: char))
            }
        }
        return names
    }
}

/// The entry point to PC/SC: lists readers, connects to cards and streams reader events.
///
/// Each call establishes what it needs against the current pcscd, so a pcscd restart between calls costs nothing;
/// a call in progress when pcscd dies fails with a typed error (`smartcard.no_service` or `.invalid_handle`).
public struct CardReaders: Sendable {
    /// Creates the entry point. Nothing is opened until a call needs it.
    public init() {}

    /// The names of the readers pcscd knows now.
    /// Gives up after `timeout` seconds with `smartcard.no_service` (a pcscd that does not answer).
    public func list(timeout: Double = 10) async throws -> [String] {
        let context = try await PCSCContext.establish(name: "pcsc.list", timeout: timeout)
        defer { context.release() }
        let late = SmartCardError(.noService, reason: "SCardListReaders did not return within \(timeout) s")
        return try await context.thread.start(timeout: timeout, onTimeout: late) {
            try context.listReadersBlocking()
        }.value()
    }

    /// Connects to the card in `reader`.
    /// - Parameters:
    ///   - share: shared (other programs may use the card between our transactions) or exclusive.
    ///   - protocols: the protocols we accept; the card and reader pick one.
    ///   - transmitTimeout: seconds one exchange may take before it fails with `smartcard.card_unresponsive`.
    public func connect(
        reader: String, share: ShareMode = .shared, protocols: CardProtocols = [.t0, .t1],
        transmitTimeout: Double = 20
    ) async throws -> CardConnection {
        try await CardConnection.open(
            reader: reader, share: share, protocols: protocols,
            transmitTimeout: transmitTimeout)
    }

    /// A stream of reader and card events, recovering by itself when pcscd restarts. See `ReaderMonitor`.
    public func events(backoff: Backoff = .pcscReconnect) -> ReaderMonitor { ReaderMonitor(backoff: backoff) }
}

/// How a connection shares the card with other programs.
public enum ShareMode: Sendable {
    /// Other programs may use the card too; use transactions to keep a sequence of APDUs together.
    case shared
    /// Nobody else may use the card while we hold it.
    case exclusive

    var pcscValue: DWORD { self == .shared ? DWORD(SCARD_SHARE_SHARED) : DWORD(SCARD_SHARE_EXCLUSIVE) }
}

/// The transmission protocols a connection accepts.
public struct CardProtocols: OptionSet, Sendable, Hashable {
    public let rawValue: UInt
    public init(rawValue: UInt) { self.rawValue = rawValue }
    /// T=0, character protocol.
    public static let t0 = CardProtocols(rawValue: UInt(SCARD_PROTOCOL_T0))
    /// T=1, block protocol.
    public static let t1 = CardProtocols(rawValue: UInt(SCARD_PROTOCOL_T1))
}

/// What happens to the card when a connection ends or reconnects.
public enum CardDisposition: Sendable {
    /// Leave it as it is.
    case leave
    /// Warm reset.
    case reset
    /// Power it down.
    case unpower

    var pcscValue: DWORD {
        switch self {
        case .leave: DWORD(SCARD_LEAVE_CARD)
        case .reset: DWORD(SCARD_RESET_CARD)
        case .unpower: DWORD(SCARD_UNPOWER_CARD)
        }
    }
}
