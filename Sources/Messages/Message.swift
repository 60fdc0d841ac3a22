/// One operator-facing text: a key of the message catalog and the values of its placeholders.
///
/// Errors and results carry a `Message`, never finished text, so one value is shown in whichever language the
/// reader asks for. Placeholders are written `{name}` in the catalogs; argument values never hold personal data.
public struct Message: Sendable, Hashable, CustomStringConvertible {
    /// The catalog key.
    public let key: MessageKey
    /// Placeholder values by name.
    public let arguments: [String: String]
    /// Placeholder values that are messages themselves (a finger's name, the detail of a problem), shown in the
    /// same language as this message.
    public let parts: [String: Message]

    /// A message with its placeholder values.
    public init(_ key: MessageKey, _ arguments: [String: String] = [:]) {
        self.init(key, arguments, parts: [:])
    }

    /// A message whose placeholders are filled from `arguments` and, in the reader's language, from `parts`.
    public init(_ key: MessageKey, _ arguments: [String: String] = [:], parts: [String: Message]) {
        self.key = key
        self.arguments = arguments
        self.parts = parts
    }

    /// The text in `language`.
    public func text(_ language: Language) -> String {
        guard !parts.isEmpty else { return MessageCatalog.text(key, language, arguments) }
        let shown = arguments.merging(parts.mapValues { $0.text(language) }) { argument, _ in argument }
        return MessageCatalog.text(key, language, shown)
    }

    /// The Vietnamese text (logs of operator-facing output use the default language).
    public var description: String { text(.vietnamese) }
}

extension MessageKey {
    /// The key's text in `language` with its placeholders filled.
    public func text(_ language: Language, _ arguments: [String: String] = [:]) -> String {
        MessageCatalog.text(self, language, arguments)
    }
}
