import Foundation

/// Text laid out for a terminal: widths as the terminal shows them, aligned tables, local time.
public enum TextLayout {
    /// Columns a string takes in a terminal: one per grapheme (a letter with its diacritics, precomposed or
    /// combining), two for East Asian wide characters, none for controls.
    public static func displayWidth(_ text: String) -> Int {
        text.reduce(0) { width, character in
            guard let scalar = character.unicodeScalars.first else { return width }
            switch scalar.value {
            case 0..<0x20, 0x7F..<0xA0: return width
            case 0x1100...0x115F, 0x2E80...0xA4CF, 0xAC00...0xD7A3, 0xF900...0xFAFF, 0xFE30...0xFE4F,
                0xFF00...0xFF60, 0xFFE0...0xFFE6, 0x1F300...0x1FAFF, 0x20000...0x3FFFD:
                return width + 2
            default: return width + 1
            }
        }
    }

    /// `text` followed by spaces up to `width` display columns.
    public static func padded(_ text: String, to width: Int) -> String {
        text + String(repeating: " ", count: max(0, width - displayWidth(text)))
    }

    /// A table whose columns line up by display width (two spaces between columns, no trailing spaces), with a
    /// rule under the header. Columns listed in `rightAligned` (numbers) are aligned right.
    public static func table(header: [String], rows: [[String]], rightAligned: Set<Int> = []) -> String {
        let count = ([header] + rows).map(\.count).max() ?? 0
        let widths = (0..<count).map { column in
            ([header] + rows).map { column < $0.count ? displayWidth($0[column]) : 0 }.max() ?? 0
        }
        func render(_ cells: [String], alignNumbers: Bool) -> String {
            (0..<count).map { column in
                let cell = column < cells.count ? cells[column] : ""
                let pad = String(repeating: " ", count: widths[column] - displayWidth(cell))
                return alignNumbers && rightAligned.contains(column) ? pad + cell : cell + pad
            }.joined(separator: "  ").replacingOccurrences(of: "\\s+$", with: "", options: .regularExpression)
        }
        var lines = [render(header, alignNumbers: false)]
        lines.append(widths.map { String(repeating: "─", count: $0) }.joined(separator: "  "))
        lines += rows.map { render($0, alignNumbers: true) }
        return lines.joined(separator: "\n")
    }

    /// The station's legal time zone: people read every time in it, whatever the machine's zone.
    public static let stationTimeZone = TimeZone(identifier: "Asia/Ho_Chi_Minh")!

    /// `2026-11-23 14:05` in Vietnam time (UTC+7); `seconds` adds `:SS`.
    public static func localTime(_ date: Date, seconds: Bool = false) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = stationTimeZone
        formatter.dateFormat = seconds ? "yyyy-MM-dd HH:mm:ss" : "yyyy-MM-dd HH:mm"
        return formatter.string(from: date)
    }

    /// `a` against `b` in Vietnamese alphabetical order (a ă â b c d đ e ê …, tones after letters), as people look
    /// names and hamlets up in a list; code-point order would put every Đ after Y.
    public static func vietnameseOrder(_ a: String, _ b: String) -> ComparisonResult {
        a.compare(b, locale: vietnamese)
    }

    private static let vietnamese = Locale(identifier: "vi_VN")
}
