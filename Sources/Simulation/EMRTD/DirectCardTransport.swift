import Foundation
import SmartCard

/// A `CardTransport` straight into a simulated card, without PC/SC (for in-process tests of card and reader).
/// Commands are serialised by a lock, as `VPCDLink` serialises them on its thread.
public final class DirectCardTransport: CardTransport, @unchecked Sendable {
    private let card: SimulatedCard
    private let lock = NSLock()
    /// The limits the reader is told.
    public let limits: TransportLimits

    /// Powers the card on and wraps it.
    public init(card: SimulatedCard, limits: TransportLimits = .short) {
        self.card = card
        self.limits = limits
        card.powerOn()
    }

    /// Sends one APDU and parses the answer (no 61xx/6Cxx handling: the simulated cards do not need it by default).
    public func transmit(_ command: CommandAPDU) async throws -> ResponseAPDU {
        let bytes = lock.withLock { card.process(command.bytes) }
        return try ResponseAPDU(bytes: bytes)
    }
}
