import CVips
import Foundation
import Intake
import JobThreads
import Messages

/// Turns a photo from a phone or a webcam (JPEG or PNG, any common size, EXIF-rotated or not, landscape or portrait)
/// into the live portrait the intake keeps: upright, its centre cropped to the portrait ratio, shrunk to at most the
/// target size, 8-bit sRGB over white, re-encoded as a baseline JPEG without metadata within the policy's limits.
/// The work is libvips's (Debian's libvips, through the `CVips` shim), on a job thread of its own, never on Swift's
/// cooperative pool. A photo that cannot be used throws an `IntakeError` saying why and what to do.
public struct PortraitNormaliser: Sendable {
    /// The limits the output must meet (`LivePortrait` checks them again).
    public var policy: PortraitPolicy
    /// The largest output in pixels; its ratio is the crop's. 600×800: 3:4, the ISO/IEC 19794-5 (ICAO) frontal
    /// portrait's width to height, inside `policy.aspectRatio`.
    public var targetWidth: Int
    /// See `targetWidth`.
    public var targetHeight: Int
    /// The first JPEG quality tried; lower ones follow until the file fits `policy.bytes`.
    public var quality: Int
    /// The most source pixels decoded (a phone's 108-megapixel mode still fits); more is refused unread.
    public var maximumPixels: Int

    /// Creates a normaliser; the defaults are the station's.
    public init(
        policy: PortraitPolicy = .standard, targetWidth: Int = 600, targetHeight: Int = 800, quality: Int = 90,
        maximumPixels: Int = 120_000_000
    ) {
        self.policy = policy
        self.targetWidth = targetWidth
        self.targetHeight = targetHeight
        self.quality = quality
        self.maximumPixels = maximumPixels
    }

    /// The station's normaliser.
    public static let standard = PortraitNormaliser()

    /// Where the decoding runs: one thread, one photo at a time (libvips spreads each over its own workers).
    private static let thread = JobThread(name: "portrait")

    /// `photo` as the live portrait, decoded off the cooperative pool. Throws `intake.portrait_*` errors.
    public func normalise(_ photo: Data) async throws(IntakeError) -> LivePortrait {
        let normaliser = self
        let outcome: Result<LivePortrait, IntakeError>
        do {
            outcome = try await Self.thread.run { () -> Result<LivePortrait, IntakeError> in
                do throws(IntakeError) {
                    return .success(try normaliser.normaliseNow(photo))
                } catch {
                    return .failure(error)
                }
            }
        } catch {
            throw IntakeError(.portraitImagingFailed, Message(.intakePortraitImagingFailed))
        }
        return try outcome.get()
    }

    /// `photo` as the live portrait, on the caller's thread (blocks for the decoding: about 0.15 s for a
    /// 12-megapixel JPEG). Throws `intake.portrait_*` errors.
    public func normaliseNow(_ photo: Data) throws(IntakeError) -> LivePortrait {
        var limits = station_portrait_limits(
            target_width: Int32(targetWidth), target_height: Int32(targetHeight),
            minimum_width: Int32(policy.minimumWidth), minimum_height: Int32(policy.minimumHeight),
            maximum_pixels: Int64(maximumPixels), quality: Int32(quality),
            maximum_bytes: policy.bytes.upperBound)
        var result = station_portrait_result()
        let status = photo.withUnsafeBytes { bytes in
            station_portrait_normalise(bytes.baseAddress, bytes.count, &limits, &result)
        }
        defer { station_image_free(result.jpeg) }
        let size = ["width": "\(result.source_width)", "height": "\(result.source_height)"]
        switch Int(status) {
        case Int(STATION_IMAGE_OK.rawValue):
            let jpeg = Data(bytes: result.jpeg, count: result.jpeg_length)
            return try LivePortrait(jpeg: jpeg, policy: policy)
        case Int(STATION_IMAGE_NOT_IMAGE.rawValue):
            throw IntakeError(.portraitNotImage, Message(.intakePortraitNotImage))
        case Int(STATION_IMAGE_UNSUPPORTED.rawValue):
            throw IntakeError(.portraitUnsupportedFormat, Message(.intakePortraitUnsupportedFormat))
        case Int(STATION_IMAGE_CORRUPT.rawValue):
            throw IntakeError(.portraitCorrupt, Message(.intakePortraitCorrupt))
        case Int(STATION_IMAGE_TOO_SMALL.rawValue):
            var values = size
            values["minimum"] = "\(policy.minimumWidth)×\(policy.minimumHeight)"
            throw IntakeError(.portraitTooSmall, Message(.intakePortraitTooSmall, values))
        case Int(STATION_IMAGE_TOO_LARGE.rawValue):
            throw IntakeError(.portraitTooLarge, Message(.intakePortraitTooLarge, size))
        default:
            throw IntakeError(.portraitImagingFailed, Message(.intakePortraitImagingFailed))
        }
    }
}
