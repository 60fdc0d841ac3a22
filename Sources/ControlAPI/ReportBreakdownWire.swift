import Foundation
import Messages

/// One line of a breakdown of `/v1/reports/:period` (`bundles`, `priorityGroups`, `points`): the applications taken
/// in the period with one value, by their state now, and the activations C06 reported on the period's days.
public struct BreakdownLineWire: Codable, Sendable, Hashable {
    /// The value as the wire names it: a bundle (`utility`, `2in1`…), a priority group (`students`…, `none`), a
    /// kind of point (`fixed`, `mobile`).
    public var key: String
    /// Applications taken (not cancelled).
    public var taken: Int
    /// Pending at C06 or on the station.
    public var pending: Int
    /// Accepted, not yet activated.
    public var accepted: Int
    /// Activated (of those taken in the period).
    public var activated: Int
    /// Rejected.
    public var rejected: Int
    /// Activations C06 reported on the period's days, whatever the day of capture (the figure that counts).
    public var activatedReported: Int
    /// Creates a value.
    public init(
        key: String, taken: Int, pending: Int, accepted: Int, activated: Int, rejected: Int, activatedReported: Int
    ) {
        self.key = key
        self.taken = taken
        self.pending = pending
        self.accepted = accepted
        self.activated = activated
        self.rejected = rejected
        self.activatedReported = activatedReported
    }
}

/// One line of `hamlets` in `/v1/reports/:period`: the applications taken in the period in one hamlet of one
/// commune (`hamlet` absent: none was recorded for them), by their state now.
public struct HamletLineWire: Codable, Sendable, Hashable {
    /// The commune's code.
    public var communeCode: String
    /// The hamlet chosen for the intake session; absent when none was recorded.
    public var hamlet: String?
    /// Applications taken (not cancelled).
    public var taken: Int
    /// Sent to the central (uploaded or exported) or already answered by it.
    public var uploaded: Int
    /// Accepted, not yet activated.
    public var accepted: Int
    /// Activated (of those taken in the period).
    public var activated: Int
    /// Rejected.
    public var rejected: Int
    /// Activations C06 reported on the period's days, whatever the day of capture.
    public var activatedReported: Int
    /// Creates a value.
    public init(
        communeCode: String, hamlet: String?, taken: Int, uploaded: Int, accepted: Int, activated: Int, rejected: Int,
        activatedReported: Int
    ) {
        self.communeCode = communeCode
        self.hamlet = hamlet
        self.taken = taken
        self.uploaded = uploaded
        self.accepted = accepted
        self.activated = activated
        self.rejected = rejected
        self.activatedReported = activatedReported
    }
}

/// A count under a key (`rejections`: C06's reason code; `attention`: `held` or `needsAttention`).
public struct KeyedCountWire: Codable, Sendable, Hashable {
    /// The key.
    public var key: String
    /// How many.
    public var count: Int
    /// Creates a value.
    public init(key: String, count: Int) {
        self.key = key
        self.count = count
    }
}

/// One line of the refusals list (`refusals`): citizens recorded in the period as not yet eligible or ineligible.
public struct RefusalLineWire: Codable, Sendable, Hashable {
    /// `notYetEligible` or `ineligible`.
    public var eligibilityClass: String
    /// The reason (`under14`, `noPhone`…, `illness`…).
    public var reason: String
    /// Citizens, each once (their latest record of the period).
    public var citizens: Int
    /// Of those, confirmed by the local authority.
    public var confirmed: Int
    /// Creates a value.
    public init(eligibilityClass: String, reason: String, citizens: Int, confirmed: Int) {
        self.eligibilityClass = eligibilityClass
        self.reason = reason
        self.citizens = citizens
        self.confirmed = confirmed
    }
}

/// Achieved against a quota over the report's days (`OfficerReportLineWire.quota`, `TeamReportLineWire.quota`).
public struct QuotaProgressWire: Codable, Sendable, Hashable {
    /// The quota per day (the least, for an official's range).
    public var perDay: Int
    /// The most per day, for an official's range (`quota.officer_daily = 20..50`).
    public var mostPerDay: Int?
    /// Days of the period the quota covers.
    public var days: Int
    /// `perDay` × `days`.
    public var quota: Int
    /// Applications taken in the period.
    public var achieved: Int
    /// Quota minus achieved (never below 0).
    public var remaining: Int
    /// Applications a day needed to finish the campaign phase on time at this quota's share (absent with no phase).
    public var perDayToFinishPhase: Int?
    /// Creates a value.
    public init(
        perDay: Int, mostPerDay: Int?, days: Int, quota: Int, achieved: Int, remaining: Int,
        perDayToFinishPhase: Int?
    ) {
        self.perDay = perDay
        self.mostPerDay = mostPerDay
        self.days = days
        self.quota = quota
        self.achieved = achieved
        self.remaining = remaining
        self.perDayToFinishPhase = perDayToFinishPhase
    }
}

