import Foundation
import Intake
import Portraits
import StationTestKit
import Testing

/// Photos made in the test (real JPEGs and PNGs through libvips) become upright 3:4 JPEG portraits within
/// `PortraitPolicy.standard`, or are refused with a code and a message saying what to do.
@Suite struct PortraitNormaliserTests {
    let normaliser = PortraitNormaliser.standard

    @Test func phonePhotoWithExifOrientation6IsTurnedUpright() async throws {
        // Stored 1200×900 with its red half on the left; orientation 6 shows it turned 90° clockwise: 900×1200
        // upright, red on top, blue below.
        let stored = SamplePhoto(width: 1200, height: 900)
        let portrait = try await normaliser.normalise(stored.jpeg(orientation: 6))
        #expect(portrait.width == 600)
        #expect(portrait.height == 800)
        let pixels = try #require(SamplePhoto.decode(portrait.jpeg))
        #expect(pixels.width == 600 && pixels.height == 800, "the JPEG's pixels are the portrait's size")
        let top = pixels.mean(x: 300, y: 200)
        let bottom = pixels.mean(x: 300, y: 600)
        #expect(top.red > 170 && top.blue < 120, "upper half red (turned clockwise): \(top)")
        #expect(bottom.blue > 170 && bottom.red < 120, "lower half blue: \(bottom)")
    }

    @Test func landscapeWebcamPNGIsCroppedToThePortraitRatio() throws {
        // A 1280×720 webcam frame: its centre 540×720 is kept (3:4), not enlarged, red left and blue right.
        let frame = SamplePhoto(width: 1280, height: 720)
        let portrait = try normaliser.normaliseNow(frame.png())
        #expect(portrait.width == 540)
        #expect(portrait.height == 720)
        let pixels = try #require(SamplePhoto.decode(portrait.jpeg))
        let left = pixels.mean(x: 100, y: 360)
        let right = pixels.mean(x: 440, y: 360)
        #expect(left.red > 170 && right.blue > 170, "the centre of the frame, unturned: \(left) \(right)")
    }

    @Test func twelveMegapixelPhotoIsShrunkWithinTheLimits() throws {
        let photo = SamplePhoto(width: 4000, height: 3000).jpeg(quality: 92)
        #expect(photo.count > PortraitPolicy.standard.bytes.upperBound, "the source is over the portrait's limit")
        let portrait = try normaliser.normaliseNow(photo)
        #expect(portrait.width == 600 && portrait.height == 800)
        #expect(PortraitPolicy.standard.bytes.contains(portrait.jpeg.count))
        #expect(!portrait.jpeg.starts(with: photo.prefix(64)), "re-encoded, not passed through")
    }

    @Test func portraitWithinTheTargetIsKeptAtItsSize() throws {
        let portrait = try normaliser.normaliseNow(SamplePhoto(width: 480, height: 640).jpeg())
        #expect(portrait.width == 480 && portrait.height == 640)
    }

    @Test func transparentPNGIsFlattenedOntoWhite() throws {
        // The left half transparent (its red hidden), the right half opaque blue.
        let portrait = try normaliser.normaliseNow(SamplePhoto(width: 480, height: 640).png(alpha: 0))
        let pixels = try #require(SamplePhoto.decode(portrait.jpeg))
        let left = pixels.mean(x: 120, y: 320)
        let right = pixels.mean(x: 360, y: 320)
        #expect(left.red > 245 && left.green > 245 && left.blue > 245, "transparent shows white: \(left)")
        #expect(right.blue > 170 && right.red < 120, "opaque kept: \(right)")
    }

    @Test func tinyPhotoIsRefusedSayingHowSmall() {
        let error = #expect(throws: IntakeError.self) {
            try normaliser.normaliseNow(SamplePhoto(width: 100, height: 100).jpeg())
        }
        #expect(error?.code == .portraitTooSmall)
        #expect(error?.vietnamese.contains("100×100") == true)
        #expect(error?.vietnamese.contains("240×320") == true)
        #expect(error?.english.contains("100×100") == true)
    }

    @Test func whatIsNoUsablePhotoIsRefusedWithItsReason() {
        let cases: [(String, Data, IntakeError.Code)] = [
            ("text", Data("this is not a photo at all, just words".utf8), .portraitNotImage),
            ("empty", Data(), .portraitNotImage),
            ("GIF", Data([0x47, 0x49, 0x46, 0x38, 0x39, 0x61, 1, 0, 1, 0, 0, 0, 0, 0x3B]), .portraitUnsupportedFormat),
            ("JPEG cut in half", Self.halfOf(SamplePhoto(width: 800, height: 1000).jpeg()), .portraitCorrupt),
            ("PNG header only", SamplePhoto(width: 800, height: 1000).png().prefix(60), .portraitCorrupt),
            ("JPEG markers, no scan", SyntheticJPEG.headers(width: 480, height: 640, size: 5_000), .portraitCorrupt),
        ]
        for (name, data, code) in cases {
            let error = #expect(throws: IntakeError.self, "\(name)") { try normaliser.normaliseNow(Data(data)) }
            #expect(error?.code == code, "\(name)")
            #expect(error?.vietnamese != error?.english, "\(name): a Vietnamese text")
        }
    }

    @Test func absurdDimensionsAreRefusedUnread() {
        let small = PortraitNormaliser(maximumPixels: 1_000_000)
        let error = #expect(throws: IntakeError.self) {
            try small.normaliseNow(SamplePhoto(width: 1200, height: 900).png())
        }
        #expect(error?.code == .portraitTooLarge)
    }

    static func halfOf(_ data: Data) -> Data { data.prefix(data.count / 2) }
}
