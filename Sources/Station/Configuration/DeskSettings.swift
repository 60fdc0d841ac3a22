import Foundation

/// The health check-in desk's settings (`[desk]`, `[insurance]`): the serial QR scanner and the social-insurance
/// (BHXH) gateway, configured per facility and **off by default**.
public struct DeskSettings: Sendable, Hashable {
    /// tty device path of a serial / USB-CDC QR scanner (nil: none).
    public var qrScanner: String?
    /// The gateway, nil when `insurance.url` is empty (the default).
    public var insurance: InsuranceGatewaySettings?

    /// Every `[desk]` and `[insurance]` key with its default.
    static let keys: [ConfigurationKey] = [
        .init(
            name: "desk.qr_scanner", defaultValue: "",
            help: "tty device path of a serial/USB-CDC QR scanner (e.g. /dev/ttyACM0); empty: none"),
        .init(
            name: "insurance.url", defaultValue: "",
            help: "BHXH gateway base URL (https://egw.baohiemxahoi.gov.vn); empty: insurance lookup off"),
        .init(name: "insurance.username", defaultValue: "", help: "gateway user name (facility code + _BV)"),
        .init(
            name: "insurance.password_file", defaultValue: "",
            help: "file (0600) holding the gateway password; its MD5 is sent, as the gateway expects"),
        .init(
            name: "insurance.officer_name", defaultValue: "",
            help: "name of the checking officer sent with each lookup (hoTenCb)"),
        .init(
            name: "insurance.officer_id_file", defaultValue: "",
            help: "file (0600) holding the checking officer's 12-digit ID number (cccdCb)"),
        .init(
            name: "insurance.budget_ms", defaultValue: "1000",
            help: "the lookup's whole budget, retries and token renewal included; past it: insurance unknown"),
    ]

    /// The defaults (everything off).
    public init() {}

    init(_ r: inout StationConfiguration.Reader) {
        let scanner = r.value("desk.qr_scanner") { $0.isEmpty || $0.hasPrefix("/") ? $0 : nil } ?? ""
        qrScanner = scanner.isEmpty ? nil : scanner
        let url =
            r.value("insurance.url") { text -> String? in
                if text.isEmpty { return "" }
                guard let parsed = URL(string: text), ["http", "https"].contains(parsed.scheme ?? "") else {
                    return nil
                }
                return text
            } ?? ""
        let username = r.string("insurance.username")
        let passwordFile = r.value("insurance.password_file") { $0.isEmpty || $0.hasPrefix("/") ? $0 : nil } ?? ""
        let officerName = r.string("insurance.officer_name")
        let officerIDFile =
            r.value("insurance.officer_id_file") { $0.isEmpty || $0.hasPrefix("/") ? $0 : nil } ?? ""
        let budget =
            r.value("insurance.budget_ms") { Int($0).flatMap { (50...10_000).contains($0) ? $0 : nil } }
            ?? 1000
        insurance =
            url.isEmpty
            ? nil
            : InsuranceGatewaySettings(
                url: url, username: username, passwordFile: passwordFile.isEmpty ? nil : passwordFile,
                officerName: officerName, officerIDFile: officerIDFile.isEmpty ? nil : officerIDFile,
                budget: .milliseconds(budget))
    }
}

/// The BHXH gateway as configured.
public struct InsuranceGatewaySettings: Sendable, Hashable {
    /// Base URL (`/api/token/take` and `/api/egw/KQNhanLichSuKCB2024` are under it).
    public var url: String
    /// `maCSKCB_BV`.
    public var username: String
    /// File holding the password.
    public var passwordFile: String?
    /// `hoTenCb`.
    public var officerName: String
    /// File holding `cccdCb`.
    public var officerIDFile: String?
    /// The whole lookup's budget.
    public var budget: Duration
}
