import Foundation

/// The kinds of image the simulator can produce.
public enum SyntheticCondition: String, Sendable, Hashable, Codable, CaseIterable {
    /// Well-pressed, centred, clean.
    case good
    /// Light, broken ridges.
    case dry
    /// Dark, merged ridges.
    case wet
    /// Only part of the finger, off-centre.
    case partial
    /// Moved or smeared: blurred ridges.
    case smudged
    /// Nothing on the platen.
    case blank
}

/// Synthetic fingerprints: a loop-type orientation field (zero–pole model with one core and one delta, as in
/// Sherlock & Monro), ridges drawn by oriented Gabor filtering of noise along that field, then the finger's
/// contact region and the condition's degradations. Deterministic for a given seed.
public struct SyntheticFingerprint: Sendable {
    /// Image width.
    public var width: Int
    /// Image height.
    public var height: Int
    /// Ridge period in pixels (about 9 at 500 ppi).
    public var ridgePeriod: Double

    /// Builds a generator.
    public init(width: Int = 384, height: Int = 290, ridgePeriod: Double = 9) {
        self.width = width
        self.height = height
        self.ridgePeriod = ridgePeriod
    }

    /// Orientation of the ridges (radians, modulo π) at every pixel: zero–pole model with a core above the centre
    /// and a delta below-left of it.
    public func orientationField(seed: UInt64) -> [Double] {
        var random = SplitMix64(seed: seed)
        let core = (
            Double(width) * (0.45 + 0.1 * random.nextUnit()),
            Double(height) * (0.38 + 0.08 * random.nextUnit())
        )
        let delta = (core.0 - Double(width) * 0.22, core.1 + Double(height) * 0.42)
        var field = [Double](repeating: 0, count: width * height)
        for y in 0..<height {
            for x in 0..<width {
                let toCore = atan2(Double(y) - core.1, Double(x) - core.0)
                let toDelta = atan2(Double(y) - delta.1, Double(x) - delta.0)
                field[y * width + x] = 0.5 * (toCore - toDelta)
            }
        }
        return field
    }

    /// Generates an image in the given condition.
    public func generate(_ condition: SyntheticCondition, seed: UInt64 = 1) -> FingerprintImage {
        var random = SplitMix64(seed: seed ^ 0x5EED_F1A6)
        if condition == .blank {
            let pixels = (0..<(width * height)).map { _ in UInt8(clamping: 236 + Int(random.nextUnit() * 4)) }
            return FingerprintImage(width: width, height: height, pixels: pixels)
        }
        let orientation = orientationField(seed: seed)
        let ridges = gaborRidges(orientation: orientation, random: &random)
        // Contact region: an ellipse (finger pad) with a soft edge.
        var centre = (Double(width) / 2, Double(height) / 2)
        var radii = (Double(width) * 0.36, Double(height) * 0.46)
        if condition == .partial {
            centre = (Double(width) * 0.86, Double(height) * 0.84)
            radii = (Double(width) * 0.22, Double(height) * 0.26)
        }
        let blotches = lowFrequencyNoise(random: &random, cell: 14)
        var ink = 150.0
        var background = 225.0
        var duty = 0.0
        switch condition {
        case .dry:
            ink = 80
            background = 232
            duty = -0.25
        case .wet:
            ink = 150
            background = 170
            duty = 0.35
        default: break
        }
        var pixels = [Double](repeating: background, count: width * height)
        for y in 0..<height {
            for x in 0..<width {
                let dx = (Double(x) - centre.0) / radii.0
                let dy = (Double(y) - centre.1) / radii.1
                let r = (dx * dx + dy * dy).squareRoot()
                let contact = max(0, min(1, (1.08 - r) / 0.12))
                guard contact > 0 else { continue }
                let index = y * width + x
                var ridge = max(0, min(1, ridges[index] + duty))  // 1 = ridge centre
                if condition == .dry && blotches[index] > 0.25 { ridge *= 0.15 }
                if condition == .wet && blotches[index] > 0.5 { ridge = max(ridge, 0.8) }  // water fills the valleys
                pixels[index] = background - ink * ridge * contact
            }
        }
        if condition == .smudged {
            pixels = boxBlur(pixels, radius: 3)
            pixels = boxBlur(pixels, radius: 3)
        }
        let noise = condition == .smudged ? 14.0 : 6.0
        let out = pixels.map { UInt8(clamping: Int(($0 + (random.nextUnit() - 0.5) * 2 * noise).rounded())) }
        return FingerprintImage(width: width, height: height, pixels: out)
    }

