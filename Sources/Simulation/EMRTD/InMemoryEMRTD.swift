import ChipID
import SmartCard

/// The simulated eMRTD in memory, as a `CardTransport` (no PC/SC, no vpcd): the very card and applet
/// `station-simulator card` serves (`EMRTDCard`: BAC, PACE ECDH-GM with CAN or MRZ, 3DES/AES secure messaging,
/// READ BINARY by short EF identifier, offset and odd INS), built from raw LDS files, with every command it was sent
/// kept, Chip and Active Authentication with the keys given (a clone: keys other than the published ones). ChipID's
/// tests read it with `ChipReader`; faults and quirks come from `CardBehaviour` and `EMRTDFault`.
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
        /// The keys for Chip and Active Authentication (nil: the chip refuses both with `6D00`).
        public var chipKeys: EMRTDChipKeys?
        /// Start inside this secure-messaging session, the eMRTD application selected (skips BAC/PACE: tests of
        /// Chip and Active Authentication alone).
        public var session: SecureMessagingSession?

        /// A chip with these files and secrets, well behaved otherwise.
        public init(files: [LDSFile: [UInt8]], cardAccess: [UInt8]?, mrz: MRZKeySeed, can: String? = nil) {
            self.files = files
            self.cardAccess = cardAccess
            self.mrz = mrz
            self.can = can
        }
    }

    private let card: ISO7816Card
    private let applet: EMRTDApplet
    /// The limits the reader is told.
    public let limits: TransportLimits
    /// Every command sent, as sent (protected commands still wrapped).
    public private(set) var received: [CommandAPDU] = []
    /// Commands sent.
    public var commandCount: Int { received.count }
    /// The commands received inside secure messaging, unwrapped, in order.
    public var unwrappedCommands: [CommandAPDU] { applet.unwrappedCommands }
    /// Chip Authentication runs completed (keys switched).
    public var chipAuthentications: Int { applet.chipAuthentications }

    /// Builds the chip and powers it on.
    public init(_ configuration: Configuration) {
        let parts = EMRTDCard.make(
            files: configuration.files, cardAccess: configuration.cardAccess, mrz: configuration.mrz,
            can: configuration.can, behaviour: configuration.behaviour, fault: configuration.fault,
            paceAttempts: configuration.paceAttempts)
        parts.card.powerOn()
        parts.applet.chipKeys = configuration.chipKeys
        parts.applet.keepsUnwrappedCommands = true
        if let session = configuration.session {
            let select = CommandAPDU(cla: 0x00, ins: 0xA4, p1: 0x04, p2: 0x0C, data: FileReader.eMRTDApplicationID)
            _ = parts.card.process(select.bytes)
            parts.applet.resume(session)
        }
        card = parts.card
        applet = parts.applet
        limits = configuration.limits
    }

    /// Sends one APDU to the card and parses its answer.
    public func transmit(_ command: CommandAPDU) async throws -> ResponseAPDU {
        received.append(command)
        return try ResponseAPDU(bytes: card.process(command.bytes))
    }
}
