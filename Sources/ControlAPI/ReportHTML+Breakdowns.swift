import Foundation
import Messages

extension ReportHTML {
    /// The officers, the breakdowns (bundle, priority group, point, hamlet, rejections, on hold, refusals) and the campaign's
    /// phases: one table each, rows keyed by `data-key` and numbers by `data-field` so a test reads them back.
    static func breakdownSections(_ report: ReportWire, language: Language) -> String {
        var html = ""
        if let officers = report.officers, !officers.isEmpty {
            let (header, rows) = OfficerTableText.officers(officers, language: language)
            let fields =
                ["taken", "pending", "accepted", "activated", "rejected"]
                + (header.count > 9 ? ["quota", "quotaRemaining", "perDayToFinishPhase"] : [])
            html += table(
                "officers-table", .reportHtmlOfficersTitle, header, rows, keys: officers.map(\.account),
                fields: fields, language: language)
        }
        let counts = ["taken", "pending", "accepted", "activated", "rejected", "activatedReported"]
        let breakdowns: [(String, MessageKey, [BreakdownLineWire]?, Term?, MessageKey)] = [
            ("bundles-table", .reportHtmlBundlesTitle, report.bundles, .bundle, .reportColumnBundle),
            (
                "priority-table", .reportHtmlPriorityTitle, report.priorityGroups, .priorityGroup,
                .reportColumnPriorityGroup
            ),
            ("points-table", .reportHtmlPointsTitle, report.points, nil, .reportColumnPoint),
        ]
        for (id, title, lines, term, first) in breakdowns {
            guard let lines, !lines.isEmpty else { continue }
            let (header, rows) = BreakdownTableText.lines(lines, term: term, first: first, language: language)
            html += table(id, title, header, rows, keys: lines.map(\.key), fields: counts, language: language)
            if id == "points-table", let name = report.pointName {
                html += "<p id=\"point-name\">\(escape(name))</p>\n"
            }
        }
        if let hamlets = report.hamlets, !hamlets.isEmpty {
            let (header, rows) = BreakdownTableText.hamlets(hamlets, language: language)
            html += table(
                "hamlets-table", .reportHtmlHamletsTitle, header, rows,
                keys: hamlets.map { $0.communeCode + "/" + ($0.hamlet ?? "") },
                fields: ["taken", "uploaded", "accepted", "activated", "rejected", "activatedReported"],
                language: language)
        }
        let keyed: [(String, MessageKey, [KeyedCountWire]?, Term?, MessageKey)] = [
            ("rejections-table", .reportHtmlRejectionsTitle, report.rejections, nil, .reportColumnRejectionReason),
            ("attention-table", .reportHtmlAttentionTitle, report.attention, .localState, .reportColumnState),
        ]
        for (id, title, lines, term, first) in keyed {
            guard let lines, !lines.isEmpty else { continue }
            let (header, rows) = BreakdownTableText.counts(lines, term: term, first: first, language: language)
            html += table(id, title, header, rows, keys: lines.map(\.key), fields: ["count"], language: language)
        }
        if let refusals = report.refusals, !refusals.isEmpty {
            let (header, rows) = BreakdownTableText.refusals(refusals, language: language)
            html += table(
                "refusals-table", .reportHtmlRefusalsTitle, header, rows, keys: refusals.map(\.reason),
                fields: ["citizens", "confirmed"], language: language)
        }
        if let phases = report.phases, !phases.isEmpty {
            let (header, rows) = BreakdownTableText.phases(phases, language: language)
            html += table(
                "phases-table", .reportHtmlPhasesTitle, header, rows, keys: phases.map(\.phase),
                fields: ["target", "achieved", "remaining", "daysLeft", "perDayNeeded"], language: language)
            html += barChart(
                id: "phases-chart",
                phases.map { phase -> (label: String, share: Double, figure: String) in
                    let share = phase.target > 0 ? min(1, Double(phase.achieved) / Double(phase.target)) : 0
                    return (phase.phase, share, "\(phase.achieved)/\(phase.target)")
                })
        }
        return html
    }

    /// A titled table: text cells first, then one number per `fields` (right-aligned, named by `data-field`).
    static func table(
        _ id: String, _ title: MessageKey, _ header: [String], _ rows: [[String]], keys: [String], fields: [String],
        language: Language
    ) -> String {
        var html = "<h2>\(escape(title.text(language)))</h2>\n<table id=\"\(escape(id))\">\n<tr>"
        html += header.map { "<th>\(escape($0))</th>" }.joined() + "</tr>\n"
        let firstNumber = header.count - fields.count
        for (row, key) in zip(rows, keys) {
            html += "<tr data-key=\"\(escape(key))\">"
            for (index, cell) in row.enumerated() {
                if index >= firstNumber {
                    html += "<td class=\"n\" data-field=\"\(fields[index - firstNumber])\">\(escape(cell))</td>"
                } else {
                    html += "<td>\(escape(cell))</td>"
                }
            }
            html += "</tr>\n"
        }
        return html + "</table>\n"
    }
}
