import Foundation

/// Finger position codes of an ISO/IEC 19794-4 record (its table "finger position codes": the ten fingers, unknown
/// and the plain slaps). The applicant's finger in the intake domain is `Intake.FingerPosition`.
public enum FingerPositionCode: UInt8, Sendable, Hashable, Codable, CaseIterable {
    case unknown = 0
    case rightThumb = 1
    case rightIndex = 2
    case rightMiddle = 3
    case rightRing = 4
    case rightLittle = 5
    case leftThumb = 6
    case leftIndex = 7
    case leftMiddle = 8
    case leftRing = 9
    case leftLittle = 10
    case plainRightFour = 13
    case plainLeftFour = 14
    case plainThumbs = 15

    /// Parses names like `right-index`, `left-thumb`.
    public init?(name: String) {
        let table: [String: FingerPositionCode] = [
            "unknown": .unknown, "right-thumb": .rightThumb, "right-index": .rightIndex,
            "right-middle": .rightMiddle, "right-ring": .rightRing, "right-little": .rightLittle,
            "left-thumb": .leftThumb, "left-index": .leftIndex, "left-middle": .leftMiddle, "left-ring": .leftRing,
            "left-little": .leftLittle, "plain-right-four": .plainRightFour, "plain-left-four": .plainLeftFour,
            "plain-thumbs": .plainThumbs,
        ]
        guard let value = table[name.lowercased()] else { return nil }
        self = value
    }
}

/// Impression types (ISO/IEC 19794-4).
public enum ImpressionType: UInt8, Sendable, Hashable, Codable {
    case liveScanPlain = 0
    case liveScanRolled = 1
    case nonLiveScanPlain = 2
    case nonLiveScanRolled = 3
    case liveScanSwipe = 8
    case unknown = 29
}

/// Image compression codes. The numbers differ between editions; see `code(for:)`.
public enum FingerImageCompression: Sendable, Hashable, Codable {
    case raw, jpeg2000Lossless, png

    /// The code in the record of `edition`.
    public func code(for edition: FingerImageRecord.Edition) -> UInt8 {
        switch (self, edition) {
        case (.raw, _): return 0
        case (.jpeg2000Lossless, .iso2005): return 4
        case (.jpeg2000Lossless, .iso2011): return 5
        case (.png, .iso2005): return 5
        case (.png, .iso2011): return 6
        }
    }

    static func from(code: UInt8, edition: FingerImageRecord.Edition) throws -> FingerImageCompression {
        for candidate in [FingerImageCompression.raw, .jpeg2000Lossless, .png]
        where candidate.code(for: edition) == code { return candidate }
        throw BiometricError(.format, "unsupported compression code \(code)")
    }
}

/// One finger view (2005) or representation (2011): the image and what describes it.
public struct FingerView: Sendable, Hashable {
    /// Finger position.
    public var position: FingerPositionCode
    /// View / representation number (1-based in practice).
    public var viewNumber: UInt8
    /// Quality 0–100; 254 (2005) / 255 (2011) when not computed.
    public var quality: UInt8?
    /// Impression type.
    public var impression: ImpressionType
    /// Image width.
    public var width: Int
    /// Image height.
    public var height: Int
    /// Encoded image (raw pixels, JP2 or PNG as the record's compression says).
    public var imageData: [UInt8]
    /// Capture time (2011 only; UTC, millisecond precision).
    public var captureDate: Date

    /// Builds a view.
    public init(
        position: FingerPositionCode, viewNumber: UInt8 = 1, quality: UInt8?,
        impression: ImpressionType = .liveScanPlain, width: Int, height: Int, imageData: [UInt8],
        captureDate: Date = Date()
    ) {
        self.position = position
        self.viewNumber = viewNumber
        self.quality = quality
        self.impression = impression
        self.width = width
        self.height = height
        self.imageData = imageData
        self.captureDate = captureDate
    }
}

/// An ISO/IEC 19794-4 finger image record, 2005 ("010") or 2011 ("020") edition; big-endian throughout.
public struct FingerImageRecord: Sendable, Hashable {
    /// Edition of the standard.
    public enum Edition: Sendable, Hashable { case iso2005, iso2011 }

