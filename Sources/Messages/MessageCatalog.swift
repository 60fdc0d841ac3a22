import Foundation

/// The station's one message catalog: every operator-facing text, one table per language
/// (`MessageCatalog+Vietnamese.swift`, `MessageCatalog+English.swift`), keyed by `MessageKey` for fixed messages
/// and by `term.FAMILY.VALUE` for the names of states, verdicts, events and bundles (`Term`).
///
/// Both tables hold exactly the same keys with the same placeholders (`MessagesTests` fails on a missing, extra
/// or unused key), so a lookup never falls back to the other language.
public enum MessageCatalog {
    /// The table of `language`.
    public static func table(_ language: Language) -> [String: String] {
        switch language {
        case .vietnamese: vietnamese
        case .english: english
        }
    }

    /// The text of `key` in `language` with its `{name}` placeholders filled from `arguments`.
    public static func text(_ key: MessageKey, _ language: Language, _ arguments: [String: String] = [:]) -> String {
        fill(table(language)[key.rawValue] ?? key.rawValue, arguments)
    }

    /// The text stored under a raw key (a term), or nil when the catalog has none.
    public static func text(raw key: String, _ language: Language) -> String? {
        table(language)[key]
    }

    /// Replaces each `{name}` by its argument; a placeholder without an argument stays visible.
    static func fill(_ template: String, _ arguments: [String: String]) -> String {
        guard !arguments.isEmpty, template.contains("{") else { return template }
        var text = template
        for (name, value) in arguments {
            text = text.replacingOccurrences(of: "{\(name)}", with: value)
        }
        return text
    }

    /// The placeholder names a template uses (`{name}`), for the catalog's tests.
    public static func placeholders(_ template: String) -> Set<String> {
        var names: Set<String> = []
        var current: String?
        for character in template {
            if character == "{" {
                current = ""
            } else if character == "}", let name = current {
                if !name.isEmpty { names.insert(name) }
                current = nil
            } else if current != nil {
                current!.append(character)
            }
        }
        return names
    }
}
