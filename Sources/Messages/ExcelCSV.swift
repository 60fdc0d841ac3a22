import Foundation

/// CSV that Excel opens with Vietnamese intact: UTF-8 with a byte-order mark, CRLF line ends, RFC 4180 quoting,
/// and a leading `=`, `+`, `-` or `@` prefixed with an apostrophe so a cell is never taken as a formula. The one
/// writer for lists that hold people's names (the cleansing list, the door-to-door lists).
public enum ExcelCSV {
    /// The byte-order mark Excel needs to read UTF-8.
    public static let byteOrderMark = Data([0xEF, 0xBB, 0xBF])

    /// The CSV bytes of `header` then `rows`.
    public static func render(header: [String], rows: [[String]]) -> Data {
        var text = ""
        for row in [header] + rows { text += row.map(field).joined(separator: ",") + "\r\n" }
        return byteOrderMark + Data(text.utf8)
    }

    /// One field, quoted when it holds a comma, a quote or a line end.
    public static func field(_ value: String) -> String {
        var value = value
        if let first = value.first, "=+-@".contains(first) { value = "'" + value }
        guard value.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return value }
        return "\"" + value.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
