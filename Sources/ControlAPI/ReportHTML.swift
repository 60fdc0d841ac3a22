import Foundation
import Messages

/// The supervisor's report as one self-contained HTML page: readable offline in any browser, with no script and no
/// network resource (inline CSS, charts drawn as inline SVG), printable to PDF from the browser or by
/// `stationctl report --format pdf`. The figures are the ones the table and CSV forms give; every number carries a
/// `data-field` attribute so a test reads them back from the page.
public enum ReportHTML {
    /// The page for `report`, in `language`, stamped with where and when it was made.
    public static func page(_ report: ReportWire, station: String, madeAt: Date, language: Language) -> String {
        let title = MessageKey.ctlReportTitle.text(
            language,
            [
                "period": periodName(report.period).text(language),
                "from": report.from, "through": report.through,
            ])
        let made = MessageKey.reportHtmlMade.text(
            language, ["time": Self.vietnamTime(madeAt), "station": station])
        var body = "<h1>\(escape(title))</h1>\n<p class=\"made\">\(escape(made))</p>\n"
        body += seedSection(report.seedTable ?? [], language: language)
        if let campaign = report.campaign { body += campaignSection(campaign, language: language) }
        body += teamsSection(report.teams ?? [], language: language)
        body += breakdownSections(report, language: language)
        body += trendSection(report.trend ?? [], language: language)
        return """
            <!doctype html>
            <html lang="\(language == .english ? "en" : "vi")">
            <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
            <title>\(escape(title))</title>
            <style>\(style)</style>
            </head>
            <body>
            \(body)</body>
            </html>

            """
    }

    /// The word for a period: `ngày`, `tuần`, `chiến dịch`.
    public static func periodName(_ period: String) -> MessageKey {
        switch period {
        case "weekly": .ctlReportWeekly
        case "campaign": .reportCampaignPeriod
        default: .ctlReportDaily
        }
    }

    static let style = """
        body { font-family: "DejaVu Sans", "Noto Sans", sans-serif; margin: 1.5rem; color: #111; }
        h1 { font-size: 1.4rem; } h2 { font-size: 1.15rem; margin-top: 1.6rem; }
        .made, .note { color: #444; }
        table { border-collapse: collapse; font-size: 0.9rem; }
        th, td { border: 1px solid #999; padding: 0.25rem 0.5rem; }
        th { background: #e8eef7; } td.n { text-align: right; } tr.total td { font-weight: bold; }
        svg text { font-family: "DejaVu Sans", sans-serif; font-size: 11px; fill: #111; }
        .legend span { display: inline-block; width: 0.9rem; height: 0.9rem; margin: 0 0.3rem 0 1rem; }
        .taken { background: #0b4f9c; } .activated { background: #2e8b3d; }
        @media print { body { margin: 0; } h2 { break-after: avoid; } table, svg { break-inside: avoid; } }
        """

    // MARK: - Sections

    static func seedSection(_ lines: [SeedTableLineWire], language: Language) -> String {
        var html = "<h2>\(escape(MessageKey.reportHtmlSeedTitle.text(language)))</h2>\n"
        guard !lines.isEmpty else { return html + "<p>\(escape(MessageKey.reportHtmlNoData.text(language)))</p>\n" }
        let header = SeedTableText.columns.map { $0.text(language) }
        let fields = [
            "citizens14Plus", "level1Activated", "level1Pending", "level2Activated", "level2Pending", "remaining",
            "toDoToday",
        ]
        html += "<table id=\"seed-table\">\n<tr>" + header.map { "<th>\(escape($0))</th>" }.joined() + "</tr>\n"
        var totals = [Int?](repeating: nil, count: fields.count)
        for line in lines {
            let cells = SeedTableText.cells(line)
            html += "<tr data-commune=\"\(escape(line.communeCode))\"><td>\(escape(cells[0]))</td>"
            html += "<td>\(escape(cells[1]))</td>"
            for (index, field) in fields.enumerated() {
                let value = Int(cells[index + 2])
                if let value { totals[index] = (totals[index] ?? 0) + value }
                html += "<td class=\"n\" data-field=\"\(field)\">\(escape(cells[index + 2]))</td>"
            }
            html += "</tr>\n"
        }
        html += "<tr class=\"total\"><td>\(escape(MessageKey.ctlTotal.text(language)))</td><td></td>"
        html += totals.map { "<td class=\"n\">\($0.map(String.init) ?? "")</td>" }.joined() + "</tr>\n</table>\n"
        // Progress per commune: level 2 activated and pending against the population aged 14 and over.
        let bars = lines.compactMap { line -> (String, Double, String)? in
            guard let population = line.citizens14Plus, population > 0 else { return nil }
            let done = line.level2Activated + line.level2Pending
            let share = min(1, Double(done) / Double(population))
            return (line.communeName ?? line.communeCode, share, "\(done)/\(population)")
        }
        if !bars.isEmpty {
            html += "<h2>\(escape(MessageKey.reportHtmlCoverageTitle.text(language)))</h2>\n"
            html += barChart(id: "coverage-chart", bars)
        }
        return html
    }