    /// Ridges: white noise filtered, twice, with a Gabor kernel tuned to the local orientation and ridge
    /// frequency (orientation quantised to 16 directions so kernels are computed once), then squashed to 0…1.
    func gaborRidges(orientation: [Double], random: inout SplitMix64) -> [Double] {
        var image = (0..<(width * height)).map { _ in random.nextUnit() - 0.5 }
        let directions = 16
        let radius = 6
        let sigma = ridgePeriod * 0.45
        let frequency = 1 / ridgePeriod
        let side = 2 * radius + 1
        var kernels: [[Double]] = []
        for d in 0..<directions {
            let theta = Double(d) * Double.pi / Double(directions)  // ridge direction
            var kernel = [Double](repeating: 0, count: side * side)
            for v in -radius...radius {
                for u in -radius...radius {
                    // Distance across the ridge direction drives the cosine.
                    let across = -Double(u) * sin(theta) + Double(v) * cos(theta)
                    let along = Double(u) * cos(theta) + Double(v) * sin(theta)
                    let g = exp(-(across * across + along * along) / (2 * sigma * sigma))
                    kernel[(v + radius) * side + u + radius] = g * cos(2 * Double.pi * frequency * across)
                }
            }
            kernels.append(kernel)
        }
        let directionOf = orientation.map { angle -> Int in
            var a = angle.truncatingRemainder(dividingBy: Double.pi)
            if a < 0 { a += Double.pi }
            return Int((a / Double.pi * Double(directions)).rounded()) % directions
        }
        let flat = kernels.flatMap { $0 }
        for _ in 0..<2 {
            var out = [Double](repeating: 0, count: width * height)
            let (w, h) = (width, height)
            image.withUnsafeBufferPointer { source in
                flat.withUnsafeBufferPointer { kernel in
                    directionOf.withUnsafeBufferPointer { direction in
                        out.withUnsafeMutableBufferPointer { target in
                            for y in 0..<h {
                                for x in 0..<w {
                                    let base = direction[y * w + x] * side * side
                                    var sum = 0.0
                                    for v in -radius...radius {
                                        let row = min(h - 1, max(0, y + v)) * w
                                        let krow = base + (v + radius) * side + radius
                                        if x >= radius && x < w - radius {
                                            for u in -radius...radius { sum += source[row + x + u] * kernel[krow + u] }
                                        } else {
                                            for u in -radius...radius {
                                                sum += source[row + min(w - 1, max(0, x + u))] * kernel[krow + u]
                                            }
                                        }
                                    }
                                    target[y * w + x] = sum
                                }
                            }
                        }
                    }
                }
            }
            // Normalise and clip (keeps the ridge amplitude even across the image).
            let scale = 1 / max(1e-9, (out.reduce(0) { $0 + $1 * $1 } / Double(out.count)).squareRoot())
            image = out.map { max(-1.5, min(1.5, $0 * scale)) }
        }
        return image.map { max(0, min(1, 0.5 + $0 * 0.6)) }
    }

    private func lowFrequencyNoise(random: inout SplitMix64, cell: Int) -> [Double] {
        let gw = width / cell + 2
        let gh = height / cell + 2
        let grid = (0..<(gw * gh)).map { _ in random.nextUnit() }
        var out = [Double](repeating: 0, count: width * height)
        for y in 0..<height {
            for x in 0..<width {
                let fx = Double(x) / Double(cell)
                let fy = Double(y) / Double(cell)
                let ix = Int(fx)
                let iy = Int(fy)
                let tx = fx - Double(ix)
                let ty = fy - Double(iy)
                let a = grid[iy * gw + ix]
                let b = grid[iy * gw + ix + 1]
                let c = grid[(iy + 1) * gw + ix]
                let d = grid[(iy + 1) * gw + ix + 1]
                out[y * width + x] = (a * (1 - tx) + b * tx) * (1 - ty) + (c * (1 - tx) + d * tx) * ty
            }
        }
        return out
    }

    private func boxBlur(_ input: [Double], radius: Int) -> [Double] {
        var horizontal = [Double](repeating: 0, count: input.count)
        for y in 0..<height {
            for x in 0..<width {
                var sum = 0.0
                for u in -radius...radius { sum += input[y * width + min(width - 1, max(0, x + u))] }
                horizontal[y * width + x] = sum / Double(2 * radius + 1)
            }
        }
        var out = [Double](repeating: 0, count: input.count)
        for y in 0..<height {
            for x in 0..<width {
                var sum = 0.0
                for v in -radius...radius { sum += horizontal[min(height - 1, max(0, y + v)) * width + x] }
                out[y * width + x] = sum / Double(2 * radius + 1)
            }
        }
        return out
    }
}

/// Small deterministic generator (SplitMix64) so synthetic images are reproducible.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    private var state: UInt64
    /// Seeds the generator.
    public init(seed: UInt64) { state = seed }
    /// Next 64 random bits.
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    /// Uniform in [0, 1).
    public mutating func nextUnit() -> Double { Double(next() >> 11) / Double(1 << 53) }
}