    /// Which edition to write.
    public var edition: Edition
    /// 2005: capture device id (low 12 bits). 2011: device type id.
    public var captureDeviceID: UInt16
    /// 2011: capture device vendor id (IBIA registered; 0 = unreported).
    public var deviceVendorID: UInt16
    /// 2011: device technology (0 unknown, 1 white-light optical TIR, …).
    public var deviceTechnology: UInt8
    /// 2005: image acquisition level (31 = 500 ppi, 8-bit).
    public var acquisitionLevel: UInt16
    /// Scan and image resolution in pixels per inch (scale unit 1).
    public var resolutionPPI: UInt16
    /// Bits per pixel.
    public var bitDepth: UInt8
    /// Compression of every view's `imageData`.
    public var compression: FingerImageCompression
    /// Quality algorithm identity (2011 quality block): vendor and algorithm ids.
    public var qualityVendorID: UInt16
    /// See `qualityVendorID`.
    public var qualityAlgorithmID: UInt16
    /// The views.
    public var views: [FingerView]

    /// Builds a record.
    public init(
        edition: Edition, captureDeviceID: UInt16 = 0, deviceVendorID: UInt16 = 0, deviceTechnology: UInt8 = 0,
        acquisitionLevel: UInt16 = 31, resolutionPPI: UInt16 = 500, bitDepth: UInt8 = 8,
        compression: FingerImageCompression, qualityVendorID: UInt16 = 0, qualityAlgorithmID: UInt16 = 1,
        views: [FingerView]
    ) {
        self.edition = edition
        self.captureDeviceID = captureDeviceID
        self.deviceVendorID = deviceVendorID
        self.deviceTechnology = deviceTechnology
        self.acquisitionLevel = acquisitionLevel
        self.resolutionPPI = resolutionPPI
        self.bitDepth = bitDepth
        self.compression = compression
        self.qualityVendorID = qualityVendorID
        self.qualityAlgorithmID = qualityAlgorithmID
        self.views = views
    }

    /// Size of the general header.
    public static func headerLength(_ edition: Edition) -> Int { edition == .iso2005 ? 32 : 16 }

    // MARK: Encoding

    /// Serialises the record.
    public func encoded() throws -> [UInt8] {
        guard !views.isEmpty, views.count <= 255 else { throw BiometricError(.format, "a record needs 1–255 views") }
        switch edition {
        case .iso2005: return try encoded2005()
        case .iso2011: return try encoded2011()
        }
    }

    private func encoded2005() throws -> [UInt8] {
        var body: [UInt8] = []
        for view in views {
            body.appendBE32(UInt32(14 + view.imageData.count))
            body += [
                view.position.rawValue, UInt8(views.filter { $0.position == view.position }.count),
                view.viewNumber, view.quality.map { min($0, 100) } ?? 254, view.impression.rawValue,
            ]
            body.appendBE16(UInt16(view.width))
            body.appendBE16(UInt16(view.height))
            body.append(0)
            body += view.imageData
        }
        let total = UInt64(32 + body.count)
        var out: [UInt8] = Array("FIR".utf8) + [0] + Array("010".utf8) + [0]
        out.appendBE16(UInt16(total >> 32 & 0xFFFF))
        out.appendBE32(UInt32(total & 0xFFFF_FFFF))
        out.appendBE16(captureDeviceID & 0x0FFF)
        out.appendBE16(acquisitionLevel)
        out.append(UInt8(views.count))
        out.append(1)  // scale units: pixels per inch
        for _ in 0..<4 { out.appendBE16(resolutionPPI) }  // scan x, scan y, image x, image y
        out.append(bitDepth)
        out.append(compression.code(for: .iso2005))
        out += [0, 0]
        return out + body
    }

