import CVips
import Foundation

/// Real, decodable photos made in the test (through libvips, as the station decodes them): what a phone or a webcam
/// would send as a live portrait. The picture is a smooth gradient with a seeded speckle (so a JPEG of it has a
/// realistic size), its left half reddish and its right half bluish: after an orientation is applied, where the red
/// half ends up tells which way the photo was turned.
public struct SamplePhoto: Sendable {
    /// The stored (not displayed) width and height.
    public var width: Int
    /// See `width`.
    public var height: Int
    /// 8-bit RGB rows, top to bottom.
    public var rgb: [UInt8]

    /// The picture described above, `width`×`height` as stored.
    public init(width: Int, height: Int, seed: UInt64 = 1) {
        self.width = width
        self.height = height
        var pixels = [UInt8](repeating: 0, count: width * height * 3)
        var state = seed &* 0x9E37_79B9_7F4A_7C15 | 1
        for y in 0..<height {
            let shade = 40 + 120 * y / max(1, height - 1)
            for x in 0..<width {
                state ^= state << 13
                state ^= state >> 7
                state ^= state << 17
                let speckle = Int(state & 15)
                let i = (y * width + x) * 3
                let left = x < width / 2
                pixels[i] = UInt8(left ? 200 + speckle : shade / 3 + speckle)
                pixels[i + 1] = UInt8(shade / 2 + speckle)
                pixels[i + 2] = UInt8(left ? shade / 3 + speckle : 200 + speckle)
            }
        }
        rgb = pixels
    }

    /// A JPEG of the picture, with the EXIF orientation tag `orientation` when 2…8 (6: a phone held upright whose
    /// sensor stored the picture turned 90° anticlockwise).
    public func jpeg(quality: Int = 90, orientation: Int = 1) -> Data {
        encode(png: false, quality: quality, orientation: orientation)
    }

    /// A PNG of the picture; with `alpha`, an RGBA PNG whose left half has that opacity (0: transparent), its right
    /// half opaque.
    public func png(alpha: UInt8? = nil) -> Data { encode(png: true, quality: 0, orientation: 1, alpha: alpha) }

    private func encode(png: Bool, quality: Int, orientation: Int, alpha: UInt8? = nil) -> Data {
        var out: UnsafeMutablePointer<UInt8>?
        var length = 0
        var pixels = rgb
        if let alpha {
            pixels = []
            pixels.reserveCapacity(width * height * 4)
            for i in stride(from: 0, to: rgb.count, by: 3) {
                let left = (i / 3) % width < width / 2
                pixels += [rgb[i], rgb[i + 1], rgb[i + 2], left ? alpha : 255]
            }
        }
        let bands: Int32 = alpha == nil ? 3 : 4
        let status = pixels.withUnsafeBufferPointer {
            station_image_encode(
                $0.baseAddress, Int32(width), Int32(height), bands, png ? 1 : 0, Int32(quality), Int32(orientation),
                &out, &length)
        }
        defer { station_image_free(out) }
        precondition(status == 0 && out != nil, "libvips could not encode a sample photo")
        return Data(bytes: out!, count: length)
    }

    /// Decodes a JPEG or PNG to RGB pixels as stored (no orientation applied); nil when libvips cannot.
    public static func decode(_ image: Data) -> SamplePhoto? {
        var rgb: UnsafeMutablePointer<UInt8>?
        var width: Int32 = 0
        var height: Int32 = 0
        let status = image.withUnsafeBytes { station_image_decode($0.baseAddress, $0.count, &rgb, &width, &height) }
        defer { station_image_free(rgb) }
        guard status == 0, let rgb else { return nil }
        var photo = SamplePhoto(width: 0, height: 0)
        photo.width = Int(width)
        photo.height = Int(height)
        photo.rgb = Array(UnsafeBufferPointer(start: rgb, count: Int(width) * Int(height) * 3))
        return photo
    }

    /// The mean (red, green, blue) of the `size`×`size` square centred at (`x`, `y`).
    public func mean(x: Int, y: Int, size: Int = 20) -> (red: Int, green: Int, blue: Int) {
        var sums = (0, 0, 0)
        var count = 0
        for row in max(0, y - size / 2)..<min(height, y + size / 2) {
            for column in max(0, x - size / 2)..<min(width, x + size / 2) {
                let i = (row * width + column) * 3
                sums.0 += Int(rgb[i])
                sums.1 += Int(rgb[i + 1])
                sums.2 += Int(rgb[i + 2])
                count += 1
            }
        }
        let n = max(1, count)
        return (sums.0 / n, sums.1 / n, sums.2 / n)
    }
}
