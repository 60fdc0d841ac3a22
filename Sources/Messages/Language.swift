/// The language an operator reads: Vietnamese by default, English on request (`--lang en`, `STATION_LANG=en`,
/// `Accept-Language: en`).
public enum Language: String, Sendable, Hashable, CaseIterable {
    /// Vietnamese, the default.
    case vietnamese = "vi"
    /// English.
    case english = "en"

    /// The language a tag names: a tag whose primary subtag is `en` is English (`en`, `en-GB`), anything else
    /// Vietnamese.
    public init(tag: String) {
        self = tag.lowercased().hasPrefix("en") ? .english : .vietnamese
    }
}
