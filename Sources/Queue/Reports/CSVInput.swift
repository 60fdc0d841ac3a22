import Foundation

/// Reading a CSV file people made (the commune survey, a hamlet's invitation list): UTF-8 with or without BOM, CRLF
/// or LF, RFC 4180 quotes. The files' own checks place every problem by line and column.
enum CSVInput {
    /// The file's lines (numbered from 1, line ends removed), and the lines that are not UTF-8 with the character
    /// column of their first bad byte (a Windows-1258 export).
    static func lines(_ data: Data) -> (lines: [(number: Int, text: String)], undecodable: [(line: Int, column: Int)]) {
        var bytes = [UInt8](data)
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { bytes.removeFirst(3) }
        var lines: [(number: Int, text: String)] = []
        var undecodable: [(line: Int, column: Int)] = []
        for (index, raw) in bytes.split(separator: 0x0A, omittingEmptySubsequences: false).enumerated() {
            var lineBytes = Array(raw)
            if lineBytes.last == 0x0D { lineBytes.removeLast() }
            if let text = String(validating: lineBytes, as: UTF8.self) {
                lines.append((index + 1, text))
            } else {
                undecodable.append((index + 1, firstInvalidColumn(lineBytes)))
            }
        }
        return (lines, undecodable)
    }

    /// Splits one line into fields (RFC 4180 quotes; `""` inside quotes is a quote).
    static func fields(_ line: String) -> [String] {
        var result: [String] = []
        var current = ""
        var quoted = false
        var iterator = line.makeIterator()
        while let character = iterator.next() {
            if quoted {
                if character == "\"" {
                    if let next = iterator.next() {
                        if next == "\"" {
                            current.append("\"")
                        } else {
                            quoted = false
                            if next == "," {
                                result.append(current)
                                current = ""
                            } else {
                                current.append(next)
                            }
                        }
                    } else {
                        quoted = false
                    }
                } else {
                    current.append(character)
                }
            } else if character == "\"" && current.isEmpty {
                quoted = true
            } else if character == "," {
                result.append(current)
                current = ""
            } else {
                current.append(character)
            }
        }
        result.append(current)
        return result
    }

    /// The character column (from 1) of the first byte that is not valid UTF-8.
    static func firstInvalidColumn(_ bytes: [UInt8]) -> Int {
        var iterator = bytes.makeIterator()
        var decoder = UTF8()
        var column = 1
        while true {
            switch decoder.decode(&iterator) {
            case .scalarValue: column += 1
            case .emptyInput: return column
            case .error: return column
            }
        }
    }
}