/// The breakdowns as people read them: terminal table and CSV for Excel, headers from the catalog (`--table NAME`).
public enum BreakdownTableText {
    /// The names `stationctl report --table` takes, the seed's table first (the default).
    public static let tables = [
        "seed", "intake", "officers", "teams", "bundles", "priority", "points", "rejections", "attention", "refusals",
        "phases", "hamlets",
    ]

    /// Header and rows of the breakdown by hamlet (numbers from the 3rd column on); no hamlet recorded reads
    /// "(không rõ thôn)".
    public static func hamlets(_ lines: [HamletLineWire], language: Language) -> ([String], [[String]]) {
        let columns: [MessageKey] = [
            .ctlReportColumnCommune, .reportColumnHamlet, .ctlReportColumnTaken, .reportColumnUploaded,
            .ctlReportColumnAccepted, .ctlReportColumnActivated, .ctlReportColumnRejected,
            .reportColumnActivatedReported,
        ]
        let rows = lines.map { line in
            [line.communeCode, line.hamlet ?? MessageKey.reportHamletNone.text(language)]
                + [line.taken, line.uploaded, line.accepted, line.activated, line.rejected, line.activatedReported]
                .map(String.init)
        }
        return (columns.map { $0.text(language) }, rows)
    }

    /// Header and rows of a breakdown (numbers from the 2nd column on); `term` names the keys.
    public static func lines(_ lines: [BreakdownLineWire], term: Term?, first: MessageKey, language: Language)
        -> ([String], [[String]])
    {
        let columns: [MessageKey] = [
            first, .ctlReportColumnTaken, .ctlReportColumnPending, .ctlReportColumnAccepted, .ctlReportColumnActivated,
            .ctlReportColumnRejected, .reportColumnActivatedReported,
        ]
        let rows = lines.map { line in
            [label(line.key, term: term, language: language)]
                + [line.taken, line.pending, line.accepted, line.activated, line.rejected, line.activatedReported]
                .map(String.init)
        }
        return (columns.map { $0.text(language) }, rows)
    }

    /// Header and rows of a keyed count (the number in the 2nd column).
    public static func counts(_ lines: [KeyedCountWire], term: Term?, first: MessageKey, language: Language)
        -> ([String], [[String]])
    {
        let header = [first.text(language), MessageKey.reportColumnCount.text(language)]
        return (header, lines.map { [label($0.key, term: term, language: language), String($0.count)] })
    }

    /// Header and rows of the refusals list (numbers from the 3rd column on).
    public static func refusals(_ lines: [RefusalLineWire], language: Language) -> ([String], [[String]]) {
        let columns: [MessageKey] = [
            .reportColumnClass, .reportColumnReason, .reportColumnCitizens, .reportColumnConfirmed,
        ]
        let rows = lines.map { line in
            [
                (line.eligibilityClass == "ineligible" ? MessageKey.reportClassIneligible : .reportClassNotYetEligible)
                    .text(language),
                Term.refusalReason.name(line.reason, language), String(line.citizens), String(line.confirmed),
            ]
        }
        return (columns.map { $0.text(language) }, rows)
    }

    /// Header and rows of the campaign's phases (numbers from the 4th column on).
    public static func phases(_ phases: [CampaignProgressWire], language: Language) -> ([String], [[String]]) {
        let columns: [MessageKey] = [
            .reportColumnPhase, .reportColumnFrom, .reportColumnThrough, .reportColumnTarget, .reportColumnAchieved,
            .reportColumnRemaining, .reportColumnDaysLeft, .reportColumnPerDay,
        ]
        let rows = phases.map { phase in
            [phase.phase, phase.from, phase.through]
                + [phase.target, phase.achieved, phase.remaining, phase.daysLeft, phase.perDayNeeded].map(String.init)
        }
        return (columns.map { $0.text(language) }, rows)
    }

    /// The name of a key in `language`: a `Term` value, a kind of point, `none`, or the key as it is.
    static func label(_ key: String, term: Term?, language: Language) -> String {
        switch key {
        case "none": return MessageKey.reportNoGroup.text(language)
        case "fixed" where term == nil: return MessageKey.reportPointFixed.text(language)
        case "mobile" where term == nil: return MessageKey.reportPointMobile.text(language)
        default: return term.map { $0.name(key, language) } ?? key
        }
    }
}
