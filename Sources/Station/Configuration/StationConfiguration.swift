import Biometrics
import CentralAPI
import ChipID
import Foundation
import Intake
import Logging
import Uplink

/// The daemon's configuration: one file of `[section]` / `name = value` lines plus `STATIOND_*` environment
/// overrides, every key documented in `ConfigurationKey.all` with its default.
public struct StationConfiguration: Sendable {
    /// Which station this is.
    public enum Profile: String, Sendable, CaseIterable {
        /// Level-2 registration point: intake, queue, upload.
        case intake
        /// Health-facility check-in desk: card verification only.
        case health
    }

    /// The profile.
    public var profile: Profile
    /// Control socket path.
    public var socketPath: String
    /// Socket group (name or gid), nil to leave the group alone.
    public var socketGroup: String?
    /// Largest request body.
    public var maxBodyBytes: Int
    /// Largest portrait photo (`PUT /v1/intake/:session/portrait`, before it is normalised).
    public var maxPortraitBytes: Int
    /// Seconds a request (head and body) may take to arrive (slow clients are cut).
    public var requestTimeout: Double
    /// Seconds an idle keep-alive connection stays open between requests (nil: for ever).
    public var idleTimeout: Double?
    /// Limits on connections and on request bodies held in memory (`control.max_connections`, …).
    public var controlLimits: ConnectionLedger.Limits
    /// The TCP listener (`[listener]`).
    public var listener: ListenerSettings
    /// Operators' group.
    public var operatorsGroup: String
    /// Supervisors' group.
    public var supervisorsGroup: String
    /// Queue database path.
    public var databasePath: String
    /// Queue key file path.
    public var keyFilePath: String
    /// Free-space floor in bytes.
    public var minimumFreeBytes: Int64
    /// Retention after acceptance.
    public var retention: TimeInterval
    /// Purge period in seconds.
    public var purgeInterval: Double
    /// Values re-sealed per transaction while a key rotation runs (`store.reseal_batch`).
    public var resealBatch: Int
    /// Whether the key file is sealed to the TPM (`store.tpm`, `store.tpm_tcti`, `store.tpm_pcrs`).
    public var tpm = TPMSettings()
    /// The registration point (its commune the default of `serviceArea`).
    public var point: RegistrationPoint
    /// The communes and hamlets an intake session may be taken for (`point.communes`, `point.hamlets`).
    public var serviceArea: ServiceArea
    /// Validation policy.
    public var policy: ValidationPolicy
    /// Card exchange timeout.
    public var cardTimeout: Double
    /// The health check-in desk: QR scanner, insurance gateway.
    public var desk = DeskSettings()
    /// Use USB scanners.
    public var useUSB: Bool
    /// Simulated scanner script (nil: off).
    public var simulator: [SyntheticCondition]?
    /// Scanner polling period.
    public var biometricsPoll: Double
    /// Upload endpoint (nil: not configured).
    public var uplinkURL: String?
    /// One-time enrollment token (nil: none).
    public var uplinkToken: String?
    /// Folder of the uplink credentials and sync record.
    public var uplinkState: String
    /// Station id announced at enrollment (nil: derived from the commune code and host name).
    public var uplinkStationID: String?
    /// CA file the central's certificate must chain to (required for an https central).
    public var uplinkPinnedCA: String?
    /// The central's key fingerprint the technician confirmed (nil: enroll with `stationctl enroll`).
    public var uplinkCentralFingerprint: String?
    /// Upload and status-sync period in seconds.
    public var uplinkInterval: Double
    /// When the daily and weekly reports are frozen and sent (`[report]`).
    public var reportSchedule = ReportSchedule()
    /// Freeze rules: days without sync.
    public var freezeMaxDaysWithoutSync: Double
    /// Freeze rules: pending applications.
    public var freezeMaxPending: Int
    /// Freeze rules: free-space floor in bytes.
    public var freezeMinFreeBytes: Int64
    /// CSCA trust folder (nil: none).
    public var trustFolder: String?
    /// ICAO master list file (nil: none).
    public var trustMasterList: String?
    /// When a document signer must be valid (`trust.signer_validity`), applied to `trustList`.
    public var signerValidity: SignerValidityModel = .checkTime
    /// The trust anchors loaded from `trustFolder` and `trustMasterList` at load time (empty: chain "unknown",
    /// every card is at best `verifiedOffline`).
    public var trustList = CSCATrustList()
    /// Quotas and campaign phases (`[quota]`).
    public var quotas: QuotaPlan = .none
    /// The CUPS printer for receipts (nil: none configured).
    public var receiptPrinter: String?
    /// Log level.
    public var logLevel: Logger.Level
    /// Where each value came from (`file:LINE`, `env`, `default`), for `config check`.
    public var sources: [String: String]

