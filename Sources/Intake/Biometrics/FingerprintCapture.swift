import Foundation
import Messages

/// Finger positions as numbered by ISO/IEC 19794-4 (and ANSI/NIST): 1 right thumb … 10 left little finger.
public enum FingerPosition: Int, Sendable, Hashable, Codable, CaseIterable, Comparable {
    case rightThumb = 1
    case rightIndex, rightMiddle, rightRing, rightLittle
    case leftThumb, leftIndex, leftMiddle, leftRing, leftLittle

    /// The finger's name for operator messages ("ngón trỏ tay phải", "right index finger"), never its number.
    public var name: Message {
        switch self {
        case .rightThumb: Message(.fingerRightThumb)
        case .rightIndex: Message(.fingerRightIndex)
        case .rightMiddle: Message(.fingerRightMiddle)
        case .rightRing: Message(.fingerRightRing)
        case .rightLittle: Message(.fingerRightLittle)
        case .leftThumb: Message(.fingerLeftThumb)
        case .leftIndex: Message(.fingerLeftIndex)
        case .leftMiddle: Message(.fingerLeftMiddle)
        case .leftRing: Message(.fingerLeftRing)
        case .leftLittle: Message(.fingerLeftLittle)
        }
    }

    /// Vietnamese name for operator messages.
    public var vietnameseName: String { name.text(.vietnamese) }

    /// English name for operator messages.
    public var englishName: String { name.text(.english) }

    public static func < (lhs: FingerPosition, rhs: FingerPosition) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// Why a finger could not be captured; recorded instead of a print so the application can still go on.
public enum FingerException: String, Sendable, Hashable, Codable, CaseIterable {
    /// The finger is missing (amputation, congenital).
    case missingFinger
    /// Injured or bandaged: temporary.
    case injury
    /// Ridges too worn to reach the quality threshold after repeated attempts.
    case unreadable
}

/// One finger's capture: either a record with its quality, or an exception.
///
/// Intake's own value type; the station maps `Biometrics`' capture results into it.
public struct FingerprintCapture: Sendable, Hashable, Codable, CustomStringConvertible {
    /// What was obtained for the finger.
    public enum Outcome: Sendable, Hashable, Codable {
        /// A fingerprint record (ISO/IEC 19794-4 image record) and its quality 0...100.
        case captured(quality: Int, record: Data)
        /// No usable print; the reason is recorded.
        case exception(FingerException)
    }

    /// Which finger.
    public var position: FingerPosition
    /// The outcome.
    public var outcome: Outcome

    /// Creates a capture.
    public init(position: FingerPosition, outcome: Outcome) {
        self.position = position
        self.outcome = outcome
    }

    /// Quality 0...100, nil for an exception.
    public var quality: Int? {
        if case .captured(let quality, _) = outcome { return quality }
        return nil
    }

    public var description: String {
        switch outcome {
        case .captured(let quality, let record): "\(position.englishName): q\(quality), \(record.count) bytes"
        case .exception(let reason): "\(position.englishName): \(reason.rawValue)"
        }
    }
}
