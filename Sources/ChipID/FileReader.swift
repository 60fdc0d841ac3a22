import SmartCard

/// Reads whole elementary files in the fewest APDUs: READ BINARY with the short EF identifier in P1 (selecting the
/// file implicitly) asking for a whole chunk at once (the TLV header in it gives the length; a file shorter than the
/// chunk comes back whole with `6282`), then the rest in the largest chunks the transport's limits allow (extended Le
/// when they say so), and odd-INS READ BINARY (`B1`, offset in DO'54') above 32,767. A card that refuses an Le
/// beyond the end of the file (`6700`, `6Cxx`, `6B00`) gets the classic 8-byte header read instead. Falls back to
/// SELECT by file identifier when the card refuses short EF identifiers.
public struct FileReader: Sendable {
    /// Progress: file, bytes read so far, total bytes.
    public typealias Progress = @Sendable (LDSFile, Int, Int) -> Void

    /// The transport (usually a `SecureMessagingTransport`).
    public let transport: any CardTransport
    /// Bytes asked for by the header read a strict card gets (enough for the longest tag and length of an LDS
    /// file).
    public var firstChunk = 8
    /// Ask for a whole chunk in the first READ BINARY (fewest APDUs); false: always the `firstChunk` header read.
    public var wholeFirstChunk = true
    /// Whether to try short EF identifiers first.
    public var useShortIDs = true

    /// Builds a reader on `transport`.
    public init(transport: any CardTransport) {
        self.transport = transport
    }

    /// Reads `file` completely. `fileMissing` when the card does not have it.
    public func read(_ file: LDSFile, progress: Progress? = nil) async throws(ChipIDError) -> LDSFileBytes {
        let limits = await transport.limits
        var chunkLimit = max(16, limits.extendedLength ? min(limits.maxResponseData, 65_536)
                                                       : min(limits.maxResponseData, 256))
        var asked = wholeFirstChunk ? chunkLimit : firstChunk
        var head: ResponseAPDU
        if useShortIDs {
            head = try await send(CommandAPDU(ins: 0xB0, p1: 0x80 | file.shortID, p2: 0x00, le: asked))
            if Self.meansNoShortID(head.status) {
                try await select(file)
                head = try await readBinary(offset: 0, length: asked)
            }
        } else {
            try await select(file)
            head = try await readBinary(offset: 0, length: asked)
        }
        if asked != firstChunk && Self.refusesLongLe(head.status) {
            // A strict card will not read past the end of a short file: learn the length first.
            asked = firstChunk
            head = try await readBinary(offset: 0, length: asked)
        }
        guard head.status.isSuccess || head.status == .endOfFile else {
            throw ChipIDError.status(head.status, doing: "READ BINARY \(file)")
        }
        var bytes = head.data
        let total: Int
        if head.status == .endOfFile || bytes.count < asked {
            total = bytes.count
        } else if let header = try TLV.header(bytes) {
            total = header.totalLength
        } else {
            throw ChipIDError(.malformedFile, "\(file): TLV header longer than the first chunk")
        }
        guard total <= 16_777_215 else { throw ChipIDError(.malformedFile, "\(file): announced length is absurd") }
        if bytes.count > total { bytes.removeLast(bytes.count - total) }
        progress?(file, bytes.count, total)
        while bytes.count < total {
            let offset = bytes.count
            let overhead = offset > 0x7FFF ? 4 : 0
            let want = min(total - offset, chunkLimit - overhead)
            let response = try await readBinary(offset: offset, length: want)
            if response.status == .wrongLength || response.status == .wrongParameters, chunkLimit > 0xDF {
                chunkLimit = 0xDF
                continue
            }
            guard response.status.isSuccess || response.status == .endOfFile else {
                throw ChipIDError.status(response.status, doing: "READ BINARY \(file) at \(offset)")
            }
            guard !response.data.isEmpty else {
                throw ChipIDError(.malformedFile, "\(file): file ends at \(offset) before its announced \(total) bytes")
            }
            bytes += response.data.prefix(total - offset)
            progress?(file, bytes.count, total)
        }
        return LDSFileBytes(file: file, bytes: bytes)
    }

    /// READ BINARY at `offset`: even INS with a 15-bit offset, odd INS with DO'54' above 32,767 (answer `53`-wrapped).
    func readBinary(offset: Int, length: Int) async throws(ChipIDError) -> ResponseAPDU {
        if offset <= 0x7FFF {
            return try await send(CommandAPDU(ins: 0xB0, p1: UInt8(offset >> 8), p2: UInt8(offset & 0xFF), le: length))
        }
        let offsetBytes = offset > 0xFFFF ? Bytes.bigEndian(offset, width: 3) : Bytes.bigEndian(offset, width: 2)
        let wrapperLength = 1 + TLV.encodeLength(length).count
        let le = length + wrapperLength
        let response = try await send(CommandAPDU(ins: 0xB1, p1: 0x00, p2: 0x00,
                                                  data: TLV.encode(tag: 0x54, value: offsetBytes),
                                                  le: min(le, CommandAPDU.maxExtendedLe)))
        guard response.status.isSuccess || response.status == .endOfFile, !response.data.isEmpty else {
            return response
        }
        let wrapped = try TLV.parse(response.data).0
        guard wrapped.tag == 0x53 else { throw ChipIDError(.malformedFile, "odd-INS READ BINARY answer is not DO'53'") }
        return ResponseAPDU(data: wrapped.value, status: response.status)
    }

    /// SELECT EF by file identifier, no response data (`00 A4 02 0C 02 FID`).
    func select(_ file: LDSFile) async throws(ChipIDError) {
        let response = try await send(Self.selectEF(file.fileID))
        guard response.status.isSuccess else { throw ChipIDError.status(response.status, doing: "SELECT \(file)") }
    }

    /// `00 A4 02 0C 02 FID`.
    public static func selectEF(_ fid: UInt16) -> CommandAPDU {
        CommandAPDU(ins: 0xA4, p1: 0x02, p2: 0x0C, data: [UInt8(fid >> 8), UInt8(fid & 0xFF)])
    }

    /// The eMRTD LDS1 application identifier.
    public static let eMRTDApplicationID: [UInt8] = [0xA0, 0x00, 0x00, 0x02, 0x47, 0x10, 0x01]

    /// SELECT the eMRTD application by AID, no response data (`00 A4 04 0C 07 A0000002471001`). Never SELECT MF:
    /// CCCD chips answer `6D00`.
    public static let selectApplication = CommandAPDU(ins: 0xA4, p1: 0x04, p2: 0x0C, data: eMRTDApplicationID)

    private func send(_ command: CommandAPDU) async throws(ChipIDError) -> ResponseAPDU {
        try await BACProtocol.send(command, over: transport)
    }

    /// Statuses by which a card refuses an Le that reaches past the end of the file.
    static func refusesLongLe(_ status: StatusWord) -> Bool {
        status == .wrongLength || status.sw1 == 0x6C || status == .wrongParameters
    }

    /// Statuses by which a card says it does not take a short EF identifier in READ BINARY (as opposed to the file
    /// being absent, `6A82`).
    static func meansNoShortID(_ status: StatusWord) -> Bool {
        status == .wrongP1P2 || status == .noCurrentEF || status == .wrongParameters || status == .functionNotSupported
            || status == StatusWord(0x6981) || status == .insNotSupported || status == .wrongData
    }
}
