/// The LDS1 elementary files this reader knows (ICAO 9303-10 §4.6): file identifier, short EF identifier, tag.
public enum LDSFile: Sendable, Hashable, CaseIterable, Comparable, CustomStringConvertible {
    /// EF.CardAccess (MF level, read before access control).
    case cardAccess
    /// EF.COM: LDS version and the list of data groups.
    case com
    /// EF.SOD: the document security object (Passive Authentication).
    case sod
    /// Data group 1 to 16.
    case dg(Int)

    /// Every file: EF.COM, DG1–DG16, EF.SOD, EF.CardAccess.
    public static var allCases: [LDSFile] { [.com] + (1...16).map { .dg($0) } + [.sod, .cardAccess] }

    /// The 2-byte file identifier.
    public var fileID: UInt16 {
        switch self {
        case .cardAccess: 0x011C
        case .com: 0x011E
        case .sod: 0x011D
        case .dg(let n): 0x0100 + UInt16(truncatingIfNeeded: n & 0xFF)
        }
    }

    /// The short EF identifier.
    public var shortID: UInt8 {
        switch self {
        case .cardAccess: 0x1C
        case .com: 0x1E
        case .sod: 0x1D
        case .dg(let n): UInt8(truncatingIfNeeded: n & 0x1F)
        }
    }

    /// The file's outer tag (none for EF.CardAccess, a bare SET).
    public var tag: UInt32? {
        switch self {
        case .cardAccess: nil
        case .com: 0x60
        case .sod: 0x77
        case .dg(let n):
            (1...16).contains(n)
                ? [
                    0x61, 0x75, 0x63, 0x76, 0x65, 0x66, 0x67, 0x68, 0x69, 0x6A, 0x6B, 0x6C, 0x6D, 0x6E,
                    0x6F, 0x70,
                ][n - 1] : nil
        }
    }

    /// The data group for an EF.COM tag-list entry.
    public static func dataGroup(tag: UInt8) -> LDSFile? {
        (1...16).map { LDSFile.dg($0) }.first { $0.tag == UInt32(tag) }
    }

    private var order: Int {
        switch self {
        case .cardAccess: -1
        case .com: 0
        case .dg(let n): n
        case .sod: 99
        }
    }

    public static func < (lhs: LDSFile, rhs: LDSFile) -> Bool { lhs.order < rhs.order }

    public var description: String {
        switch self {
        case .cardAccess: "EF.CardAccess"
        case .com: "EF.COM"
        case .sod: "EF.SOD"
        case .dg(let n): "DG\(n)"
        }
    }
}

/// The raw bytes of one file exactly as read (the full TLV): what Passive Authentication hashes.
public struct LDSFileBytes: Sendable, Hashable, CustomStringConvertible {
    /// Which file.
    public var file: LDSFile
    /// Its bytes.
    public var bytes: [UInt8]

    /// Pairs a file with its bytes.
    public init(file: LDSFile, bytes: [UInt8]) {
        self.file = file
        self.bytes = bytes
    }

    /// SHA-256 of the bytes.
    public var sha256: [UInt8] { Hashing.sha256(bytes) }

    /// Name and size only.
    public var description: String { "\(file) (\(bytes.count) bytes)" }
}
