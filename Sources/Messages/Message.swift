/// One operator-facing text: a key of the message catalog and the values of its placeholders.
///
/// Errors and results carry a `Message`, never finished text, so one value is shown in whichever language the
/// reader asks for. Placeholders are written `{name}` in the catalogs; argument values never hold personal data.
public struct Message: Sendable, Hashable, CustomStringConvertible {
    /// The catalog key.
    public let key: MessageKey
    /// Placeholder values by name.
    public let arguments: [String: String]

    /// A message with its placeholder values.
    public init(_ key: MessageKey, _ arguments: [String: String] = [:]) {
        self.key = key
        self.arguments = arguments
    }

    /// The text in `language`.
    public func text(_ language: Language) -> String {
        MessageCatalog.text(key, language, arguments)
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
