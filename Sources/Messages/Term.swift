/// The names people read for the station's closed vocabularies: queue states, upload states, intake-session
/// states, events, verdicts, bundles, priority groups. Wire values and JSON keep the English identifiers; text
/// output shows `Term.name` (Vietnamese by default), stored in the catalogs under `term.FAMILY.VALUE`.
public enum Term: String, Sendable, Hashable, CaseIterable {
    /// The application's state at the station (`LocalState`).
    case localState = "local"
    /// The central's decision on the application (`CentralState`).
    case centralState = "central"
    /// The intake session's state (`IntakeSession.State.name`).
    case sessionState = "session"
    /// Why an intake session ended without a commit (`IntakeSession.AbandonReason`).
    case abandonReason = "abandon"
    /// The upload's phase (`GET /v1/upload` `state`).
    case uploadState = "upload"
    /// Event types of `GET /v1/events` (`stationctl watch`).
    case event
    /// The desk verification's verdict (`POST /v1/verify` `verdict`).
    case verdict
    /// The chip's authenticity verdict (`AuthenticityVerdict`).
    case authenticity
    /// The service bundle (`ServiceBundle.name`).
    case bundle
    /// The campaign priority group (`PriorityGroup`).
    case priorityGroup = "priority"
    /// Why a citizen cannot be registered today (`NotYetEligibleReason`, `IneligibleReason`): the eligibility list.
    case refusalReason = "refusal"
    /// Why a supervisor held or cancelled an application (`OperatorReason`).
    case queueReason
    /// The caller's role (`CallerRole`): what the console shows beside the officer's name.
    case role
    /// The web console's own words (headings, labels, buttons, notices), by id: `GET /console/terms` gives the
    /// pages every text they show in the chosen language, so the pages hold none of their own.
    case consoleText = "text"
    /// A finger by its ISO/IEC 19794-4 position ("2": "ngón trỏ tay phải"): the names are the catalog's finger
    /// names (`finger.*`), so people never read a position's number.
    case finger
    /// The capture flow's advice by its code (`CaptureAdvice`: "press-harder"): the catalog's `biometric.advice.*`.
    case advice
    /// Why a finger cannot be captured (`FingerException`): an officer's exception request, the supervisor's list.
    case fingerException = "exception"
    /// What an intake session tells the officer while it goes on (`IntakeSession.Notice`, the `intake.notice`
    /// event): the catalog's own messages for them ("Thẻ đã bị rút ra: …").
    case notice

    /// Every value of the family, as it appears on the wire. `MessagesTests` checks these against the modules'
    /// own enums, and that each has a name in both catalogs.
    public var values: [String] {
        switch self {
        case .localState:
            ["captured", "ready", "batched", "uploaded", "held", "needsAttention", "cancelled", "exported"]
        case .centralState: ["unknown", "received", "accepted", "rejected", "resend", "activated"]
        case .sessionState:
            [
                "idle", "cardRead", "paused", "turnedAway", "biometrics", "review", "review.persisting", "committed",
                "abandoned",
            ]
        case .abandonReason:
            ["cardRemoved", "deviceFault", "clientGone", "operatorCancelled", "endedBySupervisor", "refusalRecorded"]
        case .uploadState: ["notConfigured", "notEnrolled", "idle", "uploading", "offline", "failed"]
        case .event:
            [
                "reader.added", "reader.removed", "card.inserted", "card.removed", "pcsc.lost", "pcsc.restored",
                "intake.state", "queue.changed", "upload.progress", "capture.attempt", "intake.finger", "verify.done",
                "patient.verified", "scanners.changed",
            ]
        case .verdict: ["accept", "refer"]
        case .authenticity:
            [
                "genuine", "verifiedOffline", "unconfirmed", "untrustedSigner", "chainInvalid", "hashMismatch", "clone",
                "notChecked", "noCard",
            ]
        case .bundle: ["utility", "2in1", "3in1", "4in1"]
        case .priorityGroup: ["students", "policyBeneficiaries", "workersAndOfficials", "withoutCCCD"]
        case .queueReason: ["citizenRequest", "dataError", "duplicate", "deviceFault", "other"]
        case .role: ["operator", "supervisor", "root"]
        case .consoleText: Self.consoleTextIDs
        case .finger: (1...10).map(String.init)
        case .advice:
            [
                "place-finger", "press-harder", "finger-too-dry", "finger-too-wet", "move-to-centre", "clean-sensor",
                "keep-still", "lift-finger",
            ]
        case .refusalReason:
            [
                "under14", "noPhone", "minorWithoutPhonePermission", "inPrison", "missing", "abroad", "absent",
                "remoteNoCoverage", "illness", "mentalDisability", "noCivilCapacity",
            ]
        case .fingerException: ["missingFinger", "injury", "unreadable"]
        case .notice: Self.noticeKeys.keys.sorted()
        }
    }

