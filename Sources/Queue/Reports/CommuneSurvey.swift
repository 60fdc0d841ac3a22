import Foundation
import Intake
import Messages

/// One commune's survey figures: what the station cannot know itself (population 14+, level-1 figures, the
/// level-2 figures from before the station), as at the start of `asOf`.
public struct CommuneSurvey: Sendable, Hashable, Codable {
    /// Five-digit commune code.
    public let communeCode: String
    /// The commune's name as the district writes it.
    public let communeName: String
    /// The day the figures were taken.
    public let asOf: CalendarDate
    /// Tổng số công dân trên 14 tuổi.
    public let citizens14Plus: Int
    /// Số đã kích hoạt mức 1.
    public let level1Activated: Int
    /// Số chờ kích hoạt mức 1.
    public let level1Pending: Int
    /// Số đã kích hoạt mức 2.
    public let level2Activated: Int
    /// Số chờ kích hoạt mức 2.
    public let level2Pending: Int

    /// Creates a value (no checks: `CommuneSurveyCSV.parse` checks imported rows).
    public init(
        communeCode: String, communeName: String, asOf: CalendarDate, citizens14Plus: Int, level1Activated: Int,
        level1Pending: Int, level2Activated: Int, level2Pending: Int
    ) {
        self.communeCode = communeCode
        self.communeName = communeName
        self.asOf = asOf
        self.citizens14Plus = citizens14Plus
        self.level1Activated = level1Activated
        self.level1Pending = level1Pending
        self.level2Activated = level2Activated
        self.level2Pending = level2Pending
    }
}

/// One problem in a survey file, placed by line and column (`CSVIssue`).
public typealias SurveyIssue = CSVIssue<SurveyIssueCode>

/// A survey file refused as a whole (nothing imported): every problem found, in file order.
public typealias SurveyImportError = CSVImportError<SurveyIssueCode>

/// The stable codes of a survey file's problems.
public enum SurveyIssueCode: String, CSVIssueCode {
    /// Not UTF-8 (e.g. a Windows-1258 export).
    case encoding = "survey.encoding"
    /// The header is not exactly the expected one.
    case header = "survey.header"
    /// A row has too few or too many columns.
    case columns = "survey.columns"
    /// A commune code that is not 5 digits, an empty name, a bad date.
    case field = "survey.field"
    /// Not a whole non-negative number.
    case number = "survey.number"
    /// A commune named twice in the file.
    case duplicate = "survey.duplicate"
    /// Activated and pending above the population 14+.
    case sum = "survey.sum"
    /// No commune rows.
    case empty = "survey.empty"

    /// The refusal of a whole file.
    public static var invalidFile: String { "survey.invalid" }
}

/// The commune survey CSV: UTF-8 with or without BOM, the exact header `CommuneSurveyCSV.header`, one row per
/// commune, RFC 4180 quoting (a name may hold a comma), CRLF or LF.
public enum CommuneSurveyCSV {
    /// The header, exactly.
    public static let columns = [
        "commune_code", "commune_name", "as_of", "citizens_14_plus", "level1_activated", "level1_pending",
        "level2_activated", "level2_pending",
    ]
    /// The header line.
    public static var header: String { columns.joined(separator: ",") }

    /// Parses and checks a whole file; throws every problem found, or returns all rows.
    public static func parse(_ data: Data) throws(SurveyImportError) -> [CommuneSurvey] {
        var issues = CSVIssues<SurveyIssueCode>()
        func add(_ code: SurveyIssueCode, _ line: Int, _ column: Int, _ message: Message) {
            issues.add(code, line, column, message)
        }
        let (lines, undecodable) = CSVInput.lines(data)
        for bad in undecodable { add(.encoding, bad.line, bad.column, Message(.surveyEncoding)) }
        guard issues.isEmpty else { throw issues.error }
        guard let first = lines.first, !lines.allSatisfy({ $0.text.trimmingCharacters(in: .whitespaces).isEmpty })
        else {
            throw SurveyImportError(issues: [SurveyIssue(code: .empty, line: 1, column: 0, Message(.surveyEmpty))])
        }
        let headerFields = CSVInput.fields(first.text)
        if headerFields != columns {
            let column =
                Array(zip(headerFields, columns)).firstIndex { $0 != $1 }.map { $0 + 1 }
                ?? min(headerFields.count, columns.count) + 1
            add(.header, 1, column, Message(.surveyHeader, ["header": header]))
            throw issues.error
        }
        var rows: [CommuneSurvey] = []
        var seen: [String: Int] = [:]
        for (number, text) in lines.dropFirst() where !text.trimmingCharacters(in: .whitespaces).isEmpty {
            let values = CSVInput.fields(text).map { $0.trimmingCharacters(in: .whitespaces) }
            guard values.count == columns.count else {
                add(
                    .columns, number, min(values.count, columns.count) + 1,
                    Message(.surveyColumns, ["found": "\(values.count)", "expected": "\(columns.count)"]))
                continue
            }
            var ok = true
            let code = values[0]
            if code.count != 5 || !code.allSatisfy({ $0.isASCII && $0.isNumber }) {
                add(.field, number, 1, Message(.surveyCommuneCode))
                ok = false
            } else if let earlier = seen[code] {
                add(.duplicate, number, 1, Message(.surveyDuplicate, ["commune": code, "line": "\(earlier)"]))
                ok = false
            } else {
                seen[code] = number
            }
            if values[1].isEmpty {
                add(.field, number, 2, Message(.surveyCommuneName))
                ok = false
            }
            let asOf = CalendarDate(iso: values[2])
            if asOf == nil {
                add(.field, number, 3, Message(.surveyAsOf))
                ok = false
            }
            var numbers: [Int] = []
            for column in 3..<8 {
                let value = values[column]
                if let n = Int(value), n >= 0, value.allSatisfy({ $0.isASCII && $0.isNumber }) {
                    numbers.append(n)
                } else {
                    add(.number, number, column + 1, Message(.surveyNumber, ["column": columns[column]]))
                    ok = false
                }
            }
            guard ok, let asOf else { continue }
            let counted = numbers[1...].reduce(0, +)
            if counted > numbers[0] {
                add(.sum, number, 4, Message(.surveySum, ["counted": "\(counted)", "population": "\(numbers[0])"]))
                continue
            }
            rows.append(
                CommuneSurvey(
                    communeCode: code, communeName: values[1], asOf: asOf, citizens14Plus: numbers[0],
                    level1Activated: numbers[1], level1Pending: numbers[2], level2Activated: numbers[3],
                    level2Pending: numbers[4]))
        }
        guard issues.isEmpty else { throw issues.error }
        guard !rows.isEmpty else {
            throw SurveyImportError(issues: [SurveyIssue(code: .empty, line: 2, column: 0, Message(.surveyNoRows))])
        }
        return rows
    }
}
