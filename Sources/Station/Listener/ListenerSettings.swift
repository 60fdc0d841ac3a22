import Foundation

/// The TCP listener's configuration (`[listener]` in `stationd.conf`): where HIS clients and the web console come
/// in beside the Unix socket. Loopback and off by default; on the facility LAN only with TLS.
public struct ListenerSettings: Sendable, Hashable {
    /// `listener.enabled`.
    public var enabled: Bool
    /// `listener.address`: an IPv4 or IPv6 literal.
    public var address: String
    /// `listener.port` (0: any free port, shown by `stationctl listener show`).
    public var port: Int
    /// `listener.tls`.
    public var tls: Bool
    /// `listener.certificate`: the station certificate (PEM), created self-signed at the first start with TLS on.
    public var certificatePath: String
    /// `listener.key`: its private key (PEM, 0600).
    public var keyPath: String
    /// `listener.cors_origins`: browser origins (`scheme://host[:port]`) allowed to call the listener.
    public var corsOrigins: [String]
    /// `listener.clients_file`: the client tokens (names, scopes, SHA-256 of each token; 0600).
    public var clientsPath: String
    /// `listener.pam_helper`: how the console checks passwords: `auto` (PAM in the daemon when it runs as root,
    /// else the password helper at `/run/stationd-pam.sock`), `in-process`, or the helper's socket path.
    public var passwordCheck: PasswordCheckMode = .automatic

    /// Whether `address` is a loopback address (127.0.0.0/8, `::1`).
    public var isLoopback: Bool { UplinkEndpoint.isLoopback(address) }

    /// Reads the `[listener]` keys; files default to the store's folder (`store.database`'s).
    static func read(_ r: inout StationConfiguration.Reader, storeFolder: String) -> ListenerSettings {
        let enabled = r.value("listener.enabled") { StationConfiguration.Reader.bool($0) } ?? false
        let address = r.value("listener.address") { Self.isAddressLiteral($0) ? $0 : nil } ?? "127.0.0.1"
        let port = r.value("listener.port") { Int($0).flatMap { (0...65_535).contains($0) ? $0 : nil } } ?? 8790
        let tls = r.value("listener.tls") { StationConfiguration.Reader.bool($0) } ?? false
        let certificate = r.value("listener.certificate") { $0.isEmpty || $0.hasPrefix("/") ? $0 : nil } ?? ""
        let key = r.value("listener.key") { $0.isEmpty || $0.hasPrefix("/") ? $0 : nil } ?? ""
        let origins =
            r.value("listener.cors_origins") { text -> [String]? in
                let parts = text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
                    .filter { !$0.isEmpty }
                let valid = parts.compactMap(CORSPolicy.normalizedOrigin)
                return valid.count == parts.count ? valid : nil
            } ?? []
        let clients = r.value("listener.clients_file") { $0.isEmpty || $0.hasPrefix("/") ? $0 : nil } ?? ""
        let passwordCheck = r.value("listener.pam_helper") { PasswordCheckMode(configured: $0) } ?? .automatic
        return ListenerSettings(
            enabled: enabled, address: address, port: port, tls: tls,
            certificatePath: certificate.isEmpty ? storeFolder + "/listener/station.crt" : certificate,
            keyPath: key.isEmpty ? storeFolder + "/listener/station.key" : key, corsOrigins: origins,
            clientsPath: clients.isEmpty ? storeFolder + "/clients.json" : clients, passwordCheck: passwordCheck)
    }

    /// What is wrong with the combination (a LAN address without TLS), naming the key to fix.
    var problem: (key: String, reason: String)? {
        guard enabled, !isLoopback, !tls else { return nil }
        return (
            "listener.tls",
            "the listener on \(address) (not loopback) must use TLS: set listener.tls = true (the station certificate "
                + "is created at the first start; `stationctl listener show` prints its fingerprint for the HIS)"
        )
    }

    /// An IPv4 or IPv6 address literal (names are not resolved: the listener binds exactly what is written).
    static func isAddressLiteral(_ text: String) -> Bool {
        var v4 = in_addr()
        var v6 = in6_addr()
        return inet_pton(AF_INET, text, &v4) == 1 || inet_pton(AF_INET6, text, &v6) == 1
    }
}
