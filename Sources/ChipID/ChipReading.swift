import Foundation
import SmartCard

/// What to read from a chip and how to prove it: the one request every chip read of the station is made of
/// (intake, the health check-in, `stationd card read`).
public struct ChipReadRequest: Sendable {
    /// The PC/SC reader holding the card.
    public var reader: String
    /// CAN (PACE) or MRZ seed (PACE-MRZ / BAC).
    public var key: AccessKey
    /// The files to read (the read profile); nil reads the whole LDS (`ChipReader.files`' default, DG2 included).
    public var files: [LDSFile]?
    /// Chip / Active and Passive Authentication (anchors and validity model).
    public var authentication: AuthenticationOptions
    /// Seconds any one call to the reader may take: a mute card fails after this long instead of hanging.
    public var timeout: Double
    /// Progress of each file, for a terminal's progress line.
    public var progress: ChipReader.Progress?
    /// DG1 only if DG13 is absent (`ChipReader.dg1OnlyWithoutDG13`; the health desk). Off: DG1 is required.
    public var dg1OnlyWithoutDG13 = false

    /// Builds a request; `files` nil reads the whole LDS.
    public init(
        reader: String, key: AccessKey, files: [LDSFile]? = nil,
        authentication: AuthenticationOptions = AuthenticationOptions(), timeout: Double = 20,
        progress: ChipReader.Progress? = nil, dg1OnlyWithoutDG13: Bool = false
    ) {
        self.reader = reader
        self.key = key
        self.files = files
        self.authentication = authentication
        self.timeout = timeout
        self.progress = progress
        self.dg1OnlyWithoutDG13 = dg1OnlyWithoutDG13
    }
}

/// The chip-reading seam: "on this reader, with this key and this read profile, give me the chip read and its
/// verdict". `PCSCChipReading` is the real one; tests of what sits above (the intake session, the check-in) use a
/// fake.
public protocol ChipReading: Sendable {
    /// Reads the chip as `request` says; throws `ChipIDError` (chip, access, authenticity) or `SmartCardError`
    /// (reader, card gone, mute card).
    func read(_ request: ChipReadRequest) async throws -> ChipRead
}

/// Reads a chip through pcscd: connects, starts from a warm reset (another program may have left an application
/// selected or a secure-messaging session open, and then EF.CardAccess is not reachable), reads inside one PC/SC
/// transaction and resets the card when done, so no session is left behind for the next reader.
public struct PCSCChipReading: ChipReading {
    /// A reader of chips through the system's pcscd.
    public init() {}

    public func read(_ request: ChipReadRequest) async throws -> ChipRead {
        let connection = try await Self.connectFromWarmReset(request)
        do {
            let result = try await connection.withTransaction {
                var chip = ChipReader(transport: connection)
                if let files = request.files { chip.files = files }
                chip.authentication = request.authentication
                chip.dg1OnlyWithoutDG13 = request.dg1OnlyWithoutDG13
                return try await chip.read(key: request.key, progress: request.progress)
            }
            try? await connection.disconnect(.reset)
            return result
        } catch {
            try? await connection.disconnect(.reset)
            throw error
        }
    }

    /// Connects and resets the card. A card placed a moment ago can be missing for the reset (vpcd, and readers
    /// that re-poll the field, power it down and report it absent while they do): one more connection after a
    /// short pause, then the reader's answer stands (a card really gone is `smartcard.no_card`).
    private static func connectFromWarmReset(_ request: ChipReadRequest) async throws -> CardConnection {
        for attempt in 1...2 {
            let connection = try await CardReaders().connect(reader: request.reader, transmitTimeout: request.timeout)
            do {
                try await connection.reconnect(initialization: .reset)
                return connection
            } catch let error as SmartCardError where attempt == 1 && [.noCard, .cardRemoved].contains(error.code) {
                try? await connection.disconnect(.leave)
                try await Task.sleep(for: .milliseconds(300))
            } catch {
                try? await connection.disconnect(.leave)
                throw error
            }
        }
        throw SmartCardError(.noCard, reason: "the card left during the warm reset")
    }
}