    private func encoded2011() throws -> [UInt8] {
        var body: [UInt8] = []
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        for view in views {
            var rep: [UInt8] = []
            let parts = calendar.dateComponents(
                [.year, .month, .day, .hour, .minute, .second, .nanosecond],
                from: view.captureDate)
            rep.appendBE16(UInt16(parts.year ?? 0))
            rep += [
                UInt8(parts.month ?? 0), UInt8(parts.day ?? 0), UInt8(parts.hour ?? 0), UInt8(parts.minute ?? 0),
                UInt8(parts.second ?? 0),
            ]
            rep.appendBE16(UInt16((parts.nanosecond ?? 0) / 1_000_000))
            rep.append(deviceTechnology)
            rep.appendBE16(deviceVendorID)
            rep.appendBE16(captureDeviceID)
            if let quality = view.quality {
                rep.append(1)
                rep.append(min(quality, 100))
                rep.appendBE16(qualityVendorID)
                rep.appendBE16(qualityAlgorithmID)
            } else {
                rep.append(0)
            }
            rep += [view.position.rawValue, view.viewNumber, 1]
            for _ in 0..<4 { rep.appendBE16(resolutionPPI) }
            rep += [bitDepth, compression.code(for: .iso2011), view.impression.rawValue]
            rep.appendBE16(UInt16(view.width))
            rep.appendBE16(UInt16(view.height))
            rep.appendBE32(UInt32(view.imageData.count))
            rep += view.imageData
            body.appendBE32(UInt32(4 + rep.count))
            body += rep
        }
        var out: [UInt8] = Array("FIR".utf8) + [0] + Array("020".utf8) + [0]
        out.appendBE32(UInt32(16 + body.count))
        out.appendBE16(UInt16(views.count))
        out.append(0)  // no certification blocks
        out.append(UInt8(Set(views.map(\.position)).count))
        return out + body
    }

    // MARK: Decoding

