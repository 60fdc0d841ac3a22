import Foundation
import SmartCard

/// Something a card carries on top of its file system: an applet that takes commands once its application is
/// selected (the eMRTD applet with BAC/PACE and secure messaging is one).
public protocol CardApplet: AnyObject {
    /// The application this applet serves.
    var aid: [UInt8] { get }
    /// Handles a command, or returns `nil` to let the card's file system answer it. `card` gives the applet access
    /// to the plain file system commands (e.g. to answer an unwrapped READ BINARY inside secure messaging).
    func handle(_ command: CommandAPDU, card: ISO7816Card) -> ResponseAPDU?
    /// The card was powered or reset: drop any session.
    func reset()
}

/// How a simulated card misbehaves on purpose, for tests of the reader side.
public struct CardBehaviour: Sendable, Hashable {
    /// Deliver responses longer than this many bytes in pieces with `61xx` and GET RESPONSE (as T=0 cards do).
    public var getResponseChunk: Int?
    /// Answer GET CHALLENGE whose Le is not 8 with `6C08` (ask the reader to resend with the right Le).
    public var strictLe: Bool
    /// Answer SELECT of the master file `3F00` with this status (the real CCCD answers `6D00`).
    public var selectMasterFileStatus: StatusWord?
    /// Answer READ BINARY whose Le reaches past the end of the file with this status and no data (a strict card;
    /// nil: the bytes that exist with `6282`, as ISO/IEC 7816-4 allows).
    public var readPastEndStatus: StatusWord?
    /// Answer every command with something that is not an APDU response.
    public var fault: Fault?
    /// Whether READ BINARY takes a short EF identifier in P1 (false: `6B00`, the reader must SELECT by FID).
    public var shortEFIdentifiers: Bool
    /// Answer READ BINARY whose Le is above this with `6700` (a card whose buffer is smaller than it claims).
    public var maxReadLe: Int?

    /// Broken answers.
    public enum Fault: String, Sendable, Hashable, CaseIterable {
        /// One random byte: no status word.
        case garbage
        /// A frame cut short (its length announces more than is sent), then the connection drops, as when a card
        /// loses power in the middle of an answer.
        case truncated
        /// No answer at all: the card is mute.
        case mute
    }

    /// A well-behaved card.
    public static let standard = CardBehaviour()

    /// Builds a behaviour.
    public init(
        getResponseChunk: Int? = nil, strictLe: Bool = false, selectMasterFileStatus: StatusWord? = nil,
        readPastEndStatus: StatusWord? = nil, fault: Fault? = nil, shortEFIdentifiers: Bool = true,
        maxReadLe: Int? = nil
    ) {
        self.getResponseChunk = getResponseChunk
        self.strictLe = strictLe
        self.selectMasterFileStatus = selectMasterFileStatus
        self.readPastEndStatus = readPastEndStatus
        self.fault = fault
        self.shortEFIdentifiers = shortEFIdentifiers
        self.maxReadLe = maxReadLe
    }
}

/// An ISO/IEC 7816-4 card: SELECT by AID and by file identifier, READ BINARY (even and odd INS, offsets, short EF
/// identifiers, short and extended Le), GET CHALLENGE, GET RESPONSE, and the right status word for every error.
public final class ISO7816Card: SimulatedCard, LinkFaults {
    public let atr: [UInt8]
    /// The files.
    public private(set) var fileSystem: CardFileSystem
    /// Applets by AID.
    public let applets: [CardApplet]
    /// An applet that sees every command first, whatever is selected (an eMRTD chip runs PACE at MF level and
    /// secure messaging across SELECTs); it returns nil to pass a command on to the selected applet / file system.
    public var masterApplet: CardApplet?
    /// Deliberate misbehaviour.
    public var behaviour: CardBehaviour
    /// Commands processed since creation (for tests and benchmarks).
    public private(set) var commandCount = 0

    private var currentApplication: Int?
    private var currentFile: ElementaryFile?
    private var pendingResponse: [UInt8] = []
    private var pendingStatus = StatusWord.success

    /// Builds a card.
    public init(
        atr: [UInt8] = ISO7816Card.defaultATR, fileSystem: CardFileSystem, applets: [CardApplet] = [],
        behaviour: CardBehaviour = .standard
    ) {
        self.atr = atr
        self.fileSystem = fileSystem
        self.applets = applets
        self.behaviour = behaviour
    }

    /// A contactless-style ATR (PC/SC part 3 form) for T=1 whose historical bytes announce command chaining and
    /// extended Lc/Le: `3B 85 80 01 80 73 C0 21 C0 TCK`.
    public static let defaultATR: [UInt8] = {
        var bytes: [UInt8] = [0x3B, 0x85, 0x80, 0x01, 0x80, 0x73, 0xC0, 0x21, 0xC0]
        bytes.append(bytes[1...].reduce(0, ^))
        return bytes
    }()

