import Foundation
import Messages

/// What the operator should tell the person (a catalog message: Vietnamese first, English on request).
public enum CaptureAdvice: String, Sendable, Hashable, Codable, CaseIterable {
    case placeFinger = "place-finger"
    case pressHarder = "press-harder"
    case fingerTooDry = "finger-too-dry"
    case fingerTooWet = "finger-too-wet"
    case moveToCentre = "move-to-centre"
    case cleanSensor = "clean-sensor"
    case keepStill = "keep-still"
    /// The finger from the last attempt is still on the sensor: a new press needs it lifted first.
    case liftFinger = "lift-finger"

    /// What to say, from the message catalog.
    public var message: Message {
        switch self {
        case .placeFinger: Message(.biometricAdvicePlaceFinger)
        case .pressHarder: Message(.biometricAdvicePressHarder)
        case .fingerTooDry: Message(.biometricAdviceFingerTooDry)
        case .fingerTooWet: Message(.biometricAdviceFingerTooWet)
        case .moveToCentre: Message(.biometricAdviceMoveToCentre)
        case .cleanSensor: Message(.biometricAdviceCleanSensor)
        case .keepStill: Message(.biometricAdviceKeepStill)
        case .liftFinger: Message(.biometricAdviceLiftFinger)
        }
    }

    /// Vietnamese text.
    public var vietnamese: String { message.text(.vietnamese) }

    /// English text.
    public var english: String { message.text(.english) }

    /// Vietnamese first, then English.
    public var bilingual: String { "\(vietnamese) / \(english)" }
}

/// Quality measures of one image and the resulting 0–100 score.
public struct QualityReport: Sendable, Hashable, Codable, CustomStringConvertible {
    /// 0 (unusable) … 100 (excellent).
    public var score: Int
    /// Mean orientation certainty level over foreground blocks (NFIQ 2 OCL: 1 − λmin/λmax), 0…1.
    public var orientationCertainty: Double
    /// Mean local clarity over foreground blocks (NFIQ 2 LCS idea: ridge/valley separability), 0…1.
    public var localClarity: Double
    /// Fraction of the image covered by finger (foreground blocks), 0…1.
    public var foregroundArea: Double
    /// Spread of grey levels in the foreground (5th–95th percentile range / 255), 0…1.
    public var contrast: Double
    /// Mean grey level of the foreground (dark = wet, light = dry), 0…255.
    public var foregroundMean: Double
    /// Share of foreground pixels in the dark half of its grey range (≈0.5 balanced; high wet, low dry).
    public var darkFraction: Double
    /// Foreground centroid offset from the image centre, as a fraction of the half-diagonal, 0…1.
    public var centroidOffset: Double
    /// Image is empty or uniform (NFIQ 2 "EmptyImageOrContrastTooLow" / "UniformImage").
    public var isBlank: Bool
    /// Advice for the next attempt, most important first (empty when the image is good).
    public var advice: [CaptureAdvice]

    public var description: String {
        String(
            format: "quality %d (OCL %.2f, LCS %.2f, area %.2f, contrast %.2f, dark %.2f)", score,
            orientationCertainty, localClarity, foregroundArea, contrast, darkFraction)
    }
}

/// Computes published fingerprint quality measures on 32×32 blocks (for ~500 ppi images) and combines them.
public struct QualityAssessor: Sendable {
    /// Block size in pixels (NFIQ 2 uses 32×32 local regions at 500 ppi).
    public var blockSize: Int
    /// A block is foreground when its grey standard deviation reaches this value.
    public var foregroundDeviation: Double
    /// Score weights: OCL, LCS, area, contrast.
    public var weights: (ocl: Double, lcs: Double, area: Double, contrast: Double)

    /// Builds an assessor with the default parameters.
    public init(blockSize: Int = 32, foregroundDeviation: Double = 12) {
        self.blockSize = blockSize
        self.foregroundDeviation = foregroundDeviation
        weights = (0.35, 0.35, 0.15, 0.15)
    }

    /// Assesses an image. The block size follows the image resolution (32 px at 500 ppi).
    public func assess(_ image: FingerprintImage) -> QualityReport {
        var scaled = self
        scaled.blockSize = max(16, Int((Double(blockSize) * Double(image.resolutionPPI) / 500).rounded()))
        return scaled.assessAtBlockSize(image)
    }