    /// Parses a record of either edition.
    public init(decoding bytes: [UInt8]) throws {
        func need(_ end: Int) throws {
            guard bytes.count >= end else { throw BiometricError(.format, "finger image record truncated") }
        }
        try need(16)
        guard bytes.starts(with: Array("FIR".utf8) + [0]) else { throw BiometricError(.format, "not a FIR record") }
        let version = Array(bytes[4..<8])
        if version == Array("010".utf8) + [0] {
            try need(32)
            let length = UInt64(bytes.readBE16(at: 8)) << 32 | UInt64(bytes.readBE32(at: 10))
            guard length == UInt64(bytes.count) else { throw BiometricError(.format, "record length mismatch") }
            let compression = try FingerImageCompression.from(code: bytes[29], edition: .iso2005)
            let resolution = bytes.readBE16(at: 24)
            var views: [FingerView] = []
            var offset = 32
            for _ in 0..<Int(bytes[18]) {
                try need(offset + 14)
                let viewLength = Int(bytes.readBE32(at: offset))
                try need(offset + viewLength)
                guard viewLength >= 14 else { throw BiometricError(.format, "bad view length") }
                let quality = bytes[offset + 7]
                views.append(
                    FingerView(
                        position: FingerPositionCode(rawValue: bytes[offset + 4]) ?? .unknown,
                        viewNumber: bytes[offset + 6],
                        quality: quality == 254 ? nil : quality,
                        impression: ImpressionType(rawValue: bytes[offset + 8]) ?? .unknown,
                        width: Int(bytes.readBE16(at: offset + 9)), height: Int(bytes.readBE16(at: offset + 11)),
                        imageData: Array(bytes[(offset + 14)..<(offset + viewLength)]),
                        captureDate: Date(timeIntervalSince1970: 0)))
                offset += viewLength
            }
            self.init(
                edition: .iso2005, captureDeviceID: bytes.readBE16(at: 14) & 0x0FFF,
                acquisitionLevel: bytes.readBE16(at: 16), resolutionPPI: resolution, bitDepth: bytes[28],
                compression: compression, views: views)
        } else if version == Array("020".utf8) + [0] {
            guard Int(bytes.readBE32(at: 8)) == bytes.count else {
                throw BiometricError(.format, "record length mismatch")
            }
            let count = Int(bytes.readBE16(at: 12))
            let certified = bytes[14] != 0
            var offset = 16
            var views: [FingerView] = []
            var technology: UInt8 = 0
            var vendor: UInt16 = 0
            var type: UInt16 = 0
            var resolution: UInt16 = 500
            var depth: UInt8 = 8
            var compression = FingerImageCompression.raw
            var qualityVendor: UInt16 = 0
            var qualityAlgorithm: UInt16 = 1
            var calendar = Calendar(identifier: .gregorian)
            calendar.timeZone = TimeZone(identifier: "UTC")!
            for _ in 0..<count {
                try need(offset + 4)
                let repLength = Int(bytes.readBE32(at: offset))
                try need(offset + repLength)
                var p = offset + 4
                try need(p + 15)
                let components = DateComponents(
                    year: Int(bytes.readBE16(at: p)), month: Int(bytes[p + 2]), day: Int(bytes[p + 3]),
                    hour: Int(bytes[p + 4]), minute: Int(bytes[p + 5]), second: Int(bytes[p + 6]),
                    nanosecond: Int(bytes.readBE16(at: p + 7)) * 1_000_000)
                let date = calendar.date(from: components) ?? Date(timeIntervalSince1970: 0)
                technology = bytes[p + 9]
                vendor = bytes.readBE16(at: p + 10)
                type = bytes.readBE16(at: p + 12)
                let qualityCount = Int(bytes[p + 14])
                p += 15
                var quality: UInt8?
                for index in 0..<qualityCount {
                    try need(p + 5)
                    if index == 0 {
                        quality = bytes[p] == 255 ? nil : bytes[p]
                        qualityVendor = bytes.readBE16(at: p + 1)
                        qualityAlgorithm = bytes.readBE16(at: p + 3)
                    }
                    p += 5
                }
                if certified {
                    try need(p + 1)
                    p += 1 + 3 * Int(bytes[p])
                }
                try need(p + 22)
                let position = FingerPositionCode(rawValue: bytes[p]) ?? .unknown
                let number = bytes[p + 1]
                resolution = bytes.readBE16(at: p + 3)
                depth = bytes[p + 11]
                compression = try FingerImageCompression.from(code: bytes[p + 12], edition: .iso2011)
                let impression = ImpressionType(rawValue: bytes[p + 13]) ?? .unknown
                let width = Int(bytes.readBE16(at: p + 14))
                let height = Int(bytes.readBE16(at: p + 16))
                let imageLength = Int(bytes.readBE32(at: p + 18))
                p += 22
                try need(p + imageLength)
                guard p + imageLength <= offset + repLength else {
                    throw BiometricError(.format, "image overruns its representation")
                }
                views.append(
                    FingerView(
                        position: position, viewNumber: number, quality: quality,
                        impression: impression, width: width, height: height,
                        imageData: Array(bytes[p..<(p + imageLength)]), captureDate: date))
                offset += repLength
            }
            self.init(
                edition: .iso2011, captureDeviceID: type, deviceVendorID: vendor, deviceTechnology: technology,
                resolutionPPI: resolution, bitDepth: depth, compression: compression,
                qualityVendorID: qualityVendor, qualityAlgorithmID: qualityAlgorithm, views: views)
        } else {
            throw BiometricError(.format, "unknown FIR version")
        }
    }

    /// The image of view `index`, decoded whatever the compression.
    public func image(at index: Int = 0) throws -> FingerprintImage {
        let view = views[index]
        switch compression {
        case .raw:
            guard view.imageData.count == view.width * view.height else {
                throw BiometricError(.format, "raw size mismatch")
            }
            return FingerprintImage(
                width: view.width, height: view.height, pixels: view.imageData,
                resolutionPPI: Int(resolutionPPI))
        case .png:
            var image = try PNGCodec.decode(view.imageData)
            image.resolutionPPI = Int(resolutionPPI)
            return image
        case .jpeg2000Lossless:
            return try JPEG2000Codec.decode(view.imageData, resolutionPPI: Int(resolutionPPI))
        }
    }
}

extension FingerView: CustomStringConvertible {
    /// Metadata only: never the image bytes.
    public var description: String {
        "FingerView(\(position), view \(viewNumber), \(width)x\(height), quality \(quality.map(String.init) ?? "n/a"), "
            + "\(imageData.count) B)"
    }
}

extension FingerImageRecord: CustomStringConvertible {
    /// Metadata only: never the image bytes.
    public var description: String {
        "FingerImageRecord(\(edition), \(compression), \(resolutionPPI) ppi, views: \(views))"
    }
}
