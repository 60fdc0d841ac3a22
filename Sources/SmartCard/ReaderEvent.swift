/// Something that happened to a reader, a card, or the PC/SC service.
public enum ReaderEvent: Sendable, Hashable, CustomStringConvertible {
    /// A reader appeared (at start, hot-plug, or after pcscd came back).
    case readerAdded(String)
    /// A reader went away (unplugged, or pcscd stopped).
    case readerRemoved(String)
    /// A card was put on a reader.
    case cardInserted(reader: String, atr: ATR)
    /// The card left a reader.
    case cardRemoved(reader: String)
    /// pcscd is not reachable; the monitor keeps trying with backoff.
    case serviceUnavailable(SmartCardError)
    /// pcscd is reachable again; reader events follow.
    case serviceRestored

    public var description: String {
        switch self {
        case .readerAdded(let name): "reader added: \(name)"
        case .readerRemoved(let name): "reader removed: \(name)"
        case .cardInserted(let reader, let atr): "card inserted in \(reader), ATR \(atr)"
        case .cardRemoved(let reader): "card removed from \(reader)"
        case .serviceUnavailable(let error): "PC/SC service unavailable: \(error.code)"
        case .serviceRestored: "PC/SC service restored"
        }
    }
}

/// The pure part of the reader monitor: from what PC/SC reports, decide which events happened.
///
/// It remembers, per reader, whether a card is present, its ATR and pcsc-lite's event counter (the upper 16 bits of
/// `dwEventState`), so a card swapped between two waits still yields "removed" then "inserted".
public struct ReaderStateTracker: Sendable {
    /// What is known about one reader.
    public struct ReaderState: Sendable, Hashable {
        /// Whether a card is in it.
        public var cardPresent: Bool
        /// The card's ATR when present.
        public var atr: ATR?
        /// The last PC/SC state word seen, given back to `SCardGetStatusChange` as the current state.
        public var pcscState: UInt
    }

    /// Readers known now, by name.
    public private(set) var readers: [String: ReaderState] = [:]

    /// An empty tracker.
    public init() {}

    /// Reader names in a stable order (as first seen is not kept; sorted is enough for PC/SC calls).
    public var readerNames: [String] { readers.keys.sorted() }

    /// Applies a fresh reader list; returns added/removed events (a removed reader with a card reports the card
    /// removal first).
    public mutating func updateReaders(_ names: [String]) -> [ReaderEvent] {
        var events: [ReaderEvent] = []
        let current = Set(names)
        for name in readerNames where !current.contains(name) {
            if readers[name]?.cardPresent == true { events.append(.cardRemoved(reader: name)) }
            readers[name] = nil
            events.append(.readerRemoved(name))
        }
        for name in names where readers[name] == nil {
            readers[name] = ReaderState(cardPresent: false, atr: nil, pcscState: 0)
            events.append(.readerAdded(name))
        }
        return events
    }

    /// Applies one reader's new PC/SC event state and ATR; returns the card events it implies.
    public mutating func update(reader name: String, eventState: UInt, atr atrBytes: [UInt8]) -> [ReaderEvent] {
        guard var state = readers[name] else { return [] }
        let present = eventState & ReaderStateBits.present != 0 && eventState & ReaderStateBits.mute == 0
        let counterChanged = (eventState >> 16) != (state.pcscState >> 16) && state.pcscState != 0
        var events: [ReaderEvent] = []
        if state.cardPresent && (!present || counterChanged) {
            events.append(.cardRemoved(reader: name))
            state.cardPresent = false
            state.atr = nil
        }
        if present && !state.cardPresent {
            if let atr = try? ATR(atrBytes) {
                events.append(.cardInserted(reader: name, atr: atr))
                state.cardPresent = true
                state.atr = atr
            }
        }
        state.pcscState = eventState & ~ReaderStateBits.changed
        readers[name] = state
        return events
    }

    /// pcscd went away: every reader (and its card) is gone until it returns.
    public mutating func serviceLost() -> [ReaderEvent] { updateReaders([]) }
}

/// PC/SC reader state bits (pcsclite.h `SCARD_STATE_*`).
public enum ReaderStateBits {
    public static let changed: UInt = 0x0002
    public static let unknown: UInt = 0x0004
    public static let unavailable: UInt = 0x0008
    public static let empty: UInt = 0x0010
    public static let present: UInt = 0x0020
    public static let mute: UInt = 0x0200
}
