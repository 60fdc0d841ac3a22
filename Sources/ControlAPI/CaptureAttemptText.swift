import Foundation
import Messages

extension StationEvent {
    /// A `capture.attempt` event as a person reads it: the finger by name, the attempt, the quality and the
    /// advice ("ngón trỏ tay phải: lần 1, chất lượng 34 — ấn ngón tay mạnh hơn"), or that it was accepted; nil
    /// for any other event. Every word from the catalog in `language`: never a position's number or an advice
    /// code.
    public func captureAttemptText(_ language: Language) -> String? {
        guard type == Self.captureAttemptType, let finger, let attempt, let quality else { return nil }
        let name = Term.finger.name(String(finger), language)
        let values = ["finger": name, "attempt": "\(attempt)", "quality": "\(quality)"]
        if accepted == true { return MessageKey.ctlWatchCaptureAccepted.text(language, values) }
        let advice = (advice ?? []).map { Self.lowercasingFirst(Term.advice.name($0, language)) }
        return MessageKey.ctlWatchCaptureAdvised.text(
            language, values.merging(["advice": advice.joined(separator: "; ")]) { $1 })
    }

    /// The catalog's advice is a sentence ("Ấn ngón tay mạnh hơn"); after the dash it continues the line.
    private static func lowercasingFirst(_ text: String) -> String {
        guard let first = text.first else { return text }
        return first.lowercased() + text.dropFirst()
    }
}
