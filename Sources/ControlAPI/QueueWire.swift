import Foundation

/// One queue row on the wire: no personal data.
public struct QueueItemWire: Codable, Sendable, Hashable {
    /// Application id (UUID).
    public var id: String
    /// Local state (`captured`, `ready`, `held`, …).
    public var local: String
    /// Central state kind (`unknown`, `accepted`, …).
    public var central: String
    /// C06's reason when rejected.
    public var centralReason: String?
    /// When it was taken.
    public var capturedAt: Date
    /// Commune code.
    public var communeCode: String
    /// Operator who took it.
    public var operatorID: String
    /// Bundle kind.
    public var bundle: String
    /// Upload attempts.
    public var attempts: Int
    /// Payload purged after acceptance.
    public var purged: Bool
    /// The short reference on the citizen's receipt (`K7M2-QX4G`); accepted wherever the id is.
    public var reference: String?
    /// Creates a value.
    public init(
        id: String, local: String, central: String, centralReason: String?, capturedAt: Date,
        communeCode: String,
        operatorID: String, bundle: String, attempts: Int, purged: Bool, reference: String? = nil
    ) {
        self.reference = reference
        self.id = id
        self.local = local
        self.central = central
        self.centralReason = centralReason
        self.capturedAt = capturedAt
        self.communeCode = communeCode
        self.operatorID = operatorID
        self.bundle = bundle
        self.attempts = attempts
        self.purged = purged
    }
}

/// `GET /v1/queue`: a page; pass `next` as `?after=` for the following one.
public struct QueuePageWire: Codable, Sendable, Hashable {
    /// Items, newest first.
    public var items: [QueueItemWire]
    /// Opaque cursor, nil at the end.
    public var next: String?
    /// Creates a value.
    public init(items: [QueueItemWire], next: String?) {
        self.items = items
        self.next = next
    }
}

/// `GET /v1/queue/{id}`: the role-appropriate view (masked for operators).
public struct ApplicationDetailWire: Codable, Sendable, Hashable {
    /// The receipt columns.
    public var item: QueueItemWire
    /// Personal data is shown in full (supervisors asking with `?unmasked=true`).
    public var unmasked: Bool
    /// ID number (masked unless `unmasked`).
    public var idNumber: String
    /// Name (initials unless `unmasked`).
    public var fullName: String
    /// Date of birth (year only unless `unmasked`).
    public var dateOfBirth: String
    /// Phone (masked unless `unmasked`).
    public var phone: String?
    /// Fingers with quality or exception.
    public var fingerprints: [String]
    /// Authenticity verdict.
    public var authenticity: String
    /// Priority group.
    public var priorityGroup: String?
    /// Registration point.
    public var placeName: String
    /// The application's audit history, oldest first (notes unsealed only when `unmasked`).
    public var history: [HistoryLineWire]?
    /// Creates a value.
    public init(
        item: QueueItemWire, unmasked: Bool, idNumber: String, fullName: String, dateOfBirth: String,
        phone: String?, fingerprints: [String], authenticity: String, priorityGroup: String?,
        placeName: String, history: [HistoryLineWire]? = nil
    ) {
        self.history = history
        self.item = item
        self.unmasked = unmasked
        self.idNumber = idNumber
        self.fullName = fullName
        self.dateOfBirth = dateOfBirth
        self.phone = phone
        self.fingerprints = fingerprints
        self.authenticity = authenticity
        self.priorityGroup = priorityGroup
        self.placeName = placeName
    }
}

/// One entry of an application's history (`GET /v1/queue/{id}`).
public struct HistoryLineWire: Codable, Sendable, Hashable {
    /// When.
    public var at: Date
    /// Who (operator id or `system`).
    public var actor: String
    /// What: `commit`, `hold`, `release`, `cancel`, `retry`, `transition`, `show_unmasked`, …
    public var action: String
    /// Status before (`local/central`), if it changed.
    public var from: String?
    /// Status after, if it changed.
    public var to: String?
    /// The reason code, in clear.
    public var reason: String?
    /// A sealed note is attached.
    public var hasNote: Bool
    /// The note's text: only in a supervisor's `?unmasked=true` view.
    public var note: String?
    /// Creates a value.
    public init(
        at: Date, actor: String, action: String, from: String?, to: String?, reason: String?, hasNote: Bool,
        note: String?
    ) {
        self.at = at
        self.actor = actor
        self.action = action
        self.from = from
        self.to = to
        self.reason = reason
        self.hasNote = hasNote
        self.note = note
    }
}

/// Body of `hold` and `cancel`: a reason code (required, kept in clear in the audit log) and an optional note
/// (free text that may name the citizen: sealed in the audit log, shown only to supervisors).
public struct QueueActionRequest: Codable, Sendable, Hashable {
    /// Reason code: `citizenRequest`, `dataError`, `duplicate`, `deviceFault` or `other`.
    public var reason: String?
    /// Free-text note (stored sealed, never logged).
    public var note: String?
    /// Creates a value.
    public init(reason: String? = nil, note: String? = nil) {
        self.reason = reason
        self.note = note
    }
}

