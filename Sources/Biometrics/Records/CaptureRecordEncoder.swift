import Foundation

/// Turns an accepted image into the bytes of its ISO/IEC 19794-4 record. Called on the record-encoding thread
/// (`RecordEncodingQueue`), never on Swift's cooperative pool, so it may block (OpenJPEG does).
public protocol CaptureRecordEncoder: Sendable {
    /// The record bytes for `image` of `finger`, scored `quality`, captured at `captureDate`.
    func encode(_ image: FingerprintImage, finger: FingerPositionCode, quality: Int, captureDate: Date) throws
        -> [UInt8]
}

/// The station's encoder: `RecordBuilder` with the configured edition and image compression.
public struct ISORecordEncoder: CaptureRecordEncoder {
    /// Record edition.
    public var edition: FingerImageRecord.Edition
    /// Image compression inside the record.
    public var compression: FingerImageCompression

    /// Builds an encoder.
    public init(
        edition: FingerImageRecord.Edition = .iso2011,
        compression: FingerImageCompression = .jpeg2000Lossless
    ) {
        self.edition = edition
        self.compression = compression
    }

    public func encode(
        _ image: FingerprintImage, finger: FingerPositionCode, quality: Int,
        captureDate: Date
    ) throws -> [UInt8] {
        try RecordBuilder.record(
            for: image, finger: finger, quality: quality, edition: edition,
            compression: compression, captureDate: captureDate
        ).encoded()
    }
}
