import Foundation
import Messages

extension ControlPaths {
    /// `POST` a commune survey CSV (supervisors).
    public static let survey = "/v1/survey"
}

/// One commune's line of the seed's table (seed 000's appendix). Survey columns are absent when the commune has no
/// survey on or before the report's day (station figures only).
public struct SeedTableLineWire: Codable, Sendable, Hashable {
    /// Mã xã.
    public var communeCode: String
    /// Tên xã (from the survey import).
    public var communeName: String?
    /// Day of the survey used (ISO).
    public var surveyAsOf: String?
    /// Tổng số công dân trên 14 tuổi.
    public var citizens14Plus: Int?
    /// Số đã kích hoạt mức 1.
    public var level1Activated: Int?
    /// Số chờ kích hoạt mức 1.
    public var level1Pending: Int?
    /// Số đã kích hoạt mức 2 (survey + the station's activations since the survey's day).
    public var level2Activated: Int
    /// Số chờ kích hoạt mức 2 (survey + the station's applications not yet activated or rejected).
    public var level2Pending: Int
    /// Số còn lại phải vận động kích hoạt (computed).
    public var remaining: Int?
    /// Tổng số phải thực hiện trong ngày (from quotas; absent when none).
    public var toDoToday: Int?
    /// The station's own share of `level2Activated`.
    public var stationActivated: Int
    /// The station's own share of `level2Pending`.
    public var stationPending: Int

    /// Creates a value.
    public init(
        communeCode: String, communeName: String?, surveyAsOf: String?, citizens14Plus: Int?, level1Activated: Int?,
        level1Pending: Int?, level2Activated: Int, level2Pending: Int, remaining: Int?, toDoToday: Int?,
        stationActivated: Int, stationPending: Int
    ) {
        self.communeCode = communeCode
        self.communeName = communeName
        self.surveyAsOf = surveyAsOf
        self.citizens14Plus = citizens14Plus
        self.level1Activated = level1Activated
        self.level1Pending = level1Pending
        self.level2Activated = level2Activated
        self.level2Pending = level2Pending
        self.remaining = remaining
        self.toDoToday = toDoToday
        self.stationActivated = stationActivated
        self.stationPending = stationPending
    }
}

/// `POST /v1/survey`: what the import did.
public struct SurveyImportWire: Codable, Sendable, Hashable {
    /// Communes in the file.
    public var communes: Int
    /// Of those, communes the station did not know before.
    public var newCommunes: Int
    /// Rows that replaced an earlier import for the same commune and day.
    public var replaced: Int
    /// Creates a value.
    public init(communes: Int, newCommunes: Int, replaced: Int) {
        self.communes = communes
        self.newCommunes = newCommunes
        self.replaced = replaced
    }
}

/// The seed's table as people read it: a terminal table aligned by display width, and CSV that Excel opens.
public enum SeedTableText {
    /// The columns: commune code and name, then the seed's seven in its order.
    static let columns: [MessageKey] = [
        .ctlSeedCommuneCode, .ctlSeedCommuneName, .ctlSeedCitizens14Plus, .ctlSeedLevel1Activated,
        .ctlSeedLevel1Pending, .ctlSeedLevel2Activated, .ctlSeedLevel2Pending, .ctlSeedRemaining, .ctlSeedToDoToday,
    ]
    /// The seed's seven column names, exactly as seed 000 writes them (in Vietnamese), in its order.
    public static var seedColumns: [String] { Array(csvColumns.dropFirst(2)) }
    /// The CSV header, always the seed's Vietnamese: `Mã xã,Tên xã` then the seven.
    public static var csvColumns: [String] { columns.map { $0.text(.vietnamese) } }

    static func cells(_ line: SeedTableLineWire) -> [String] {
        let numbers: [Int?] = [
            line.citizens14Plus, line.level1Activated, line.level1Pending, line.level2Activated, line.level2Pending,
            line.remaining, line.toDoToday,
        ]
        return [line.communeCode, line.communeName ?? ""] + numbers.map { $0.map(String.init) ?? "" }
    }

    /// CSV for Excel: UTF-8 with BOM, CRLF, the header `csvColumns`, one row per commune (no total row).
    public static func csv(_ lines: [SeedTableLineWire]) -> Data {
        var text = csvColumns.map(csvField).joined(separator: ",") + "\r\n"
        for line in lines { text += cells(line).map(csvField).joined(separator: ",") + "\r\n" }
        return Data([0xEF, 0xBB, 0xBF]) + Data(text.utf8)
    }

    static func csvField(_ value: String) -> String {
        guard value.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return value }
        return "\"" + value.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    /// A terminal table with the seed's headers in `language`, a total row (`Tổng`), columns aligned by display
    /// width so Vietnamese diacritics (precomposed or combining) do not shift them.
    public static func table(_ lines: [SeedTableLineWire], language: Language = .vietnamese) -> String {
        let header = columns.map { $0.text(language) }
        var rows = lines.map(cells)
        var totals: [String] = [MessageKey.ctlTotal.text(language), ""]
        for column in 2..<header.count {
            let values = rows.compactMap { Int($0[column]) }
            totals.append(values.isEmpty ? "" : String(values.reduce(0, +)))
        }
        rows.append(totals)
        return TextLayout.table(header: header, rows: rows, rightAligned: Set(2..<header.count))
    }
}

/// Progress of the campaign phase the report's last day falls in (only successful activations count).
public struct CampaignProgressWire: Codable, Sendable, Hashable {
    /// Phase name from the configuration.
    public var phase: String
    /// First day of the phase (ISO).
    public var from: String
    /// Last day of the phase (ISO).
    public var through: String
    /// Activations to reach by the end of the phase.
    public var target: Int
    /// Activations C06 reported from the phase's first day through the report's day.
    public var achieved: Int
    /// Target minus achieved (never below 0).
    public var remaining: Int
    /// Days of the phase after the report's day.
    public var daysLeft: Int
    /// Activations needed per remaining day to finish on time (the whole remainder on the last day).
    public var perDayNeeded: Int
    /// Creates a value.
    public init(
        phase: String, from: String, through: String, target: Int, achieved: Int, remaining: Int, daysLeft: Int,
        perDayNeeded: Int
    ) {
        self.phase = phase
        self.from = from
        self.through = through
        self.target = target
        self.achieved = achieved
        self.remaining = remaining
        self.daysLeft = daysLeft
        self.perDayNeeded = perDayNeeded
    }

    /// One line for the terminal.
    public func summary(_ language: Language) -> String {
        MessageKey.ctlReportCampaign.text(
            language,
            [
                "phase": phase, "from": from, "through": through, "achieved": "\(achieved)", "target": "\(target)",
                "remaining": "\(remaining)", "perDay": "\(perDayNeeded)", "daysLeft": "\(daysLeft)",
            ])
    }
}
