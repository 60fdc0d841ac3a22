import Foundation

/// `GET /v1/status`: the station at a glance. No personal data.
public struct StationStatus: Codable, Sendable, Hashable {
    /// stationd version.
    public var version: String
    /// Configured profile: `intake` or `health`.
    public var profile: String
    /// Seconds since the daemon started.
    public var uptimeSeconds: Int
    /// Card readers and fingerprint scanners.
    public var devices: DevicesStatus
    /// Queue counts.
    public var queue: QueueCounts
    /// Upload state from the upload service.
    public var uplink: UploadStatus
    /// Offline freeze rules broken now (codes such as `freeze.too_many_pending`): new intakes are refused.
    public var freezeRules: [String]
    /// The intake session, if any.
    public var intake: IntakeSummary
    /// The store's audit chain verified intact when the daemon started.
    public var storeConsistent: Bool
    /// CSCA trust anchors loaded (0: none installed, every card's chain is "unknown": at best `verifiedOffline`).
    public var trustAnchors: Int
    /// Where the anchors came from: the configured folder or master list, and the list delivered by the central.
    public var trustSources: [TrustAnchorSource]?
    /// Whether today's report for the central left (nil: no uplink configured).
    public var reports: ReportSendingStatus?
    /// Creates a status.
    public init(
        version: String, profile: String, uptimeSeconds: Int, devices: DevicesStatus,
        queue: QueueCounts,
        uplink: UploadStatus, freezeRules: [String], intake: IntakeSummary, storeConsistent: Bool,
        trustAnchors: Int = 0, trustSources: [TrustAnchorSource]? = nil
    ) {
        self.storeConsistent = storeConsistent
        self.trustAnchors = trustAnchors
        self.trustSources = trustSources
        self.version = version
        self.profile = profile
        self.uptimeSeconds = uptimeSeconds
        self.devices = devices
        self.queue = queue
        self.uplink = uplink
        self.freezeRules = freezeRules
        self.intake = intake
    }
}

/// One source of CSCA trust anchors in the status page.
public struct TrustAnchorSource: Codable, Sendable, Hashable {
    /// Where it came from.
    public enum Origin: String, Codable, Sendable, Hashable {
        /// `trust.folder` or `trust.masterlist` of the configuration.
        case configured
        /// A master list the central delivered through the status sync (kept in the state folder).
        case central
    }
    /// Where it came from.
    public var origin: Origin
    /// The file (and what it holds).
    public var name: String
    /// CSCA certificates it holds (nil: said in `name`).
    public var certificates: Int?
    /// When it was installed (delivered lists).
    public var installedAt: Date?
    /// Countries of its CSCAs (delivered lists).
    public var countries: [String]?
    /// Creates a value.
    public init(
        origin: Origin, name: String, certificates: Int? = nil, installedAt: Date? = nil, countries: [String]? = nil
    ) {
        self.origin = origin
        self.name = name
        self.certificates = certificates
        self.installedAt = installedAt
        self.countries = countries
    }
}

/// Devices as last seen by the monitors.
public struct DevicesStatus: Codable, Sendable, Hashable {
    /// Whether pcscd is reachable.
    public var pcscAvailable: Bool
    /// Card readers.
    public var readers: [ReaderInfo]
    /// Fingerprint scanners.
    public var fingerprintScanners: [ScannerInfo]
    /// Creates a value.
    public init(pcscAvailable: Bool, readers: [ReaderInfo], fingerprintScanners: [ScannerInfo]) {
        self.pcscAvailable = pcscAvailable
        self.readers = readers
        self.fingerprintScanners = fingerprintScanners
    }
}

/// `GET /v1/readers` item.
public struct ReaderInfo: Codable, Sendable, Hashable {
    /// PC/SC reader name.
    public var name: String
    /// A card is on the reader.
    public var cardPresent: Bool
    /// The card's ATR in hex, when present.
    public var atr: String?
    /// Creates a value.
    public init(name: String, cardPresent: Bool, atr: String?) {
        self.name = name
        self.cardPresent = cardPresent
        self.atr = atr
    }
}

/// `GET /v1/fingerprint` item.
public struct ScannerInfo: Codable, Sendable, Hashable {
    /// Station-wide id (`usb:…`, `sim:0`).
    public var id: String
    /// Model name.
    public var name: String
    /// Driver family.
    public var driver: String
    /// Creates a value.
    public init(id: String, name: String, driver: String) {
        self.id = id
        self.name = name
        self.driver = driver
    }
}

/// Queue counts by local state, plus the total.
public struct QueueCounts: Codable, Sendable, Hashable {
    /// Count per local state name (`captured`, `ready`, …); states with no rows are present with 0.
    public var byState: [String: Int]
    /// All applications.
    public var total: Int
    /// Creates a value.
    public init(byState: [String: Int], total: Int) {
        self.byState = byState
        self.total = total
    }
}

