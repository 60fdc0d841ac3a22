import Foundation
import Testing

@testable import Biometrics

@Suite struct QualityTests {
    static let generator = SyntheticFingerprint()
    static let assessor = QualityAssessor()

    static func report(_ condition: SyntheticCondition, seed: UInt64 = 3) -> QualityReport {
        assessor.assess(generator.generate(condition, seed: seed))
    }

    @Test func orderingGoodSmudgedPartialBlank() {
        let good = Self.report(.good)
        let smudged = Self.report(.smudged)
        let partial = Self.report(.partial)
        let blank = Self.report(.blank)
        print("quality: good \(good) | smudged \(smudged) | partial \(partial) | blank \(blank)")
        #expect(good.score > smudged.score)
        #expect(smudged.score > partial.score)
        #expect(partial.score > blank.score)
        #expect(good.score >= 60)
        #expect(good.advice.isEmpty)
        #expect(good.orientationCertainty > smudged.orientationCertainty)
        #expect(good.foregroundArea > partial.foregroundArea)
    }

    @Test func blankAndUniformAreRefused() {
        let blank = Self.report(.blank)
        #expect(blank.isBlank && blank.score == 0 && blank.advice == [.placeFinger])
        for level: UInt8 in [0, 128, 255] {
            let uniform = FingerprintImage(width: 128, height: 128, pixels: [UInt8](repeating: level, count: 128 * 128))
            let report = Self.assessor.assess(uniform)
            #expect(report.isBlank && report.score == 0)
        }
    }

    @Test func adviceMatchesTheCondition() {
        #expect(Self.report(.partial).advice.first == .moveToCentre)
        #expect(Self.report(.dry).advice.contains(.fingerTooDry))
        #expect(Self.report(.wet).advice == [.fingerTooWet])
        #expect(Self.report(.smudged).advice == [.keepStill])
        #expect(Self.report(.good).advice.isEmpty)
        #expect(Self.report(.dry).score < Self.report(.good).score)
        #expect(Self.report(.wet).score < Self.report(.good).score)
        for advice in CaptureAdvice.allCases {
            #expect(advice.bilingual.contains(" / ") && !advice.vietnamese.isEmpty)
            #expect(advice.vietnamese != advice.english)
        }
    }

    /// OCL on synthetic blocks with a known answer: parallel stripes are certain, isotropic noise is not.
    @Test func orientationCertaintyKnownAnswers() {
        let size = 32
        let stripes = (0..<(size * size)).map { i in 128 + 100 * sin(Double(i % size) * 2 * .pi / 8) }
        var random = SplitMix64(seed: 1)
        let noise = (0..<(size * size)).map { _ in random.nextUnit() * 255 }
        let (striped, angle) = Self.assessor.orientationCertainty(stripes, width: size, x0: 0, y0: 0)
        let (noisy, _) = Self.assessor.orientationCertainty(noise, width: size, x0: 0, y0: 0)
        #expect(striped > 0.95)
        #expect(abs(angle) < 0.05)  // vertical stripes: gradient along x
        #expect(noisy < 0.3)
        #expect(Self.assessor.localClarity(stripes, width: size, x0: 0, y0: 0, gradientAngle: angle) > 0.9)
    }
}
