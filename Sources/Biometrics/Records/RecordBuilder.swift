import Foundation

/// Turns a captured image into an ISO/IEC 19794-4 record with the image encoded as asked.
public enum RecordBuilder {
    /// Encodes `image` and wraps it in a one-view record.
    public static func record(
        for image: FingerprintImage, finger: FingerPositionCode, quality: Int?,
        edition: FingerImageRecord.Edition = .iso2011,
        compression: FingerImageCompression = .jpeg2000Lossless,
        impression: ImpressionType = .liveScanPlain, deviceVendorID: UInt16 = 0,
        deviceTypeID: UInt16 = 0, deviceTechnology: UInt8 = 0,
        captureDate: Date = Date()
    ) throws -> FingerImageRecord {
        let data: [UInt8]
        switch compression {
        case .raw: data = image.pixels
        case .png: data = try PNGCodec.encode(image)
        case .jpeg2000Lossless: data = try JPEG2000Codec.encodeLossless(image)
        }
        let view = FingerView(
            position: finger, viewNumber: 1, quality: quality.map { UInt8(clamping: $0) },
            impression: impression, width: image.width, height: image.height, imageData: data,
            captureDate: captureDate)
        return FingerImageRecord(
            edition: edition, captureDeviceID: deviceTypeID, deviceVendorID: deviceVendorID,
            deviceTechnology: deviceTechnology,
            acquisitionLevel: acquisitionLevel(ppi: image.resolutionPPI),
            resolutionPPI: UInt16(image.resolutionPPI),
            compression: compression, views: [view])
    }

    /// ISO/IEC 19794-4:2005 image acquisition level: the highest setting the resolution satisfies (8-bit images).
    public static func acquisitionLevel(ppi: Int) -> UInt16 {
        switch ppi {
        case 1000...: return 41
        case 750...: return 35
        case 500...: return 31
        case 250...: return 20
        default: return 10
        }
    }
}
