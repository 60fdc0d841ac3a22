import Foundation

/// The language of the control API's messages, from `Accept-Language` (RFC 9110 §12.5.4): Vietnamese unless
/// English is preferred.
///
/// Each range may carry a weight (`;q=0.8`, default 1); `q=0` means "not acceptable". The supported languages
/// are `vi` and `en` (a range matches by its primary subtag: `en-GB` is English); other ranges and `*` change
/// nothing. The supported language with the highest weight wins, the first listed on a tie; when neither is
/// acceptable, Vietnamese (the default). So `en;q=0, vi` is Vietnamese and `vi;q=0.5, en` English.
public enum AcceptLanguage {
    /// Whether the header asks for English.
    public static func prefersEnglish(_ header: String?) -> Bool {
        guard let header else { return false }
        var best: (english: Bool, weight: Double)?
        for item in header.split(separator: ",") {
            let parts = item.split(separator: ";")
            guard let range = parts.first?.trimmingCharacters(in: .whitespaces).lowercased() else { continue }
            var weight = 1.0
            for parameter in parts.dropFirst() {
                let pair = parameter.split(separator: "=", maxSplits: 1)
                if pair.count == 2, pair[0].trimmingCharacters(in: .whitespaces).lowercased() == "q" {
                    weight = Double(pair[1].trimmingCharacters(in: .whitespaces)) ?? 0
                }
            }
            let english: Bool
            switch range.split(separator: "-").first ?? "" {
            case "en": english = true
            case "vi": english = false
            default: continue
            }
            if weight > 0, weight > (best?.weight ?? 0) { best = (english, weight) }
        }
        return best?.english ?? false
    }
}
