import Foundation
import SmartCard

/// Measures a full chip read against the transport floor, in one run on one reader: the trivial-APDU round trip
/// (plain `SELECT EF.CardAccess`, median of `roundTrips` samples before the read and as many after it), and a
/// `ChipReader` read of COM, DG1, DG2, DG13, DG14, DG15 and SOD. The floor of the file phase is the minimum APDUs for
/// those bytes at the negotiated secure-messaging chunk size times the round trip. For `station-bench`,
/// `stationd card read --benchmark` (a field diagnostic on a real reader) and the live tests.
public struct ChipReadBenchmark: Sendable, CustomStringConvertible {
    /// Median round trip of a trivial plain APDU, seconds.
    public var roundTrip: Double
    /// Plain bytes per READ BINARY that fit in one protected response at the negotiated limits.
    public var chunkSize: Int
    /// Bytes of the files read (EF.CardAccess excluded).
    public var fileBytes: Int
    /// Minimum READ BINARY APDUs for those bytes: Σ ceil(size / chunkSize).
    public var minimumFileAPDUs: Int
    /// APDUs the read used after access control (SELECT of the application excluded).
    public var fileAPDUs: Int
    /// APDUs of the whole read (EF.CardAccess, PACE/BAC, SELECT, files).
    public var totalAPDUs: Int
    /// Wall time of the file phase, seconds.
    public var fileSeconds: Double
    /// Wall time of the whole read, seconds.
    public var totalSeconds: Double
    /// How access was gained.
    public var accessProtocol: String
    /// Of the file phase: time after the last answer was collected until the read returned (parsing, cross-checks).
    public var tailSeconds: Double = 0
    /// Median interval between collected answers, for the first READ BINARY of each file (sent once the previous
    /// file is done) and for the chunks after it (queued one ahead).
    public var headInterval: Double = 0
    public var chunkInterval: Double = 0

    /// `minimumFileAPDUs × roundTrip`.
    public var floorSeconds: Double { Double(minimumFileAPDUs) * roundTrip }
    /// fileAPDUs / minimumFileAPDUs (goal ≤ 1.1).
    public var apduRatio: Double { Double(fileAPDUs) / Double(max(1, minimumFileAPDUs)) }
    /// fileSeconds / floorSeconds (goal ≤ 1.2).
    public var wallRatio: Double { fileSeconds / max(floorSeconds, 1e-9) }

    public var description: String {
        String(
            format: "%@: %d file bytes, chunk %d; file APDUs %d vs minimum %d (%.2fx); file phase %.1f ms vs floor "
                + "%.1f ms (%.2fx; round trip %.3f ms); whole read %d APDUs, %.1f ms",
            accessProtocol, fileBytes, chunkSize, fileAPDUs, minimumFileAPDUs, apduRatio, fileSeconds * 1000,
            floorSeconds * 1000, wallRatio, roundTrip * 1000, totalAPDUs, totalSeconds * 1000)
            + String(
                format: "; parsing after the last answer %.2f ms; per answer: file heads %.0f µs, "
                    + "later chunks %.0f µs", tailSeconds * 1000, headInterval * 1e6, chunkInterval * 1e6)
    }

    /// Runs the measurement over `transport` (a PC/SC connection to the card) with `key`.
    public static func run(
        transport: any CardTransport, key: AccessKey,
        roundTrips: Int = 50
    ) async throws -> ChipReadBenchmark {
        let probe = FileReader.selectEF(LDSFile.cardAccess.fileID)
        var samples: [Double] = []
        func sampleRoundTrips() async throws {
            for _ in 0..<roundTrips {
                let start = DispatchTime.now().uptimeNanoseconds
                _ = try await transport.transmit(probe)
                samples.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
            }
        }
        try await sampleRoundTrips()

        let recorder = TimingTransport(wrapping: transport)
        var reader = ChipReader(transport: recorder)
        reader.files = [.com, .dg(1), .dg(2), .dg(13), .dg(14), .dg(15), .sod]
        let start = DispatchTime.now().uptimeNanoseconds
        let read = try await reader.read(key: key)
        let end = DispatchTime.now().uptimeNanoseconds
        let log = await recorder.log
        // Round trips again after the read (a plain command ends the session, as a new read would): the median of
        // both halves is less sensitive to load changing during the run.
        try await sampleRoundTrips()
        samples.sort()
        let roundTrip = samples[samples.count / 2]

        // The file phase starts after the (protected, for PACE) SELECT of the eMRTD application.
        let selectIndex = log.lastIndex { $0.ins == 0xA4 && $0.p1 == 0x04 } ?? 0
        let fileStart = selectIndex < log.count ? log[selectIndex].answered : start
        let limits = await transport.limits
        let algorithm: CipherAlgorithm =
            if case .pace(let info) = read.accessProtocol { info.cipher ?? .aes128 } else { .tripleDES }
        let session = try SecureMessagingSession(
            algorithm: algorithm,
            encryptionKey: [UInt8](repeating: 1, count: algorithm.keyLength),
            macKey: [UInt8](repeating: 2, count: algorithm.keyLength))
        let protectedLimit =
            limits.extendedLength
            ? min(limits.maxResponseData, 65_536)
            : min(limits.maxResponseData, 256)
        let chunk = session.maxPlainResponse(protectedLimit: protectedLimit)
        let sizes = read.files.filter { $0.key != .cardAccess }.map(\.value.bytes.count)
        var heads: [Double] = []
        var chunks: [Double] = []
        for index in log.indices where index > selectIndex {
            let interval = Double(log[index].answered - log[index - 1].answered) / 1e9
            if log[index].p1 & 0x80 != 0 { heads.append(interval) } else { chunks.append(interval) }
        }
        func median(_ values: [Double]) -> Double { values.isEmpty ? 0 : values.sorted()[values.count / 2] }
        return ChipReadBenchmark(
            roundTrip: roundTrip, chunkSize: chunk, fileBytes: sizes.reduce(0, +),
            minimumFileAPDUs: sizes.map { ($0 + chunk - 1) / chunk }.reduce(0, +),
            fileAPDUs: log.count - selectIndex - 1, totalAPDUs: log.count,
            fileSeconds: Double(end - fileStart) / 1e9, totalSeconds: Double(end - start) / 1e9,
            accessProtocol: read.accessProtocol.description,
            tailSeconds: Double(end - (log.last?.answered ?? end)) / 1e9, headInterval: median(heads),
            chunkInterval: median(chunks))
    }
}

/// Records every command's header and the time its answer was collected.
actor TimingTransport: CardTransport {
    struct Entry: Sendable {
        var ins: UInt8
        var p1: UInt8
        var answered: UInt64
    }

    private let inner: any CardTransport
    private(set) var log: [Entry] = []

    init(wrapping inner: any CardTransport) { self.inner = inner }

    func transmit(_ command: CommandAPDU) async throws -> ResponseAPDU {
        try await send(command).response()
    }

    /// Forwards queued commands as they are (the read must be measured as it runs on a PC/SC connection).
    func send(_ command: CommandAPDU) async throws -> PendingResponse {
        let answer = try await inner.send(command)
        return PendingResponse { [self] in
            let response = try await answer.response()
            await record(command)
            return response
        }
    }

    private func record(_ command: CommandAPDU) {
        log.append(Entry(ins: command.ins, p1: command.p1, answered: DispatchTime.now().uptimeNanoseconds))
    }

    var limits: TransportLimits { get async { await inner.limits } }
}