    /// The console's text ids (#21 items 4, 5 and 7), in the pages' order: common, login, station,
    /// queue, supervisor, intake.
    static let consoleTextIDs = [
        // common
        "officerLabel", "logoutIn", "countdown", "logout", "languageSwitch", "languageSwitchLabel", "navStation",
        "navIntake", "navQueue", "navSupervisor", "mainNav", "loadFailed",
        // login
        "titleLogin", "loginHeading", "account", "password", "loginButton", "loginMissing", "loginUnreachable",
        "loginFailedStatus",
        // station
        "titleStation", "stationHeading", "devicesHeading", "noPcscd", "noReader", "readerLabel", "cardPresent",
        "cardAbsent", "noScanner", "scannerLabel", "queueHeading", "queueTotal", "uploadHeading", "uploadState",
        "uploadProgress", "uploadProgressLabel", "uploadLast", "uploadNever", "uploadStalled", "uploadNow",
        "uploadStarted", "freezeHeading", "freezeNone", "figuresHeading", "figuresCaption", "figuresCommune",
        "figuresTaken", "figuresQuota", "figuresNoQuota", "figuresNone", "exportHeading", "exportToLabel", "exportNow",
        "exportProgress", "exportProgressLabel", "exportDone", "exportFailed",
        // queue
        "titleQueue", "queueScreenHeading", "filterState", "filterAll", "filterApply", "queueCaption", "colTime",
        "colId", "colState", "colCentral", "colCommune", "colBundle", "colOfficer", "colActions", "more", "reason",
        "actRelease", "actRetry", "actHold", "actCancel", "queueEmpty",
        // supervisor
        "titleSupervisor", "supervisorHeading", "needsSupervisor", "reviewHeading", "reviewCaption", "reviewEmpty",
        "reportHeading", "reportPeriod", "reportDaily", "reportWeekly", "reportShow", "reportFrame",
        "operatorsHeading", "operatorsCaption", "opAccount", "opStaff", "opName", "opUnit", "opTeam", "opCommune",
        "opStatus", "opActive", "opDisabled", "opAdd", "opAddHeading", "opDisable", "opAdded", "clientsHeading",
        "clientsCaption", "clName", "clScope", "clHint", "clCreated", "clStatus", "clLive", "clRevoked", "clAdd",
        "clAddHeading", "clRevoke", "clToken",
        // intake (the receipt stays Vietnamese: it is the citizen's)
        "titleIntake", "intakeHeading",
        "cardTitle", "cardHelp", "canLabel", "readCard", "cardResultTitle", "idNumber", "verdictLabel", "refusalTitle",
        "refusalHelp", "refusalConfirmed", "refusalNote", "recordRefusal", "fingersTitle", "fingersHelp",
        "fingerRight", "fingerLeft", "portraitTitle", "cameraLabel", "takePhoto", "portraitFile", "detailsTitle",
        "phoneLabel", "bundleLabel", "priorityLabel", "priorityNone", "saveDetails", "intakeReviewTitle",
        "reviewButton", "readBackDone", "commitButton", "endedTitle", "restart", "abandonButton",
        "sessionState", "fingerTaken", "portraitDone", "cardPulled", "sessionEnded",
        "rbName", "rbBirth", "rbPhone", "rbNo", "rbFingers", "rbException", "rbQuality", "rbPortrait", "rbYes",
        "rbNotYet", "busyCard", "busyFinger", "noCamera", "cameraFailed", "cameraNotReady", "busyPhoto", "busyDetails",
        "busyReview", "busyCommit", "busyRefusal", "busyAbandon", "placeLabel", "placeNoHamlet",
        // intake: every bundle (#19 item 6)
        "bankLabel", "accountConsent", "loanLabel", "benefitsLabel", "benefitPension", "benefitSocialAllowance",
        "benefitMeritAllowance", "benefitUnemployment", "benefitOther", "suggestedPriority", "rbBank",
        "noCardTitle", "noCardHelp", "sexLabel", "sexMale", "sexFemale", "typeIdentity", "busyIdentity",
        // intake: driven by the station's events (#21 item 3)
        "cardPlaced", "captureAdvised", "captureAccepted", "eventsReconnected",
        // finger exceptions confirmed by a supervisor (#19 item 5, #21 item 5): intake, then supervisor
        "excTitle", "excHelp", "excFinger", "excKind", "excNote", "excRequest", "excWithdraw", "excPending",
        "excConfirmed", "excDeclined", "busyException",
        "exceptionsHeading", "exceptionsCaption", "exceptionsEmpty", "colCitizen", "colFinger", "colKind", "colNote",
        "excReasonLabel", "excConfirm", "excDecline", "excDone", "excDismiss",
    ]

    /// The catalog key of one value. Fingers and advice are named by the catalog's own keys for them (one text
    /// for each, whether a message or a vocabulary shows it).
    public func key(_ value: String) -> String {
        switch self {
        case .finger: Int(value).flatMap { Self.fingerKeys[$0] }?.rawValue ?? "term.finger.\(value)"
        case .advice: "biometric.advice.\(value)"
        case .notice: Self.noticeKeys[value]?.rawValue ?? "term.notice.\(value)"
        default: "term.\(rawValue).\(value)"
        }
    }

    /// The session's notices and their messages' keys, the same as `IntakeSession.Notice.message` (CatalogTests).
    public static let noticeKeys: [String: MessageKey] = [
        "cardPulled": .intakeCardPulled, "otherCard": .intakeOtherCard,
        "exceptionNeedsSupervisor": .intakeExceptionNeedsSupervisor, "readBackStale": .intakeReadBackStale,
        "exceptionAwaitsSupervisor": .intakeExceptionAwaitsSupervisor,
    ]

    /// Positions 1...10 and their names' keys.
    static let fingerKeys: [Int: MessageKey] = [
        1: .fingerRightThumb, 2: .fingerRightIndex, 3: .fingerRightMiddle, 4: .fingerRightRing, 5: .fingerRightLittle,
        6: .fingerLeftThumb, 7: .fingerLeftIndex, 8: .fingerLeftMiddle, 9: .fingerLeftRing, 10: .fingerLeftLittle,
    ]

    /// The name of `value` in `language`; a value the catalog does not know (a newer daemon) is shown as it is.
    public func name(_ value: String, _ language: Language) -> String {
        MessageCatalog.text(raw: key(value), language) ?? value
    }
}
