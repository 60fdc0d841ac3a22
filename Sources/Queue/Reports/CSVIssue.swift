import Messages

/// The stable codes of one kind of CSV file's problems (the commune survey's, an invitation list's).
public protocol CSVIssueCode: RawRepresentable, Sendable, Hashable where RawValue == String {
    /// Stable code of a file of this kind refused as a whole (`survey.invalid`, `invitation.invalid`).
    static var invalidFile: String { get }
}

/// One problem in a CSV file people made, placed by line and column (both from 1) so the technician can fix the
/// file.
public struct CSVIssue<Code: CSVIssueCode>: Sendable, Hashable, CustomStringConvertible {
    /// The code.
    public let code: Code
    /// Line in the file (1 = header).
    public let line: Int
    /// Column (field number for field problems, character for encoding problems), 0 when the whole line.
    public let column: Int
    /// What is wrong and how to fix it, in the reader's language.
    public let message: Message

    /// Creates an issue.
    public init(code: Code, line: Int, column: Int, _ message: Message) {
        self.code = code
        self.line = line
        self.column = column
        self.message = message
    }

    /// The explanation in Vietnamese.
    public var vietnamese: String { message.text(.vietnamese) }
    /// The explanation in English.
    public var english: String { message.text(.english) }

    public var description: String { "line \(line), column \(column): \(code.rawValue): \(english)" }
}

/// A CSV file refused as a whole (nothing imported): every problem found, in file order.
public struct CSVImportError<Code: CSVIssueCode>: Error, Sendable, Hashable, CustomStringConvertible {
    /// Stable code of the refusal as a whole.
    public static var code: String { Code.invalidFile }
    /// The problems (at most `CSVIssues.limit`).
    public let issues: [CSVIssue<Code>]

    public var description: String { issues.map(\.description).joined(separator: "\n") }
}

/// The problems found in one file, kept up to `limit` (the file is refused at the first one anyway).
struct CSVIssues<Code: CSVIssueCode> {
    /// Problems reported at most.
    static var limit: Int { 50 }
    private(set) var all: [CSVIssue<Code>] = []

    var isEmpty: Bool { all.isEmpty }

    /// Notes a problem (beyond `limit`, dropped).
    mutating func add(_ code: Code, _ line: Int, _ column: Int, _ message: Message) {
        if all.count < Self.limit { all.append(CSVIssue(code: code, line: line, column: column, message)) }
    }

    /// The refusal of the file, with the problems noted.
    var error: CSVImportError<Code> { CSVImportError(issues: all) }
}
