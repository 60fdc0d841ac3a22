import Foundation
import Messages

/// Limits a live portrait must meet: a JPEG, not too small or large, with face-image dimensions.
public struct PortraitPolicy: Sendable, Hashable {
    /// Accepted file sizes in bytes.
    public var bytes: ClosedRange<Int>
    /// Minimum width and height in pixels.
    public var minimumWidth: Int
    /// Minimum height in pixels.
    public var minimumHeight: Int
    /// Maximum of either dimension in pixels.
    public var maximumDimension: Int
    /// Accepted height/width ratio; a passport-style portrait is about 4:3 (1.33).
    public var aspectRatio: ClosedRange<Double>

    /// Creates a policy.
    public init(
        bytes: ClosedRange<Int>, minimumWidth: Int, minimumHeight: Int, maximumDimension: Int,
        aspectRatio: ClosedRange<Double>
    ) {
        self.bytes = bytes
        self.minimumWidth = minimumWidth
        self.minimumHeight = minimumHeight
        self.maximumDimension = maximumDimension
        self.aspectRatio = aspectRatio
    }

    /// 2 KB…1 MB, at least 240×320, at most 4096 pixels a side, portrait orientation between 1:1 and 1.6:1.
    public static let standard = PortraitPolicy(
        bytes: 2_048...1_048_576, minimumWidth: 240, minimumHeight: 320, maximumDimension: 4096,
        aspectRatio: 1.0...1.6
    )
}

/// The portrait taken at the registration point, checked to be a well-formed JPEG of face-image dimensions.
public struct LivePortrait: Sendable, Hashable, Codable, CustomStringConvertible {
    /// The JPEG bytes.
    public let jpeg: Data
    /// Pixel width from the SOF segment.
    public let width: Int
    /// Pixel height from the SOF segment.
    public let height: Int

    /// Checks `jpeg` against `policy`: SOI at the start, EOI at the end, a frame header (SOF) with the
    /// dimensions, size and dimension limits. Throws `intake.portrait_*` errors.
    public init(jpeg: Data, policy: PortraitPolicy = .standard) throws(IntakeError) {
        guard policy.bytes.contains(jpeg.count) else {
            throw IntakeError(.portraitSize, Message(.intakePortraitSize, ["bytes": "\(jpeg.count)"]))
        }
        let (width, height) = try LivePortrait.frameSize(of: jpeg)
        let ratio = Double(height) / Double(width)
        guard width >= policy.minimumWidth, height >= policy.minimumHeight,
            max(width, height) <= policy.maximumDimension, policy.aspectRatio.contains(ratio)
        else {
            throw IntakeError(
                .portraitDimensions, Message(.intakePortraitDimensions, ["width": "\(width)", "height": "\(height)"]))
        }
        self.jpeg = jpeg
        self.width = width
        self.height = height
    }

    /// Walks the JPEG marker segments up to the first SOF and returns its (width, height).
    static func frameSize(of data: Data) throws(IntakeError) -> (Int, Int) {
        let bytes = [UInt8](data)
        guard bytes.count >= 4, bytes[0] == 0xFF, bytes[1] == 0xD8,
            bytes[bytes.count - 2] == 0xFF, bytes[bytes.count - 1] == 0xD9
        else { throw notJPEG("no SOI/EOI markers") }
        var i = 2
        while i + 4 <= bytes.count {
            guard bytes[i] == 0xFF else { throw notJPEG("marker expected") }
            let marker = bytes[i + 1]
            if marker == 0xFF {
                i += 1
                continue
            }  // fill byte
            if marker == 0xD8 || marker == 0xD9 || marker == 0xDA { break }  // SOI, EOI, SOS before any SOF
            if (0xD0...0xD7).contains(marker) || marker == 0x01 {
                i += 2
                continue
            }
            let length = Int(bytes[i + 2]) << 8 | Int(bytes[i + 3])
            guard length >= 2, i + 2 + length <= bytes.count else { throw notJPEG("segment overruns file") }
            let isSOF = (0xC0...0xCF).contains(marker) && marker != 0xC4 && marker != 0xC8 && marker != 0xCC
            if isSOF {
                guard length >= 8 else { throw notJPEG("short SOF") }
                let height = Int(bytes[i + 5]) << 8 | Int(bytes[i + 6])
                let width = Int(bytes[i + 7]) << 8 | Int(bytes[i + 8])
                guard width > 0, height > 0 else { throw notJPEG("zero dimension") }
                return (width, height)
            }
            i += 2 + length
        }
        throw notJPEG("no frame header")
    }

    private static func notJPEG(_ detail: String) -> IntakeError {
        IntakeError(.portraitNotJPEG, Message(.intakePortraitNotJPEG, ["detail": detail]))
    }

    public var description: String { "LivePortrait(\(width)×\(height), \(jpeg.count) bytes)" }
}
