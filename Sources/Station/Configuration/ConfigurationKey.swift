/// One documented key of `stationd.conf`: its section-qualified name, default and what it means.
///
/// The table in `ConfigurationKey.all` is the single source of truth: the parser accepts only these keys,
/// `stationctl config check` and the example file list them, and every key has a default.
public struct ConfigurationKey: Sendable, Hashable {
    /// `section.name`, e.g. `control.socket`.
    public let name: String
    /// The default value, as written in the file.
    public let defaultValue: String
    /// What the key does (English; the example file carries Vietnamese too).
    public let help: String

    /// The environment variable that overrides the key: `STATIOND_` + name upper-cased, `.` → `_`.
    public var environmentVariable: String {
        "STATIOND_" + name.uppercased().replacingOccurrences(of: ".", with: "_")
    }

    /// Every key, in the order of the example file.
    public static let all: [ConfigurationKey] =
        [
            .init(
                name: "station.profile", defaultValue: "intake",
                help: "intake (level-2 registration point) or health (check-in desk: verify only)"),
            .init(
                name: "control.socket", defaultValue: "/run/stationd/control.sock",
                help: "control socket path"),
            .init(
                name: "control.socket_group", defaultValue: "stationd-operators",
                help: "group owning the socket (name or number; empty: leave as is)"),
            .init(
                name: "control.max_body_bytes", defaultValue: "2097152", help: "largest request body accepted"
            ),
            .init(
                name: "control.max_portrait_bytes", defaultValue: "8388608",
                help: "largest portrait photo accepted (a phone's JPEG or PNG, before it is normalised)"),
            .init(
                name: "control.request_timeout_seconds", defaultValue: "10",
                help: "a request (head and body) must arrive within this time, or the connection is closed (408)"),
            .init(
                name: "control.idle_timeout_seconds", defaultValue: "60",
                help: "an idle keep-alive connection is closed after this time between requests (0: never)"),
            .init(
                name: "control.max_connections", defaultValue: "256",
                help: "open control connections at most, all callers together (more: 503 control.overloaded)"),
            .init(
                name: "control.max_connections_per_uid", defaultValue: "32",
                help: "open connections at most per caller uid, root excepted (more: 429 control.caller_limit)"),
            .init(
                name: "control.body_memory_bytes", defaultValue: "33554432",
                help: "request bodies held in memory at once, all requests together (more: 503 control.overloaded)"),
            .init(
                name: "control.body_memory_per_uid_bytes", defaultValue: "8388608",
                help: "request bodies held in memory at once per caller uid, root excepted (more: 429)"),
            .init(
                name: "listener.enabled", defaultValue: "false",
                help: "serve the control API on TCP too, for HIS clients with a token (stationctl client add)"),
            .init(
                name: "listener.address", defaultValue: "127.0.0.1",
                help: "address literal the TCP listener binds (not loopback: listener.tls must be true)"),
            .init(name: "listener.port", defaultValue: "8790", help: "TCP port of the listener (0: any free port)"),
            .init(
                name: "listener.tls", defaultValue: "false",
                help: "speak TLS with the station certificate (created self-signed at the first start; fingerprint in "
                    + "stationctl listener show)"),
            .init(
                name: "listener.certificate", defaultValue: "",
                help: "station certificate (PEM); empty: listener/station.crt beside the store"),
            .init(
                name: "listener.key", defaultValue: "",
                help: "station certificate's private key (PEM, 0600); empty: listener/station.key beside the store"),
            .init(
                name: "listener.cors_origins", defaultValue: "",
                help:
                    "browser origins allowed to call the listener, comma-separated (https://his.example:8443); empty: "
                    + "none"),
            .init(
                name: "listener.clients_file", defaultValue: "",
                help: "client tokens (names, scopes, SHA-256 of each token; 0600); empty: clients.json beside the store"
            ),
            .init(
                name: "listener.pam_helper", defaultValue: "auto",
                help:
                    "how the console checks passwords: auto (PAM in the daemon when it runs as root, else the password "
                    + "helper at /run/stationd-pam.sock), in-process, or the helper's socket path"),
            .init(
                name: "auth.operators_group", defaultValue: "stationd-operators",
                help: "group whose members may read and take applications"),
            .init(
                name: "auth.supervisors_group", defaultValue: "stationd-supervisors",
                help: "group whose members may also hold, cancel, override, export"),
            .init(
                name: "store.database", defaultValue: "/var/lib/stationd/queue.sqlite", help: "queue database"
            ),
            .init(
                name: "store.key_file", defaultValue: "/var/lib/stationd/queue.key",
                help: "payload key file (0600)"),
            .init(
                name: "store.minimum_free_mib", defaultValue: "64",
                help: "refuse writes below this free space"),
            .init(
                name: "store.retention_days", defaultValue: "30",
                help: "keep payloads this long after acceptance"),
            .init(
                name: "purge.interval_seconds", defaultValue: "3600",
                help: "how often the retention purge runs"),
            .init(
                name: "store.reseal_batch", defaultValue: "200",
                help: "values re-sealed per transaction while a key rotation runs (1-10000)"),
            .init(
                name: "store.tpm", defaultValue: "off",
                help: "seal the key file to the TPM 2.0: off, required (refuse to start without it) or if-present "
                    + "(a new store's key; stationd keys seal-to-tpm converts an existing one)"),
            .init(
                name: "store.tpm_tcti", defaultValue: "",
                help: "the TPM's TCTI for tpm2-tools (swtpm:host=127.0.0.1,port=2321); empty: /dev/tpmrm0"),
            .init(
                name: "store.tpm_pcrs", defaultValue: "",
                help: "bind the sealed key to these PCRs (sha256:7: Secure Boot state); empty: the TPM only"),
            .init(
                name: "point.commune_code", defaultValue: "00000",
                help: "commune code of the registration point"),
            .init(
                name: "point.communes", defaultValue: "",
                help: "communes the officer may choose per intake session: CODE, CODE (5 digits, each once, "
                    + "point.commune_code among them, the default); empty: point.commune_code only"),
            .init(
                name: "point.hamlets", defaultValue: "",
                help: "hamlets per commune: CODE: NAME, NAME; CODE: NAME (communes of point.communes; no , ; : in a "
                    + "name); empty: no hamlet recorded"),
            .init(name: "point.kind", defaultValue: "fixed", help: "fixed or mobile"),
            .init(
                name: "point.name", defaultValue: "Điểm đăng ký", help: "place name shown on applications"),
            .init(name: "intake.minimum_age", defaultValue: "14", help: "minimum age on the day of intake"),
            .init(
                name: "intake.required_fingers", defaultValue: "2,7",
                help: "ISO finger positions that must be captured or excused (2 right index, 7 left index)"),
            .init(name: "intake.minimum_fingerprint_quality", defaultValue: "40", help: "0...100"),
            .init(
                name: "intake.card_timeout_seconds", defaultValue: "20",
                help: "one card exchange may take this long"),
            .init(
                name: "authenticity.operator_commits", defaultValue: "genuine, verifiedOffline",
                help: "card verdicts an operator commits without a supervisor (intake profile)"),
            .init(
                name: "authenticity.supervisor_overrides", defaultValue: "unconfirmed, untrustedSigner",
                help:
                    "card verdicts a supervisor may accept with a reason (intake profile; never hashMismatch or clone)"),
            .init(
                name: "authenticity.never_accepted", defaultValue: "chainInvalid, hashMismatch, clone, notChecked",
                help: "card verdicts nobody accepts (a verdict in neither list above is refused too; set here, a "
                    + "verdict named in a list above too is a configuration error)"),
            .init(
                name: "authenticity.health_accepts", defaultValue: "genuine, verifiedOffline",
                help: "card verdicts the health check-in desk answers accept for (health profile; others: refer)"),
            .init(name: "biometrics.usb", defaultValue: "true", help: "use USB fingerprint scanners"),
            .init(
                name: "biometrics.simulator", defaultValue: "",
                help: "offer the simulated scanner with these conditions (e.g. good); empty: off"),
            .init(
                name: "biometrics.poll_seconds", defaultValue: "5", help: "how often scanners are listed"),
            .init(
                name: "uplink.url", defaultValue: "",
                help: "central upload endpoint: https:// (with uplink.pinned_ca), or http:// to loopback only (tests, "
                    + "demo); empty: not configured"),
            .init(
                name: "uplink.token", defaultValue: "",
                help: "one-time enrollment token (used once, at the first start; empty once enrolled)"),
            .init(
                name: "uplink.state", defaultValue: "/var/lib/stationd/uplink",
                help: "folder of the station key, enrollment and last-sync record (0700)"),
            .init(
                name: "uplink.station_id", defaultValue: "",
                help: "station id announced at enrollment; empty: station-<commune code>-<host name>"),
            .init(
                name: "uplink.pinned_ca", defaultValue: "",
                help: "PEM file of the CA the central's TLS certificate must chain to (required for https)"),
            .init(
                name: "uplink.central_fingerprint", defaultValue: "",
                help: "fingerprint of the central's keys as the central prints it (64 hex digits), confirmed by the "
                    + "technician; enrollment pins the keys only if they match; empty: enroll with `stationctl enroll`"),
            .init(
                name: "uplink.interval_seconds", defaultValue: "300",
                help: "how often ready applications are uploaded and statuses synced"),
            .init(
                name: "report.daily_at", defaultValue: "16:45",
                help: "when the daily report is frozen and sent to the central (HH:MM, Vietnamese time, 00:00-23:59; "
                    + "before the 17:00 deadline)"),
            .init(
                name: "report.weekly_cutoff", defaultValue: "16:45",
                help: "when on Fridays the week (Saturday-Friday) closes and its report is frozen and sent (HH:MM, "
                    + "Vietnamese time)"),
            .init(
                name: "freeze.max_days_without_sync", defaultValue: "7",
                help: "refuse new intakes after this many days without a sync with C06"),
            .init(
                name: "freeze.max_pending", defaultValue: "2000",
                help: "refuse new intakes while this many applications are not uploaded nor exported"),
            .init(
                name: "freeze.min_free_mib", defaultValue: "512",
                help: "refuse new intakes below this free space on the store's file system"),
            .init(
                name: "trust.folder", defaultValue: "/etc/stationd/trust",
                help: "folder of trusted CSCA certificates (.pem/.crt/.cer/.der), CRLs (.crl) and master lists "
                    + "(.ml); a missing default folder means no trust anchor"),
            .init(
                name: "trust.masterlist", defaultValue: "",
                help: "ICAO CSCA master list file (CMS-signed; its signature is verified before use); empty: none"),
            .init(
                name: "trust.signer_validity", defaultValue: "checkTime",
                help:
                    "when a document signer certificate must be valid: checkTime (at the time of the check; an expired "
                    + "DS is chain invalid) or signingTime (ICAO chain model: when it signed the SOD)"),
            .init(
                name: "quota.commune_daily", defaultValue: "0",
                help: "level-2 applications to take per commune per day (the report's \"to do today\"); 0: none"),
            .init(
                name: "quota.commune_daily_by_code", defaultValue: "",
                help: "per-commune overrides of quota.commune_daily: CODE:N, CODE:N (5-digit codes, N >= 0)"),
            .init(
                name: "quota.phases", defaultValue: "",
                help: "campaign phases: NAME:YYYY-MM-DD..YYYY-MM-DD:TARGET; ... (inclusive days, no overlap; TARGET "
                    + "activated accounts for the station)"),
            .init(
                name: "quota.team_daily", defaultValue: "0",
                help: "level-2 applications per team per day (the teams table's quota); 0: none"),
            .init(
                name: "quota.officer_daily", defaultValue: "0",
                help: "citizens one official guides per day: N, or MIN..MAX (e.g. 20..50; MIN is the quota); 0: none"),
            .init(
                name: "receipt.printer", defaultValue: "",
                help: "CUPS printer that stationctl receipt --print sends receipts to (lpstat -p lists them); empty: "
                    + "none, --printer names one"),
            .init(
                name: "log.level", defaultValue: "info",
                help: "trace, debug, info, notice, warning, error, critical"),
        ] + DeskSettings.keys

    /// Looks a key up by name.
    public static func named(_ name: String) -> ConfigurationKey? { all.first { $0.name == name } }
}