    /// Loads and validates: the file (if given), then environment overrides. Throws every problem at once.
    public static func load(
        file: String?, environment: [String: String] = ProcessInfo.processInfo.environment
    )
        throws(ConfigurationErrors) -> StationConfiguration
    {
        var values: [String: (String, Int?)] = [:]
        var errors: [ConfigurationError] = []
        if let file {
            do {
                let text = try String(contentsOfFile: file, encoding: .utf8)
                let parsed = ConfigurationFile.parse(text)
                errors += parsed.errors
                for (key, entry) in parsed.values { values[key] = (entry.value, entry.line) }
            } catch {
                throw ConfigurationErrors(errors: [
                    ConfigurationError(.unreadable, key: nil, line: nil, "cannot read \(file): \(error)")
                ])
            }
        }
        for key in ConfigurationKey.all {
            if let value = environment[key.environmentVariable] { values[key.name] = (value, nil) }
        }
        // The simulator may also be switched on the way the by-hand tools do it.
        if values["biometrics.simulator"] == nil,
            let value = environment["STATION_FINGERPRINT_SIMULATOR"],
            !value.isEmpty, value != "0"
        {
            values["biometrics.simulator"] = (value == "1" ? "good" : value, nil)
        }
        var reader = Reader(values: values)
        var configuration = StationConfiguration(reader: &reader)
        errors += reader.errors
        if let problem = UplinkEndpoint.problem(url: configuration.uplinkURL, pinnedCA: configuration.uplinkPinnedCA) {
            errors.append(
                ConfigurationError(.insecureUplink, key: problem.key, line: values[problem.key]?.1, problem.reason))
        }
        if let problem = configuration.listener.problem {
            errors.append(
                ConfigurationError(.invalidValue, key: problem.key, line: values[problem.key]?.1, problem.reason))
        }
        guard errors.isEmpty else { throw ConfigurationErrors(errors: errors) }
        do {
            let isDefault = configuration.trustFolder == ConfigurationKey.named("trust.folder")?.defaultValue
            configuration.trustList = try configuration.loadTrustAnchors(defaultFolder: isDefault)
        } catch {
            throw ConfigurationErrors(errors: [
                ConfigurationError(.invalidValue, key: error.key, line: values[error.key]?.1, error.reason)
            ])
        }
        return configuration
    }

