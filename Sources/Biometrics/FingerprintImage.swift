/// An 8-bit grayscale fingerprint image, row-major, top row first; dark ridges on a light background.
/// `description` never shows pixels.
public struct FingerprintImage: Sendable, Hashable, CustomStringConvertible {
    /// Width in pixels.
    public var width: Int
    /// Height in pixels.
    public var height: Int
    /// `width * height` grey levels, 0 black … 255 white.
    public var pixels: [UInt8]
    /// Resolution in pixels per inch (both axes).
    public var resolutionPPI: Int

    /// Builds an image; `pixels.count` must equal `width * height`.
    public init(width: Int, height: Int, pixels: [UInt8], resolutionPPI: Int = 500) {
        precondition(pixels.count == width * height, "pixel count does not match geometry")
        self.width = width
        self.height = height
        self.pixels = pixels
        self.resolutionPPI = resolutionPPI
    }

    /// The grey level at (x, y).
    public subscript(x: Int, y: Int) -> UInt8 {
        get { pixels[y * width + x] }
        set { pixels[y * width + x] = newValue }
    }

    /// Negative image (255 − value).
    public func inverted() -> FingerprintImage {
        var copy = self
        copy.pixels = pixels.map { 255 &- $0 }
        return copy
    }

    /// Mirror left–right.
    public func flippedHorizontally() -> FingerprintImage {
        var out = [UInt8](repeating: 0, count: pixels.count)
        for y in 0..<height {
            let row = y * width
            for x in 0..<width { out[row + x] = pixels[row + width - 1 - x] }
        }
        return FingerprintImage(width: width, height: height, pixels: out, resolutionPPI: resolutionPPI)
    }

    /// Mirror top–bottom.
    public func flippedVertically() -> FingerprintImage {
        var out = [UInt8]()
        out.reserveCapacity(pixels.count)
        for y in stride(from: height - 1, through: 0, by: -1) {
            out.append(contentsOf: pixels[(y * width)..<(y * width + width)])
        }
        return FingerprintImage(width: width, height: height, pixels: out, resolutionPPI: resolutionPPI)
    }

    public var description: String { "FingerprintImage(\(width)x\(height), \(resolutionPPI) ppi)" }
}