    private func assessAtBlockSize(_ image: FingerprintImage) -> QualityReport {
        let w = image.width
        let h = image.height
        let pixels = image.pixels.map { Double($0) }
        let bx = w / blockSize
        let by = h / blockSize
        var foreground: [(Int, Int)] = []
        var globalMin = 255.0
        var globalMax = 0.0
        for p in pixels {
            globalMin = min(globalMin, p)
            globalMax = max(globalMax, p)
        }
        for j in 0..<by {
            for i in 0..<bx {
                var sum = 0.0
                var sumSq = 0.0
                for y in (j * blockSize)..<((j + 1) * blockSize) {
                    for x in (i * blockSize)..<((i + 1) * blockSize) {
                        let v = pixels[y * w + x]
                        sum += v
                        sumSq += v * v
                    }
                }
                let n = Double(blockSize * blockSize)
                let mean = sum / n
                let deviation = (max(0, sumSq / n - mean * mean)).squareRoot()
                // Ridged blocks, and dark flat blocks (contact without ridge structure: wet or smeared skin).
                if (deviation >= foregroundDeviation && mean < 250) || mean < 110 { foreground.append((i, j)) }
            }
        }
        let totalBlocks = max(1, bx * by)
        let area = Double(foreground.count) / Double(totalBlocks)
        if foreground.count < max(2, totalBlocks / 25) || globalMax - globalMin < 16 {
            let mean = pixels.reduce(0, +) / Double(max(1, pixels.count))
            return QualityReport(
                score: 0, orientationCertainty: 0, localClarity: 0, foregroundArea: area,
                contrast: (globalMax - globalMin) / 255, foregroundMean: mean,
                darkFraction: 0, centroidOffset: 1, isBlank: true, advice: [.placeFinger])
        }
        var oclSum = 0.0
        var lcsSum = 0.0
        var histogram = [Int](repeating: 0, count: 256)
        var meanSum = 0.0
        var cx = 0.0
        var cy = 0.0
        for (i, j) in foreground {
            let (ocl, angle) = orientationCertainty(pixels, width: w, x0: i * blockSize, y0: j * blockSize)
            oclSum += ocl
            lcsSum += localClarity(pixels, width: w, x0: i * blockSize, y0: j * blockSize, gradientAngle: angle)
            for y in (j * blockSize)..<((j + 1) * blockSize) {
                for x in (i * blockSize)..<((i + 1) * blockSize) {
                    let v = Int(pixels[y * w + x])
                    histogram[v] += 1
                    meanSum += Double(v)
                }
            }
            cx += (Double(i) + 0.5) * Double(blockSize)
            cy += (Double(j) + 0.5) * Double(blockSize)
        }
        let count = Double(foreground.count)
        let ocl = oclSum / count
        let lcs = lcsSum / count
        let fgPixels = histogram.reduce(0, +)
        let p5 = percentile(histogram, total: fgPixels, 0.05)
        let p95 = percentile(histogram, total: fgPixels, 0.95)
        let contrast = Double(p95 - p5) / 255
        let fgMean = meanSum / Double(max(1, fgPixels))
        // Ridge/valley balance: share of foreground pixels darker than the middle of the grey range. About half in a
        // well-pressed print; wet skin fills valleys (more dark), dry skin breaks ridges (more light).
        let middle = (p5 + p95) / 2
        let darkFraction = Double(histogram[0..<max(0, middle)].reduce(0, +)) / Double(max(1, fgPixels))
        cx /= count
        cy /= count
        let halfDiagonal = (Double(w * w + h * h)).squareRoot() / 2
        let offset =
            ((cx - Double(w) / 2) * (cx - Double(w) / 2) + (cy - Double(h) / 2) * (cy - Double(h) / 2))
            .squareRoot() / halfDiagonal

        let areaFactor = min(1, area / 0.55)
        let contrastFactor = min(1, contrast / 0.45)
        // LCS of pure noise is ~0.5; rescale so noise scores 0 and perfect separation 1.
        let clarity = max(0, min(1, (lcs - 0.5) * 2))
        // Ridge structure (OCL, LCS) scaled by how much finger there is and how much contrast it has.
        let structure = (weights.ocl * ocl + weights.lcs * clarity) / (weights.ocl + weights.lcs)
        let coverage = pow(areaFactor, 1 + weights.area) * pow(contrastFactor, weights.contrast * 2)
        // Penalties (our heuristic, not NFIQ 2): wet = dark foreground, dry = too few dark (ridge) pixels.
        let wetness = fgMean < 110 ? (110 - fgMean) / 110 : 0
        let dryness = darkFraction < 0.3 ? (0.3 - darkFraction) / 0.3 : 0
        let balance = max(0, 1 - 1.5 * wetness) * max(0, 1 - dryness)
        let score = Int((100 * structure * coverage * balance).rounded())

        var advice: [CaptureAdvice] = []
        if offset > 0.3 { advice.append(.moveToCentre) }
        if area < 0.35 && offset <= 0.3 { advice.append(.pressHarder) }
        if fgMean < 100 && darkFraction > 0.5 {
            advice.append(.fingerTooWet)
        } else if darkFraction < 0.25 || (fgMean > 200 && (clarity < 0.55 || ocl < 0.55)) {
            advice.append(.fingerTooDry)
        } else if clarity < 0.55 || ocl < 0.55 {
            advice.append(.keepStill)
        }
        if contrast < 0.2 && !advice.contains(.pressHarder) { advice.append(.pressHarder) }
        return QualityReport(
            score: max(0, min(100, score)), orientationCertainty: ocl, localClarity: clarity,
            foregroundArea: area, contrast: contrast, foregroundMean: fgMean,
            darkFraction: darkFraction,
            centroidOffset: offset,
            isBlank: false, advice: advice)
    }