    private init(reader r: inout Reader) {
        profile = r.value("station.profile") { Profile(rawValue: $0) } ?? .intake
        socketPath =
            r.value("control.socket") { $0.hasPrefix("/") ? $0 : nil } ?? "/run/stationd/control.sock"
        let group = r.string("control.socket_group")
        socketGroup = group.isEmpty ? nil : group
        maxBodyBytes =
            r.value("control.max_body_bytes") { Int($0).flatMap { $0 >= 1024 ? $0 : nil } } ?? 2_097_152
        maxPortraitBytes =
            r.value("control.max_portrait_bytes") { Int($0).flatMap { $0 >= 1024 ? $0 : nil } } ?? 8_388_608
        requestTimeout =
            r.value("control.request_timeout_seconds") { Double($0).flatMap { $0 >= 0.5 ? $0 : nil } } ?? 10
        let idle = r.value("control.idle_timeout_seconds") { Double($0).flatMap { $0 >= 0 ? $0 : nil } } ?? 60
        idleTimeout = idle > 0 ? idle : nil
        let connections = r.value("control.max_connections") { Int($0).flatMap { $0 >= 2 ? $0 : nil } } ?? 256
        let body = maxBodyBytes
        controlLimits = ConnectionLedger.Limits(
            connections: connections,
            connectionsPerUID:
                r.value("control.max_connections_per_uid") { Int($0).flatMap { $0 >= 1 ? $0 : nil } } ?? 32,
            // Each budget holds at least one largest body.
            bodyBytes: r.value("control.body_memory_bytes") { Int($0).flatMap { $0 >= body ? $0 : nil } }
                ?? max(33_554_432, body),
            bodyBytesPerUID:
                r.value("control.body_memory_per_uid_bytes") { Int($0).flatMap { $0 >= body ? $0 : nil } }
                ?? max(8_388_608, body))
        operatorsGroup = r.string("auth.operators_group")
        supervisorsGroup = r.string("auth.supervisors_group")
        databasePath = r.value("store.database") { $0.hasPrefix("/") ? $0 : nil } ?? ""
        keyFilePath = r.value("store.key_file") { $0.hasPrefix("/") ? $0 : nil } ?? ""
        listener = ListenerSettings.read(&r, storeFolder: (databasePath as NSString).deletingLastPathComponent)
        minimumFreeBytes =
            Int64(r.value("store.minimum_free_mib") { Int($0).flatMap { $0 >= 0 ? $0 : nil } } ?? 64)
            << 20
        retention =
            Double(r.value("store.retention_days") { Int($0).flatMap { $0 >= 0 ? $0 : nil } } ?? 30)
            * 86_400
        purgeInterval =
            r.value("purge.interval_seconds") { Double($0).flatMap { $0 >= 1 ? $0 : nil } } ?? 3600
        resealBatch = r.value("store.reseal_batch") { Int($0).flatMap { (1...10_000).contains($0) ? $0 : nil } } ?? 200
        let tcti = r.string("store.tpm_tcti")
        let pcrs = r.value("store.tpm_pcrs") { $0.isEmpty || TPMSettings.validPCRs($0) ? $0 : nil } ?? ""
        tpm = TPMSettings(
            mode: r.value("store.tpm") { TPMSettings.Mode(rawValue: $0) } ?? .off, tcti: tcti.isEmpty ? nil : tcti,
            pcrs: pcrs.isEmpty ? nil : pcrs)
        let kind = r.value("point.kind") { RegistrationPoint.Kind(rawValue: $0) } ?? .fixed
        let commune =
            r.value("point.commune_code") { $0.allSatisfy(\.isNumber) && !$0.isEmpty ? $0 : nil }
            ?? "00000"
        point = RegistrationPoint(communeCode: commune, kind: kind, placeName: r.string("point.name"))
        serviceArea = r.serviceArea(pointCommune: commune)
        let age =
            r.value("intake.minimum_age") { Int($0).flatMap { (0...120).contains($0) ? $0 : nil } } ?? 14
        let fingers: Set<Intake.FingerPosition> =
            r.value("intake.required_fingers") { text in
                let parts = text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
                    .filter { !$0.isEmpty }
                let positions = parts.compactMap { Int($0).flatMap(Intake.FingerPosition.init(rawValue:)) }
                return positions.count == parts.count ? Set(positions) : nil
            } ?? [.rightIndex, .leftIndex]
        let quality =
            r.value("intake.minimum_fingerprint_quality") {
                Int($0).flatMap { (0...100).contains($0) ? $0 : nil }
            } ?? 40
        let authenticity = r.authenticityPolicy()
        policy = ValidationPolicy(
            minimumAge: age, authenticity: authenticity, requiredFingers: fingers,
            minimumFingerprintQuality: quality)
        cardTimeout =
            r.value("intake.card_timeout_seconds") { Double($0).flatMap { $0 > 0 ? $0 : nil } } ?? 20
        useUSB = r.value("biometrics.usb") { Reader.bool($0) } ?? true
        let script = r.value("biometrics.simulator") { text -> [SyntheticCondition]? in
            let parts = text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
                .filter { !$0.isEmpty }
            let found = parts.compactMap(SyntheticCondition.init(rawValue:))
            return found.count == parts.count ? found : nil
        }
        simulator = (script?.isEmpty ?? true) ? nil : script
        biometricsPoll =
            r.value("biometrics.poll_seconds") { Double($0).flatMap { $0 >= 0.2 ? $0 : nil } } ?? 5
        let url = r.string("uplink.url")
        uplinkURL = url.isEmpty ? nil : url
        let token = r.string("uplink.token")
        uplinkToken = token.isEmpty ? nil : token
        uplinkState = r.value("uplink.state") { $0.hasPrefix("/") ? $0 : nil } ?? "/var/lib/stationd/uplink"
        let stationID = r.string("uplink.station_id")
        uplinkStationID = stationID.isEmpty ? nil : stationID
        let pinned = r.string("uplink.pinned_ca")
        uplinkPinnedCA = pinned.isEmpty ? nil : pinned
        uplinkCentralFingerprint =
            r.value("uplink.central_fingerprint") { $0.isEmpty ? "" : CentralKeys.normalizedFingerprint($0) }
            .flatMap { $0.isEmpty ? nil : $0 }
        uplinkInterval =
            r.value("uplink.interval_seconds") { Double($0).flatMap { $0 >= 1 ? $0 : nil } } ?? 300
        reportSchedule = ReportSchedule(
            dailyAt: r.value("report.daily_at") { TimeOfDay($0) } ?? ReportSchedule.defaultTime,
            weeklyCutoff: r.value("report.weekly_cutoff") { TimeOfDay($0) } ?? ReportSchedule.defaultTime)
        freezeMaxDaysWithoutSync =
            r.value("freeze.max_days_without_sync") { Double($0).flatMap { $0 > 0 ? $0 : nil } } ?? 7
        freezeMaxPending = r.value("freeze.max_pending") { Int($0).flatMap { $0 >= 1 ? $0 : nil } } ?? 2000
        freezeMinFreeBytes =
            Int64(r.value("freeze.min_free_mib") { Int($0).flatMap { $0 >= 0 ? $0 : nil } } ?? 512) << 20
        let trustFolder = r.value("trust.folder") { $0.isEmpty || $0.hasPrefix("/") ? $0 : nil } ?? ""
        self.trustFolder = trustFolder.isEmpty ? nil : trustFolder
        let masterList = r.value("trust.masterlist") { $0.isEmpty || $0.hasPrefix("/") ? $0 : nil } ?? ""
        trustMasterList = masterList.isEmpty ? nil : masterList
        signerValidity = r.value("trust.signer_validity") { SignerValidityModel(rawValue: $0) } ?? .checkTime
        quotas = r.quotas()
        let printer = r.string("receipt.printer")
        receiptPrinter = printer.isEmpty ? nil : printer
        logLevel = r.value("log.level") { Logger.Level(rawValue: $0) } ?? .info
        desk = DeskSettings(&r)
        sources = r.sources
    }

