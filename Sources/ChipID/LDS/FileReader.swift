import SmartCard

/// Reads whole elementary files in the fewest APDUs: READ BINARY with the short EF identifier in P1 (selecting the
/// file implicitly) asking for a whole chunk at once (the TLV header in it gives the length; a file shorter than the
/// chunk comes back whole with `6282`), then the rest in the largest chunks the transport's limits allow (extended Le
/// when they say so), and odd-INS READ BINARY (`B1`, offset in DO'54') above 32,767. A card that refuses an Le
/// beyond the end of the file (`6700`, `6Cxx`, `6B00`) gets the classic 8-byte header read instead. Falls back to
/// SELECT by file identifier when the card refuses short EF identifiers.
///
/// Once the length is known, the rest of a file is read with one READ BINARY queued ahead (`CardTransport.send`):
/// the card answers chunk n + 1 while the reader unprotects and stores chunk n. When an answer is an error, shorter
/// than asked or has a bad MAC, the queued one is collected and dropped before anything else is sent, so a bad MAC can
/// let at most that one already-protected READ BINARY reach the card.
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
        var chunkLimit = max(
            16,
            limits.extendedLength
                ? min(limits.maxResponseData, 65_536)
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
        // The rest in the largest chunks, one command queued ahead: the card answers chunk n + 1 while the answer to
        // chunk n is unprotected and stored, so the reader's own work stays off the card's critical path.
        var queued: QueuedChunk? = bytes.count < total ? try await sendChunk(at: bytes.count, total, chunkLimit) : nil
        while let current = queued {
            do {
                queued = current.end < total ? try await sendChunk(at: current.end, total, chunkLimit) : nil
            } catch {
                await Self.drop(current)
                throw error
            }
            let response: ResponseAPDU
            do {
                response = try await current.answer()
            } catch {
                await Self.drop(queued)
                throw error
            }
            if response.status == .wrongLength || response.status == .wrongParameters, chunkLimit > 0xDF {
                await Self.drop(queued)
                chunkLimit = 0xDF
                queued = try await sendChunk(at: current.offset, total, chunkLimit)
                continue
            }
            guard response.status.isSuccess || response.status == .endOfFile else {
                await Self.drop(queued)
                throw ChipIDError.status(response.status, doing: "READ BINARY \(file) at \(current.offset)")
            }
            guard !response.data.isEmpty else {
                await Self.drop(queued)
                throw ChipIDError(
                    .malformedFile,
                    "\(file): file ends at \(current.offset) before its announced \(total) bytes")
            }
            bytes += response.data.prefix(total - current.offset)
            progress?(file, bytes.count, total)
            if bytes.count < total, bytes.count != current.end {
                // A shorter answer than asked: the queued command starts at the wrong offset.
                await Self.drop(queued)
                queued = try await sendChunk(at: bytes.count, total, chunkLimit)
            }
        }
        return LDSFileBytes(file: file, bytes: bytes)
    }

    /// A READ BINARY already handed to the transport.
    private struct QueuedChunk {
        /// Where it reads from and how much it asks for.
        var offset: Int
        var length: Int
        var pending: PendingResponse
        var oddINS: Bool

        var end: Int { offset + length }

        /// The card's answer, with odd-INS wrapping removed.
        func answer() async throws(ChipIDError) -> ResponseAPDU {
            let response: ResponseAPDU
            do {
                response = try await pending.response()
            } catch {
                throw ChipIDError.wrapping(error)
            }
            return oddINS ? try FileReader.unwrapOddINS(response) : response
        }
    }

    /// Queues the READ BINARY of the chunk at `offset`.
    private func sendChunk(at offset: Int, _ total: Int, _ chunkLimit: Int) async throws(ChipIDError) -> QueuedChunk {
        let overhead = offset > 0x7FFF ? 4 : 0
        let length = min(total - offset, chunkLimit - overhead)
        let command = Self.readBinaryCommand(offset: offset, length: length)
        do {
            return QueuedChunk(
                offset: offset, length: length, pending: try await transport.send(command),
                oddINS: command.ins == 0xB1)
        } catch {
            throw ChipIDError.wrapping(error)
        }
    }

    /// Collects and discards the answer to a command that is no longer wanted, so that a secure messaging channel
    /// has checked every answer before the caller goes on (a bad MAC there still closes it).
    private static func drop(_ chunk: QueuedChunk?) async {
        _ = try? await chunk?.answer()
    }

    /// READ BINARY at `offset`: even INS with a 15-bit offset, odd INS with DO'54' above 32,767 (answer `53`-wrapped).
    func readBinary(offset: Int, length: Int) async throws(ChipIDError) -> ResponseAPDU {
        let command = Self.readBinaryCommand(offset: offset, length: length)
        let response = try await send(command)
        return command.ins == 0xB1 ? try Self.unwrapOddINS(response) : response
    }

    /// The READ BINARY command for `length` bytes at `offset`.
    static func readBinaryCommand(offset: Int, length: Int) -> CommandAPDU {
        if offset <= 0x7FFF {
            return CommandAPDU(ins: 0xB0, p1: UInt8(offset >> 8), p2: UInt8(offset & 0xFF), le: length)
        }
        let offsetBytes = offset > 0xFFFF ? Bytes.bigEndian(offset, width: 3) : Bytes.bigEndian(offset, width: 2)
        let wrapperLength = 1 + TLV.encodeLength(length).count
        return CommandAPDU(
            ins: 0xB1, p1: 0x00, p2: 0x00, data: TLV.encode(tag: 0x54, value: offsetBytes),
            le: min(length + wrapperLength, CommandAPDU.maxExtendedLe))
    }

    /// The data of an odd-INS READ BINARY answer without its DO'53' wrapper.
    static func unwrapOddINS(_ response: ResponseAPDU) throws(ChipIDError) -> ResponseAPDU {
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