/// The intake session in the status page.
public struct IntakeSummary: Codable, Sendable, Hashable {
    /// A session is open.
    public var active: Bool
    /// Its state name.
    public var state: String?
    /// Creates a value.
    public init(active: Bool, state: String?) {
        self.active = active
        self.state = state
    }
}

/// `GET /v1/upload`, and the `uplink` of the status.
public struct UploadStatus: Codable, Sendable, Hashable {
    /// An uplink is configured (false: the "not configured" placeholder).
    public var configured: Bool
    /// `notConfigured`, `notEnrolled`, `idle`, `uploading`, `offline`, `failed`.
    public var state: String
    /// Progress of the running upload, 0...1.
    public var progress: Double?
    /// Applications sent in the running upload.
    public var sent: Int?
    /// Applications to send in the running upload.
    public var total: Int?
    /// When the last successful sync ended.
    public var lastSyncAt: Date?
    /// Stable code of the last failed cycle or enrollment (e.g. `uplink.central_unauthenticated`,
    /// `central.tls_untrusted`, `central.audit_history_changed`); nil once a cycle succeeds.
    public var lastError: String?
    /// When the central last anchored the station's audit head (in a signed answer), and its sequence number.
    public var auditAnchoredAt: Date?
    /// The anchored audit entry's sequence number.
    public var auditAnchoredSequence: Int64?
    /// Fingerprint of the pinned central keys (nil: not enrolled).
    public var centralFingerprint: String?
    /// The central's count of packets whose chip evidence it verified (`chipVerified`), as of the last status
    /// sync (nil: the central does not say).
    public var chipVerified: Int?
    /// The central's count of packets it refused with `CHIP_EVIDENCE_INVALID`, as of the last status sync.
    public var chipEvidenceRejected: Int?
    /// The central's count of packets stored on Passive Authentication alone (no anti-clone transcript, under a
    /// verdict that says the check did not run), as of the last status sync (nil: the central does not say).
    public var chipPassiveOnly: Int?
    /// Code of the last master list the central delivered and the station refused (`trust.*`; nil: none).
    public var masterListRefused: String?
    /// Why the upload is not moving: since when the central has taken nothing, why, and when the next try is due
    /// (nil while the central answers).
    public var stall: UploadStall?
    /// Creates a value.
    public init(
        configured: Bool, state: String, progress: Double? = nil, sent: Int? = nil, total: Int? = nil,
        lastSyncAt: Date? = nil, lastError: String? = nil, auditAnchoredAt: Date? = nil,
        auditAnchoredSequence: Int64? = nil, centralFingerprint: String? = nil
    ) {
        self.configured = configured
        self.state = state
        self.progress = progress
        self.sent = sent
        self.total = total
        self.lastSyncAt = lastSyncAt
        self.lastError = lastError
        self.auditAnchoredAt = auditAnchoredAt
        self.auditAnchoredSequence = auditAnchoredSequence
        self.centralFingerprint = centralFingerprint
    }
}

/// `POST /v1/upload/enroll` body: the technician confirms the fingerprint the central printed.
public struct EnrollRequest: Codable, Sendable, Hashable {
    /// The central's key fingerprint as printed by the central (64 hex digits; spaces and colons ignored).
    public var centralFingerprint: String
    /// One-time enrollment token (nil: `uplink.token` from the configuration).
    public var token: String?
    /// A supervisor confirms that the central's keys changed (refused otherwise once keys are pinned).
    public var acceptKeyChange: Bool?
    /// The central's provisioning file (its JSON text), for an enrollment without a connection: the keys are pinned
    /// from it and the station's key is registered with its one-time token at the first connection.
    public var provisioning: String?
    /// Creates a value.
    public init(
        centralFingerprint: String, token: String? = nil, acceptKeyChange: Bool? = nil, provisioning: String? = nil
    ) {
        self.centralFingerprint = centralFingerprint
        self.token = token
        self.acceptKeyChange = acceptKeyChange
        self.provisioning = provisioning
    }
}

/// `POST /v1/upload/enroll` answer.
public struct EnrollResult: Codable, Sendable, Hashable {
    /// The enrolled station id.
    public var stationID: String
    /// Fingerprint of the central keys now pinned.
    public var centralFingerprint: String
    /// The provisioning file's id (an enrollment from a file).
    public var provisioningFileID: String?
    /// The station's key is registered with the central at the first connection (an enrollment from a file).
    public var registrationPending: Bool?
    /// Creates a value.
    public init(
        stationID: String, centralFingerprint: String, provisioningFileID: String? = nil,
        registrationPending: Bool? = nil
    ) {
        self.stationID = stationID
        self.centralFingerprint = centralFingerprint
        self.provisioningFileID = provisioningFileID
        self.registrationPending = registrationPending
    }
}

/// `POST /v1/upload` and `POST /v1/export` answer: long work returns an id to poll.
public struct JobAccepted: Codable, Sendable, Hashable {
    /// The job id.
    public var id: String
    /// Where to poll.
    public var poll: String
    /// Creates a value.
    public init(id: String, poll: String) {
        self.id = id
        self.poll = poll
    }
}