    /// Reads typed values, recording a problem (with key and line) for each bad one.
    struct Reader {
        let values: [String: (String, Int?)]
        var errors: [ConfigurationError] = []
        var sources: [String: String] = [:]

        init(values: [String: (String, Int?)]) { self.values = values }

        mutating func string(_ key: String) -> String {
            guard let (value, line) = values[key] else {
                sources[key] = "default"
                return ConfigurationKey.named(key)?.defaultValue ?? ""
            }
            sources[key] = line.map { "file:\($0)" } ?? "env"
            return value
        }

        mutating func value<T>(_ key: String, _ parse: (String) -> T?) -> T? {
            let text = string(key)
            if let parsed = parse(text) { return parsed }
            let line = values[key]?.1
            let origin = values[key] == nil ? "default" : (line == nil ? "environment" : "file")
            errors.append(
                ConfigurationError(
                    .invalidValue, key: key, line: line,
                    "invalid value \"\(text)\" (from \(origin)); expected: \(ConfigurationKey.named(key)?.help ?? "")"
                ))
            return nil
        }

        /// `[authenticity]`: the four verdict lists, checked together (a list naming `hashMismatch`/`clone`, or a
        /// verdict in two lists, is an error on the key at fault); the standard policy when any is bad.
        mutating func authenticityPolicy() -> AuthenticityPolicy {
            let keys = [
                "authenticity.operator_commits", "authenticity.supervisor_overrides", "authenticity.never_accepted",
                "authenticity.health_accepts",
            ]
            let lists = keys.map { key in value(key) { AuthenticityPolicy.verdicts($0) } }
            guard let operatorCommits = lists[0], let supervisor = lists[1], let never = lists[2],
                let health = lists[3]
            else { return .standard }
            // The default never-list yields to the other lists; one written in the file must agree with them.
            let explicitNever = sources["authenticity.never_accepted"] == "default" ? nil : never
            do {
                return try AuthenticityPolicy(
                    operatorCommits: operatorCommits, supervisorOverrides: supervisor, neverAccepted: explicitNever,
                    healthAccepts: health)
            } catch {
                let key = "authenticity." + error.setting
                errors.append(
                    ConfigurationError(
                        .invalidValue, key: key, line: values[key]?.1, "\(error.code): \(error.description)"))
                return .standard
            }
        }

        static func bool(_ text: String) -> Bool? {
            switch text.lowercased() {
            case "true", "yes", "1", "on": true
            case "false", "no", "0", "off": false
            default: nil
            }
        }
    }
}