    public var linkFault: CardBehaviour.Fault? { behaviour.fault }

    public func powerOn() {
        currentApplication = nil
        currentFile = nil
        pendingResponse = []
        applets.forEach { $0.reset() }
        masterApplet?.reset()
    }

    public func powerOff() { powerOn() }

    /// The selected application's AID, if any.
    public var selectedAID: [UInt8]? { currentApplication.map { fileSystem.applications[$0].aid } }

    public func process(_ bytes: [UInt8]) -> [UInt8] {
        commandCount += 1
        if behaviour.fault == .garbage { return [UInt8.random(in: 0...255)] }
        guard let command = try? CommandAPDU(bytes: bytes) else { return StatusWord.wrongLength.bytes }
        if command.ins == 0xC0 && command.cla & 0xFC == 0 {
            return getResponse(command).bytes
        }
        pendingResponse = []
        var response: ResponseAPDU
        if let master = masterApplet, let answer = master.handle(command, card: self) {
            response = answer
        } else if let applet = activeApplet, let answer = applet.handle(command, card: self) {
            response = answer
        } else {
            response = processPlain(command)
        }
        if let chunk = behaviour.getResponseChunk, response.data.count > chunk {
            pendingResponse = Array(response.data[chunk...])
            pendingStatus = response.status
            response = ResponseAPDU(data: Array(response.data.prefix(chunk)), status: remainingStatus)
        }
        return response.bytes
    }

    private var activeApplet: CardApplet? {
        guard let aid = selectedAID else { return nil }
        return applets.first { $0.aid == aid }
    }

    private var remainingStatus: StatusWord {
        StatusWord(sw1: 0x61, sw2: pendingResponse.count >= 256 ? 0 : UInt8(pendingResponse.count))
    }

    private func getResponse(_ command: CommandAPDU) -> ResponseAPDU {
        guard !pendingResponse.isEmpty else { return ResponseAPDU(status: .noCurrentEF) }
        let count = min(command.le ?? 256, pendingResponse.count, behaviour.getResponseChunk ?? Int.max)
        let data = Array(pendingResponse.prefix(count))
        pendingResponse.removeFirst(count)
        return ResponseAPDU(data: data, status: pendingResponse.isEmpty ? pendingStatus : remainingStatus)
    }

    /// Answers a command from the file system alone (no applet, no secure messaging). Applets call it for the plain
    /// command inside a protected one.
    public func processPlain(_ command: CommandAPDU) -> ResponseAPDU {
        guard command.cla & 0xF0 == 0 else { return ResponseAPDU(status: .claNotSupported) }
        guard command.cla & 0x0C == 0 else { return ResponseAPDU(status: .secureMessagingNotSupported) }
        switch command.ins {
        case 0xA4: return select(command)
        case 0xB0, 0xB1: return readBinary(command)
        case 0x84: return getChallenge(command)
        default: return ResponseAPDU(status: .insNotSupported)
        }
    }

    // MARK: SELECT

    private func select(_ command: CommandAPDU) -> ResponseAPDU {
        switch command.p1 {
        case 0x04:
            guard let index = fileSystem.applications.firstIndex(where: { $0.aid == command.data }) else {
                return ResponseAPDU(status: .fileNotFound)
            }
            currentApplication = index
            currentFile = nil
            return selectAnswer(command, fcp: nil)
        case 0x00, 0x01, 0x02:
            if command.p1 == 0x00 && (command.data.isEmpty || command.data == [0x3F, 0x00]) {
                if let status = behaviour.selectMasterFileStatus { return ResponseAPDU(status: status) }
                currentApplication = nil
                currentFile = nil
                return selectAnswer(command, fcp: nil)
            }
            guard command.data.count == 2 else { return ResponseAPDU(status: .wrongData) }
            let fid = UInt16(command.data[0]) << 8 | UInt16(command.data[1])
            if command.p1 != 0x02, let index = fileSystem.applications.firstIndex(where: { $0.fid == fid }) {
                currentApplication = index
                currentFile = nil
                return selectAnswer(command, fcp: nil)
            }
            guard let file = visibleFiles.first(where: { $0.fid == fid }) else {
                return ResponseAPDU(status: .fileNotFound)
            }
            if let denied = file.accessDenied { return ResponseAPDU(status: denied) }
            currentFile = file
            return selectAnswer(command, fcp: file)
        default:
            return ResponseAPDU(status: .wrongP1P2)
        }
    }

    /// EFs reachable now: those of the selected application, or the MF's.
    private var visibleFiles: [ElementaryFile] {
        currentApplication.map { fileSystem.applications[$0].files } ?? fileSystem.masterFiles
    }