    static func campaignSection(_ campaign: CampaignProgressWire, language: Language) -> String {
        let share = campaign.target > 0 ? min(1, Double(campaign.achieved) / Double(campaign.target)) : 0
        return "<h2>\(escape(MessageKey.reportHtmlCampaignTitle.text(language)))</h2>\n"
            + "<p id=\"campaign\" data-achieved=\"\(campaign.achieved)\" data-target=\"\(campaign.target)\">"
            + escape(campaign.summary(language)) + "</p>\n"
            + barChart(id: "campaign-chart", [(campaign.phase, share, "\(campaign.achieved)/\(campaign.target)")])
    }

    static func teamsSection(_ teams: [TeamReportLineWire], language: Language) -> String {
        guard !teams.isEmpty else { return "" }
        let (header, rows) = OfficerTableText.teams(teams, language: language)
        let fields =
            ["officers", "taken", "pending", "accepted", "activated", "rejected"]
            + (header.count > 8 ? ["quota", "quotaRemaining", "perDayToFinishPhase"] : [])
        var html = table(
            "teams-table", .reportHtmlTeamsTitle, header, rows, keys: teams.map(\.team), fields: fields,
            language: language)
        let most = max(1, teams.map(\.taken).max() ?? 1)
        html += barChart(
            id: "teams-chart",
            teams.map { ($0.team, Double($0.taken) / Double(most), "\($0.activated)/\($0.taken)") })
        return html
    }

    static func trendSection(_ days: [ReportDayWire], language: Language) -> String {
        guard !days.isEmpty else { return "" }
        var html = "<h2>\(escape(MessageKey.reportHtmlTrendTitle.text(language)))</h2>\n<p class=\"legend\">"
        html += "<span class=\"taken\"></span>\(escape(MessageKey.reportHtmlTaken.text(language)))"
        html += "<span class=\"activated\"></span>\(escape(MessageKey.reportHtmlActivated.text(language)))</p>\n"
        let width = 40 * days.count + 40
        let height = 180
        let most = max(1, days.map { max($0.captured, $0.activated) }.max() ?? 1)
        let scale = Double(height - 50) / Double(most)
        html += "<svg id=\"trend-chart\" width=\"\(width)\" height=\"\(height)\" role=\"img\">\n"
        for (index, day) in days.enumerated() {
            let x = 30 + index * 40
            let taken = Int((Double(day.captured) * scale).rounded())
            let activated = Int((Double(day.activated) * scale).rounded())
            html += "<g data-day=\"\(day.day)\" data-captured=\"\(day.captured)\" data-activated=\"\(day.activated)\">"
            html += rect(x, height - 30 - taken, 14, taken, Self.takenColour)
            html += rect(x + 15, height - 30 - activated, 14, activated, Self.activatedColour)
            html += text(x, height - 15, String(day.day.suffix(5)))
            html += text(x, height - 34 - max(taken, activated), "\(day.captured)") + "</g>\n"
        }
        return html + "</svg>\n"
    }

    // MARK: - Drawing

    /// Horizontal bars: a label, the share of the bar filled (0…1) and the figure written beside it.
    static func barChart(id: String, _ bars: [(label: String, share: Double, figure: String)]) -> String {
        let rowHeight = 26
        let height = rowHeight * bars.count + 10
        var svg = "<svg id=\"\(escape(id))\" width=\"720\" height=\"\(height)\" role=\"img\">\n"
        for (index, bar) in bars.enumerated() {
            let y = 5 + index * rowHeight
            let filled = Int((bar.share * 400).rounded())
            svg += "<g data-label=\"\(escape(bar.label))\" data-figure=\"\(escape(bar.figure))\">"
            svg += text(0, y + 15, String(bar.label.prefix(28)))
            svg += rect(200, y, 400, 18, "#e3e3e3") + rect(200, y, filled, 18, Self.takenColour)
            svg += text(610, y + 15, "\(bar.figure) (\(Int((bar.share * 100).rounded())) %)") + "</g>\n"
        }
        return svg + "</svg>\n"
    }

    static let takenColour = "#0b4f9c"
    static let activatedColour = "#2e8b3d"

    static func rect(_ x: Int, _ y: Int, _ width: Int, _ height: Int, _ fill: String) -> String {
        "<rect x=\"\(x)\" y=\"\(y)\" width=\"\(width)\" height=\"\(height)\" fill=\"\(fill)\"/>"
    }

    static func text(_ x: Int, _ y: Int, _ content: String) -> String {
        "<text x=\"\(x)\" y=\"\(y)\">\(escape(content))</text>"
    }

    /// Text made safe for HTML content and attribute values.
    static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.count)
        for character in text {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(character)
            }
        }
        return out
    }

    /// `2026-12-06 16:45` in Asia/Ho_Chi_Minh.
    static func vietnamTime(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "Asia/Ho_Chi_Minh")
        formatter.dateFormat = "yyyy-MM-dd HH:mm"
        return formatter.string(from: date)
    }
}
