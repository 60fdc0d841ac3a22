import Foundation

/// Counters exposed on `/metrics` in the Prometheus text format (no swift-prometheus dependency yet).
public final class StationMetrics: Sendable {
    private let counters = Mutex<[String: Double]>([:])

    /// Creates an empty registry.
    public init() {}

    /// Adds to a counter, e.g. `increment("stationd_http_requests_total", labels: ["status": "200"])`.
    public func increment(_ name: String, labels: [String: String] = [:], by amount: Double = 1) {
        let key = Self.key(name, labels)
        counters.withLock { $0[key, default: 0] += amount }
    }

    /// Sets a gauge.
    public func set(_ name: String, labels: [String: String] = [:], _ value: Double) {
        let key = Self.key(name, labels)
        counters.withLock { $0[key] = value }
    }

    static func key(_ name: String, _ labels: [String: String]) -> String {
        guard !labels.isEmpty else { return name }
        let text = labels.sorted { $0.key < $1.key }.map { "\($0.key)=\"\(Self.escape($0.value))\"" }
            .joined(separator: ",")
        return "\(name){\(text)}"
    }

    static func escape(_ value: String) -> String {
        value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
            .replacingOccurrences(of: "\n", with: "\\n")
    }

    /// The exposition text.
    public func render() -> String {
        let snapshot = counters.withLock { $0 }
        var out = ""
        var typed: Set<String> = []
        for (key, value) in snapshot.sorted(by: { $0.key < $1.key }) {
            let name = String(key.prefix { $0 != "{" })
            if typed.insert(name).inserted {
                out += "# TYPE \(name) \(name.hasSuffix("_total") ? "counter" : "gauge")\n"
            }
            out += "\(key) \(value == value.rounded() ? String(Int64(value)) : String(value))\n"
        }
        return out
    }
}
