import Foundation
import Intake
import Testing

@Suite struct LivePortraitTests {
    func code(_ data: Data, policy: PortraitPolicy = .standard) -> IntakeError.Code? {
        do {
            _ = try LivePortrait(jpeg: data, policy: policy)
            return nil
        } catch {
            return error.code
        }
    }

    @Test func acceptsAPortraitJPEGAndReadsItsSize() throws {
        let portrait = try LivePortrait(jpeg: syntheticJPEG(width: 480, height: 640))
        #expect(portrait.width == 480)
        #expect(portrait.height == 640)
        // Progressive (SOF2) too.
        #expect(try LivePortrait(jpeg: syntheticJPEG(width: 600, height: 800, sof: 0xC2)).height == 800)
    }

    @Test func refusesBrokenFiles() {
        var noSOI = syntheticJPEG(width: 480, height: 640)
        noSOI[0] = 0x00
        #expect(code(noSOI) == .portraitNotJPEG)
        let noEOI = syntheticJPEG(width: 480, height: 640).dropLast(2) + Data([0, 0])
        #expect(code(Data(noEOI)) == .portraitNotJPEG)
        // SOI, a DHT (0xC4 is not a frame header), then EOI: no SOF.
        var noSOF = Data([0xFF, 0xD8, 0xFF, 0xC4, 0x00, 0x04, 0, 0]) + Data(repeating: 0, count: 3_000)
        noSOF = Data([0xFF, 0xD8, 0xFF, 0xFE, 0x0B, 0xBA]) + Data(repeating: 0x20, count: 3_000) + Data([0xFF, 0xD9])
        #expect(code(noSOF) == .portraitNotJPEG)
        // A segment whose length runs past the end of the file.
        var overrun = syntheticJPEG(width: 480, height: 640)
        overrun[4] = 0xFF
        #expect(code(overrun) == .portraitNotJPEG)
        #expect(code(Data(repeating: 0xFF, count: 5_000)) == .portraitNotJPEG)
    }

    @Test func enforcesSizeLimits() {
        #expect(code(syntheticJPEG(width: 480, height: 640, size: 2_047)) == .portraitSize)
        #expect(code(syntheticJPEG(width: 480, height: 640, size: 2_048)) == nil)
        #expect(code(syntheticJPEG(width: 480, height: 640, size: 1_048_576)) == nil)
        #expect(code(syntheticJPEG(width: 480, height: 640, size: 1_048_577)) == .portraitSize)
    }

    @Test func enforcesFaceImageDimensions() {
        #expect(code(syntheticJPEG(width: 239, height: 320)) == .portraitDimensions)
        #expect(code(syntheticJPEG(width: 240, height: 319)) == .portraitDimensions)
        #expect(code(syntheticJPEG(width: 240, height: 320)) == nil)
        #expect(code(syntheticJPEG(width: 640, height: 480)) == .portraitDimensions)  // landscape
        #expect(code(syntheticJPEG(width: 400, height: 400)) == nil)  // 1:1
        #expect(code(syntheticJPEG(width: 300, height: 481)) == .portraitDimensions)  // > 1.6
        #expect(code(syntheticJPEG(width: 3000, height: 4097)) == .portraitDimensions)
        #expect(code(syntheticJPEG(width: 0, height: 640)) == .portraitNotJPEG)
    }
}