/// Answer of a queue action: the new status.
public struct QueueActionResult: Codable, Sendable, Hashable {
    /// Application id.
    public var id: String
    /// New local state.
    public var local: String
    /// Central state kind.
    public var central: String
    /// Creates a value.
    public init(id: String, local: String, central: String) {
        self.id = id
        self.local = local
        self.central = central
    }
}

/// One day of the report's trend.
public struct ReportDayWire: Codable, Sendable, Hashable {
    /// The Vietnamese day (ISO).
    public var day: String
    /// Applications taken that day.
    public var captured: Int
    /// Activations C06 reported that day.
    public var activated: Int
    /// Creates a value.
    public init(day: String, captured: Int, activated: Int) {
        self.day = day
        self.captured = captured
        self.activated = activated
    }
}

/// `GET /v1/reports/daily|weekly`: the daily report is one Vietnamese day, the weekly one the 7 days ending on
/// the Friday on or after the date asked (Saturday through Friday, the mobile teams' weekend included).
public struct ReportWire: Codable, Sendable, Hashable {
    /// `daily` or `weekly`.
    public var period: String
    /// First day (ISO).
    public var from: String
    /// Last day (ISO).
    public var through: String
    /// One line per commune: applications taken in the period.
    public var lines: [ReportLineWire]
    /// The seed's table (seed 000's appendix) per commune as at the end of `through`.
    public var seedTable: [SeedTableLineWire]?
    /// The campaign phase `through` falls in (absent when no phase is configured for that day).
    public var campaign: CampaignProgressWire?
    /// One line per official: applications taken in the period under each account (`stationctl report --table
    /// officers`).
    public var officers: [OfficerReportLineWire]?
    /// One line per team (`--table teams`); accounts with no officer record under "(chưa đăng ký)".
    public var teams: [TeamReportLineWire]?
    /// The 14 days ending on `through`, oldest first: applications taken and activations reported each day.
    public var trend: [ReportDayWire]?
    /// By service bundle: applications taken in the period, and activations C06 reported on its days.
    public var bundles: [BreakdownLineWire]? = nil
    /// By campaign priority group (`none`: no group).
    public var priorityGroups: [BreakdownLineWire]? = nil
    /// By kind of registration point (`fixed`, `mobile`): the station is one point, named `pointName`.
    public var points: [BreakdownLineWire]? = nil
    /// The station's registration point as configured (`point.name`).
    public var pointName: String? = nil
    /// Rejections C06 reported on the period's days, by its reason code.
    public var rejections: [KeyedCountWire]? = nil
    /// Applications taken by the period's last day on hold (`held`) or needing attention (`needsAttention`) now.
    public var attention: [KeyedCountWire]? = nil
    /// Citizens recorded in the period as not yet eligible or ineligible, by class and reason.
    public var refusals: [RefusalLineWire]? = nil
    /// Every configured campaign phase against its target (the campaign report; absent without phases).
    public var phases: [CampaignProgressWire]? = nil
    /// By commune and hamlet (the session's hamlet; `hamlet` absent: none recorded), applications taken in the period.
    public var hamlets: [HamletLineWire]? = nil
    /// Creates a value.
    public init(
        period: String, from: String, through: String, lines: [ReportLineWire], seedTable: [SeedTableLineWire]? = nil,
        campaign: CampaignProgressWire? = nil, officers: [OfficerReportLineWire]? = nil,
        teams: [TeamReportLineWire]? = nil, trend: [ReportDayWire]? = nil
    ) {
        self.trend = trend
        self.period = period
        self.from = from
        self.through = through
        self.lines = lines
        self.seedTable = seedTable
        self.campaign = campaign
        self.officers = officers
        self.teams = teams
    }
}

/// One commune's report line.
public struct ReportLineWire: Codable, Sendable, Hashable {
    public var communeCode: String
    public var taken: Int
    public var pending: Int
    public var accepted: Int
    public var activated: Int
    public var rejected: Int
    /// Creates a value.
    public init(
        communeCode: String, taken: Int, pending: Int, accepted: Int, activated: Int, rejected: Int
    ) {
        self.communeCode = communeCode
        self.taken = taken
        self.pending = pending
        self.accepted = accepted
        self.activated = activated
        self.rejected = rejected
    }
}

/// `GET /v1/queue/{id}/receipt`: what the citizen's printed receipt says (`stationctl receipt`, `ReceiptHTML`).
public struct ApplicationReceiptWire: Codable, Sendable, Hashable {
    /// Application id (UUID).
    public var id: String
    /// The short reference (`K7M2-QX4G`).
    public var reference: String
    /// The citizen's full name, as on the card.
    public var fullName: String
    /// When the application was taken.
    public var capturedAt: Date
    /// Bundle kind (`utility`, `2in1`, `3in1`, `4in1`).
    public var bundle: String
    /// The registration point's name.
    public var placeName: String
    /// The commune's code.
    public var communeCode: String
    /// The CUPS printer configured for receipts (`receipt.printer`), if any.
    public var printer: String?
    /// Creates a value.
    public init(
        id: String, reference: String, fullName: String, capturedAt: Date, bundle: String, placeName: String,
        communeCode: String, printer: String?
    ) {
        self.id = id
        self.reference = reference
        self.fullName = fullName
        self.capturedAt = capturedAt
        self.bundle = bundle
        self.placeName = placeName
        self.communeCode = communeCode
        self.printer = printer
    }
}