    /// OCL of one block (NFIQ 2): covariance of the gradient, 1 − λmin/λmax; also the dominant gradient angle.
    func orientationCertainty(_ p: [Double], width: Int, x0: Int, y0: Int) -> (Double, Double) {
        var a = 0.0
        var b = 0.0
        var c = 0.0
        let height = p.count / width
        for y in y0..<(y0 + blockSize) {
            for x in x0..<(x0 + blockSize) {
                let xm = max(0, x - 1)
                let xp = min(width - 1, x + 1)
                let ym = max(0, y - 1)
                let yp = min(height - 1, y + 1)
                let gx = (p[y * width + xp] - p[y * width + xm]) / 2
                let gy = (p[yp * width + x] - p[ym * width + x]) / 2
                a += gx * gx
                b += gy * gy
                c += gx * gy
            }
        }
        let n = Double(blockSize * blockSize)
        a /= n
        b /= n
        c /= n
        let root = ((a - b) * (a - b) + 4 * c * c).squareRoot()
        let maxEigen = (a + b + root) / 2
        let minEigen = (a + b - root) / 2
        let angle = 0.5 * atan2(2 * c, a - b)  // dominant gradient direction (normal to the ridges)
        guard maxEigen > 0 else { return (0, angle) }
        return (1 - minEigen / maxEigen, angle)
    }

    /// Local clarity: project the block onto the ridge normal, split the 1-D signature at its mean into ridge and
    /// valley zones, and measure how cleanly pixel grey levels agree with their zone: 1 − (α + β)/2, where α is the
    /// share of valley-zone pixels darker than the threshold and β the share of ridge-zone pixels lighter.
    func localClarity(_ p: [Double], width: Int, x0: Int, y0: Int, gradientAngle: Double) -> Double {
        let cosA = cos(gradientAngle)
        let sinA = sin(gradientAngle)
        let half = Double(blockSize) / 2
        let binCount = Int((Double(blockSize) * 1.5).rounded(.up)) + 2
        var sums = [Double](repeating: 0, count: binCount)
        var counts = [Int](repeating: 0, count: binCount)
        var bins = [Int](repeating: 0, count: blockSize * blockSize)
        var values = [Double](repeating: 0, count: blockSize * blockSize)
        var k = 0
        var total = 0.0
        for y in y0..<(y0 + blockSize) {
            for x in x0..<(x0 + blockSize) {
                let t = (Double(x - x0) - half) * cosA + (Double(y - y0) - half) * sinA
                // Only a strip along the ridges through the centre, so ridge curvature does not blur the signature.
                let along = -(Double(x - x0) - half) * sinA + (Double(y - y0) - half) * cosA
                if abs(along) > half / 2 { continue }
                let bin = max(0, min(binCount - 1, Int((t + Double(binCount) / 2).rounded(.down))))
                let v = p[y * width + x]
                sums[bin] += v
                counts[bin] += 1
                bins[k] = bin
                values[k] = v
                total += v
                k += 1
            }
        }
        let threshold = total / Double(k)
        var ridgeZone = 0
        var valleyZone = 0
        var ridgeWrong = 0
        var valleyWrong = 0
        for index in 0..<k {
            let bin = bins[index]
            let zoneIsRidge = sums[bin] / Double(counts[bin]) < threshold
            if zoneIsRidge {
                ridgeZone += 1
                if values[index] >= threshold { ridgeWrong += 1 }
            } else {
                valleyZone += 1
                if values[index] < threshold { valleyWrong += 1 }
            }
        }
        guard ridgeZone > 0, valleyZone > 0 else { return 0.5 }
        let alpha = Double(valleyWrong) / Double(valleyZone)
        let beta = Double(ridgeWrong) / Double(ridgeZone)
        return 1 - (alpha + beta) / 2
    }

    private func percentile(_ histogram: [Int], total: Int, _ fraction: Double) -> Int {
        let target = Int(Double(total) * fraction)
        var running = 0
        for (value, n) in histogram.enumerated() {
            running += n
            if running > target { return value }
        }
        return 255
    }
}
