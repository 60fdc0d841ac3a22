import Foundation
import StationTestKit
import Testing

/// The kit's own builders: what the suites that use them rely on.
@Suite struct TestKitTests {
    @Test("SyntheticJPEG.headers: exact size, SOI/EOI, the frame header's dimensions, each fill")
    func headerOnlyJPEG() {
        for fill in [SyntheticJPEG.Fill.byte(0x20), .seeded(3), .random] {
            for size in [2_047, 2_048, 12_027, 200_000] {
                let jpeg = [UInt8](SyntheticJPEG.headers(width: 480, height: 640, size: size, fill: fill, jfif: true))
                #expect(jpeg.count == size)
                #expect(jpeg.prefix(4) == [0xFF, 0xD8, 0xFF, 0xE0])
                #expect(jpeg.suffix(2) == [0xFF, 0xD9])
                let sof = jpeg.firstRange(of: [0xFF, 0xC0, 0x00, 0x11, 0x08])
                #expect(sof != nil)
                if let sof {
                    #expect(Array(jpeg[sof.upperBound..<sof.upperBound + 4]) == [0x02, 0x80, 0x01, 0xE0])
                }
            }
        }
        let seeded = SyntheticJPEG.headers(width: 480, height: 640, size: 12_027, fill: .seeded(1))
        #expect(seeded == SyntheticJPEG.headers(width: 480, height: 640, size: 12_027, fill: .seeded(1)))
        #expect(seeded.suffix(12_002).prefix(12_000) == SampleApplications.bytes(12_000, seed: 1))
    }
}
