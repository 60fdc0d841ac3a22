/// The file syntax: `# comment`, `[section]`, `name = value` (value optionally in double quotes).
/// Keys are `section.name`; unknown keys, duplicates and malformed lines are errors with their line number.
enum ConfigurationFile {
    struct Entry {
        var value: String
        var line: Int
    }

    static func parse(_ text: String) -> (values: [String: Entry], errors: [ConfigurationError]) {
        var values: [String: Entry] = [:]
        var errors: [ConfigurationError] = []
        var section = ""
        for (index, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false)
            .enumerated()
        {
            let number = index + 1
            let line = rawLine.trimmingCharacters(in: .whitespacesAndNewlines)
            if line.isEmpty || line.hasPrefix("#") || line.hasPrefix(";") { continue }
            if line.hasPrefix("[") {
                guard line.hasSuffix("]"), line.count > 2 else {
                    errors.append(
                        ConfigurationError(.syntax, key: nil, line: number, "malformed section header"))
                    continue
                }
                section = String(line.dropFirst().dropLast()).trimmingCharacters(in: .whitespaces)
                continue
            }
            guard let equals = line.firstIndex(of: "=") else {
                errors.append(ConfigurationError(.syntax, key: nil, line: number, "expected name = value"))
                continue
            }
            let name = line[..<equals].trimmingCharacters(in: .whitespaces)
            var value = line[line.index(after: equals)...].trimmingCharacters(in: .whitespaces)
            if value.count >= 2, value.hasPrefix("\""), value.hasSuffix("\"") {
                value = String(value.dropFirst().dropLast())
            }
            let key = section.isEmpty ? name : "\(section).\(name)"
            guard ConfigurationKey.named(key) != nil else {
                errors.append(ConfigurationError(.unknownKey, key: key, line: number, "unknown key"))
                continue
            }
            if let earlier = values[key] {
                errors.append(
                    ConfigurationError(
                        .duplicateKey, key: key, line: number, "already set on line \(earlier.line)"))
                continue
            }
            values[key] = Entry(value: value, line: number)
        }
        return (values, errors)
    }
}