    private func selectAnswer(_ command: CommandAPDU, fcp file: ElementaryFile?) -> ResponseAPDU {
        guard command.p2 & 0x0C != 0x0C else { return ResponseAPDU(status: .success) }
        guard let file else { return ResponseAPDU(status: .success) }
        let size = file.contents.count
        let fcp: [UInt8] = [
            0x80, 0x02, UInt8(size >> 8 & 0xFF), UInt8(size & 0xFF), 0x82, 0x01, 0x01,
            0x83, 0x02, UInt8(file.fid >> 8), UInt8(file.fid & 0xFF),
        ]
        return ResponseAPDU(data: [0x62, UInt8(fcp.count)] + fcp, status: .success)
    }

    // MARK: READ BINARY

    private func readBinary(_ command: CommandAPDU) -> ResponseAPDU {
        var file: ElementaryFile?
        var offset: Int
        if command.ins == 0xB0 {
            if command.p1 & 0x80 != 0 {
                guard behaviour.shortEFIdentifiers else { return ResponseAPDU(status: .wrongP1P2) }
                let sfi = command.p1 & 0x1F
                guard let found = visibleFiles.first(where: { $0.sfi == sfi }) else {
                    return ResponseAPDU(status: .fileNotFound)
                }
                if let denied = found.accessDenied { return ResponseAPDU(status: denied) }
                currentFile = found
                file = found
                offset = Int(command.p2)
            } else {
                file = currentFile
                offset = Int(command.p1 & 0x7F) << 8 | Int(command.p2)
            }
        } else {
            // Odd INS: offset in data object 54; P1-P2 = 0000 (current EF), a short EF identifier, or a FID.
            let reference = UInt16(command.p1) << 8 | UInt16(command.p2)
            if reference == 0 {
                file = currentFile
            } else if reference & 0xFFE0 == 0, reference & 0x1F != 0 {
                file = visibleFiles.first { $0.sfi == UInt8(reference & 0x1F) }
            } else {
                file = visibleFiles.first { $0.fid == reference }
            }
            guard file != nil else { return ResponseAPDU(status: currentFile == nil ? .noCurrentEF : .fileNotFound) }
            if let denied = file?.accessDenied { return ResponseAPDU(status: denied) }
            currentFile = file
            guard command.data.count >= 3, command.data[0] == 0x54, Int(command.data[1]) == command.data.count - 2,
                command.data.count <= 5
            else { return ResponseAPDU(status: .wrongData) }
            offset = command.data[2...].reduce(0) { $0 << 8 | Int($1) }
        }
        guard let file else { return ResponseAPDU(status: .noCurrentEF) }
        guard offset <= file.contents.count else { return ResponseAPDU(status: .wrongParameters) }
        guard let le = command.le else { return ResponseAPDU(status: .wrongLength) }
        if let maxReadLe = behaviour.maxReadLe, le > maxReadLe { return ResponseAPDU(status: .wrongLength) }
        let available = file.contents.count - offset
        let count = min(le, available)
        var data = Array(file.contents[offset..<(offset + count)])
        if command.ins == 0xB1 {
            data = [0x53] + berLength(data.count) + data
        }
        // Le = 00 / 0000 asks for "up to the maximum": fewer bytes is normal. A definite Le that cannot be met is
        // answered with what exists and the end-of-file warning.
        let askedMaximum = le == (command.isExtended ? CommandAPDU.maxExtendedLe : CommandAPDU.maxShortLe)
        if count < le && !askedMaximum {
            if let strict = behaviour.readPastEndStatus { return ResponseAPDU(status: strict) }
            return ResponseAPDU(data: data, status: .endOfFile)
        }
        return ResponseAPDU(data: data, status: .success)
    }

    // MARK: GET CHALLENGE

    private func getChallenge(_ command: CommandAPDU) -> ResponseAPDU {
        let le = command.le ?? 0
        if behaviour.strictLe && le != 8 { return ResponseAPDU(status: StatusWord(0x6C08)) }
        guard (1...256).contains(le) else { return ResponseAPDU(status: .wrongLength) }
        return ResponseAPDU(data: (0..<le).map { _ in UInt8.random(in: 0...255) }, status: .success)
    }
}

/// BER-TLV length bytes for `count`.
func berLength(_ count: Int) -> [UInt8] {
    switch count {
    case ..<0x80: [UInt8(count)]
    case ..<0x100: [0x81, UInt8(count)]
    case ..<0x10000: [0x82, UInt8(count >> 8), UInt8(count & 0xFF)]
    default: [0x83, UInt8(count >> 16), UInt8(count >> 8 & 0xFF), UInt8(count & 0xFF)]
    }
}

extension StatusWord {
    /// The two bytes.
    var bytes: [UInt8] { [sw1, sw2] }
}
