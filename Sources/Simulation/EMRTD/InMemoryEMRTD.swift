import ChipID
import SmartCard

/// The simulated eMRTD in memory, as a `CardTransport` (no PC/SC, no vpcd): the very card and applet
/// `station-simulator card` serves (`EMRTDCard`: BAC, PACE ECDH-GM with CAN or MRZ, 3DES/AES secure messaging,
/// READ BINARY by short EF identifier, offset and odd INS), built from raw LDS files, with every command it was sent
/// kept. ChipID's tests read it with `ChipReader`; faults and quirks come from `CardBehaviour` and `EMRTDFault`.
public actor InMemoryEMRTD: CardTransport {
    /// The chip's files, secrets and quirks.
    public struct Configuration: Sendable {
        /// The LDS files of the eMRTD application.
        public var files: [LDSFile: [UInt8]]
        /// EF.CardAccess at MF level (nil: a BAC-only chip).
        public var cardAccess: [UInt8]?
        /// The MRZ key seed (BAC, PACE with the MRZ password).
        public var mrz: MRZKeySeed
        /// The CAN (PACE password 2), if the chip has one.
        public var can: String?
        /// The limits the reader is told.
        public var limits: TransportLimits = .short
        /// How the card answers (the real CCCD's `6D00` on SELECT MF by default; strict end of file, no short EF
        /// identifiers, a smaller buffer than claimed).
        public var behaviour: CardBehaviour = EMRTDCard.cccdBehaviour
        /// A protocol fault (a tampered response MAC, a refused PACE password).
        public var fault: EMRTDFault?
        /// Wrong PACE passwords before PACE is blocked (`63Cx` counts down).
        public var paceAttempts = 3

        /// A chip with these files and secrets, well behaved otherwise.
        public init(files: [LDSFile: [UInt8]], cardAccess: [UInt8]?, mrz: MRZKeySeed, can: String? = nil) {
            self.files = files
            self.cardAccess = cardAccess
            self.mrz = mrz
            self.can = can
        }
    }

    private let card: ISO7816Card
    /// The limits the reader is told.
    public let limits: TransportLimits
    /// Every command sent, as sent (protected commands still wrapped).
    public private(set) var received: [CommandAPDU] = []
    /// Commands sent.
    public var commandCount: Int { received.count }

    /// Builds the chip and powers it on.
    public init(_ configuration: Configuration) {
        let parts = EMRTDCard.make(
            files: configuration.files, cardAccess: configuration.cardAccess, mrz: configuration.mrz,
            can: configuration.can, behaviour: configuration.behaviour, fault: configuration.fault,
            paceAttempts: configuration.paceAttempts)
        parts.card.powerOn()
        card = parts.card
        limits = configuration.limits
    }

    /// Sends one APDU to the card and parses its answer.
    public func transmit(_ command: CommandAPDU) async throws -> ResponseAPDU {
        received.append(command)
        return try ResponseAPDU(bytes: card.process(command.bytes))
    }
}
