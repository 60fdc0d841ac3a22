import Foundation

/// Which central endpoints the station accepts: `https` with a pinned CA anywhere, plain `http` only to a
/// loopback address (tests and the demo), nothing else. Checked with the rest of the configuration, so a station
/// never starts talking to a central it cannot authenticate at the transport level.
enum UplinkEndpoint {
    /// What is wrong with `url` (nil: acceptable, or no uplink configured), naming the key to fix.
    static func problem(url: String?, pinnedCA: String?) -> (key: String, reason: String)? {
        guard let url else { return nil }
        guard let components = URLComponents(string: url), let scheme = components.scheme?.lowercased(),
            let host = components.host, !host.isEmpty
        else {
            return ("uplink.url", "\"\(url)\" is not an absolute URL (https://host[:port])")
        }
        switch scheme {
        case "https":
            guard pinnedCA != nil else {
                return (
                    "uplink.pinned_ca",
                    "an https central needs the CA its certificate must chain to (uplink.pinned_ca); system roots "
                        + "are not trusted for the central"
                )
            }
            return nil
        case "http":
            guard isLoopback(host) else {
                return (
                    "uplink.url",
                    "plain http is allowed to a loopback address only (tests, demo); use https:// with "
                        + "uplink.pinned_ca for \(host)"
                )
            }
            return nil
        default:
            return ("uplink.url", "scheme \"\(scheme)\" is not accepted: use https:// (http:// to loopback only)")
        }
    }

    /// `localhost`, 127.0.0.0/8 and `::1`.
    static func isLoopback(_ host: String) -> Bool {
        let bare = host.trimmingCharacters(in: CharacterSet(charactersIn: "[]")).lowercased()
        if bare == "localhost" || bare == "::1" { return true }
        let octets = bare.split(separator: ".", omittingEmptySubsequences: false)
        return octets.count == 4 && octets.allSatisfy { UInt8($0) != nil } && octets[0] == "127"
    }
}
