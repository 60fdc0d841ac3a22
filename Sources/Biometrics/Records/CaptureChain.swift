import Foundation

/// One capture as the session keeps it: the ISO record plus who/when/how good, and a hash linking it to the
/// previous capture of the same session. `description` shows no biometric bytes.
public struct CaptureRecord: Sendable, Hashable, CustomStringConvertible {
    /// Scanner that produced it.
    public var deviceID: String
    /// Capture time (UTC).
    public var timestamp: Date
    /// Finger position.
    public var finger: FingerPositionCode
    /// Quality score 0–100.
    public var quality: Int
    /// The ISO/IEC 19794-4 record bytes.
    public var isoRecord: [UInt8]
    /// Upper-case hex SHA-256 of the previous capture's `hash` bytes followed by SHA-256(`isoRecord`).
    public var hash: String
    /// The previous capture's hash (for the first: SHA-256 of the empty string).
    public var previousHash: String

    /// ISO 8601 UTC timestamp `yyyy-MM-ddTHH:mm:ssZ`.
    public var timestampISO8601: String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.string(from: timestamp)
    }

    public var description: String {
        "CaptureRecord(\(deviceID), \(finger), quality \(quality), \(isoRecord.count) B, hash \(hash.prefix(12))…)"
    }
}

/// The hash chain of a session's captures (MOSIP SBI style: hash = SHA256(previousHash ‖ SHA256(data)); the first
/// previous hash is SHA256 of nothing). Altering, dropping or reordering any capture breaks `verify`.
public struct CaptureChain: Sendable {
    /// Captures in order.
    public private(set) var records: [CaptureRecord] = []

    /// SHA-256 of the empty string, upper-case hex: the chain's anchor.
    public static let anchor = hex(CryptoPrimitives.sha256([]))

    /// Starts an empty chain.
    public init() {}

    /// The hash the next capture links to.
    public var lastHash: String { records.last?.hash ?? Self.anchor }

    /// Appends a capture and returns its record.
    @discardableResult
    public mutating func append(
        isoRecord: [UInt8], deviceID: String, finger: FingerPositionCode, quality: Int,
        timestamp: Date = Date()
    ) -> CaptureRecord {
        let previous = lastHash
        let record = CaptureRecord(
            deviceID: deviceID, timestamp: timestamp, finger: finger, quality: quality,
            isoRecord: isoRecord, hash: Self.link(previous: previous, data: isoRecord),
            previousHash: previous)
        records.append(record)
        return record
    }

    /// The link function.
    public static func link(previous: String, data: [UInt8]) -> String {
        hex(CryptoPrimitives.sha256(unhex(previous) + CryptoPrimitives.sha256(data)))
    }

    /// Checks every link from the anchor; returns the index of the first bad record, or nil when intact.
    public static func firstBrokenLink(_ records: [CaptureRecord]) -> Int? {
        var previous = anchor
        for (index, record) in records.enumerated() {
            guard record.previousHash == previous,
                record.hash == link(previous: previous, data: record.isoRecord)
            else {
                return index
            }
            previous = record.hash
        }
        return nil
    }

    static func hex(_ bytes: [UInt8]) -> String { bytes.map { String(format: "%02X", $0) }.joined() }

    static func unhex(_ string: String) -> [UInt8] {
        var out: [UInt8] = []
        var iterator = string.utf8.makeIterator()
        while let high = iterator.next(), let low = iterator.next() {
            let digits = String(decoding: [high, low], as: UTF8.self)
            out.append(UInt8(digits, radix: 16) ?? 0)
        }
        return out
    }
}
