import Foundation
import Portraits
import StationTestKit

/// `station-bench portrait`: a phone's 12-megapixel photo (4000×3000 JPEG, quality 92, EXIF orientation 6) to the
/// live portrait (upright, 3:4, 600×800 JPEG), as `PUT /v1/intake/:session/portrait` does it, through libvips on the
/// normaliser's job thread. Also a 1280×720 webcam PNG. Goal: well under a second per photo.
enum PortraitBench {
    static func run(iterations: Int) async throws {
        print("== Portrait normalisation (libvips): a phone's 12 MP JPEG and a webcam's 1280×720 PNG → 600×800 JPEG")
        let phone = SamplePhoto(width: 4000, height: 3000).jpeg(quality: 92, orientation: 6)
        let webcam = SamplePhoto(width: 1280, height: 720).png()
        for (name, photo) in [("12 MP phone JPEG", phone), ("1280×720 webcam PNG", webcam)] {
            _ = try await PortraitNormaliser.standard.normalise(photo)  // warm up (libvips starts once)
            var samples: [Double] = []
            var output = 0
            for _ in 0..<iterations {
                let start = now()
                let portrait = try await PortraitNormaliser.standard.normalise(photo)
                samples.append(now() - start)
                output = portrait.jpeg.count
            }
            let stats = Statistics(samples)
            print(
                String(
                    format: "%@ (%d KB) ×%d: p50 %.1f ms, p99 %.1f ms → %d KB JPEG (goal < 1000 ms: %@)", name,
                    photo.count / 1024, iterations, stats.median * 1000, stats.p99 * 1000, output / 1024,
                    stats.p99 < 1 ? "met" : "NOT met"))
        }
    }
}
